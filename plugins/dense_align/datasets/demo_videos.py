"""Deterministic generator of a small video recognition dataset: a shape that moves or changes size.

Layout (what :class:`dense_align.xclip.VideoDataset` reads)::

    <root>/videos/{train,val}/000000.avi     MJPG video files (even indices)
    <root>/videos/{train,val}/000001/        folders of PNG frames (odd indices)
    <root>/annotations/{train,val}.txt       "<path relative to videos/> <label>" lines
    <root>/classes.csv                       "id,name" lines (ACTIONS)
    <root>/classes_unseen.csv                the same actions under other words, for zero-shot evaluation
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Tuple

import cv2
import numpy as np

#: (name, shape, motion) of each action class.
ACTIONS: Tuple[Tuple[str, str, str], ...] = (
    ('circle moving left', 'circle', 'left'), ('circle moving right', 'circle', 'right'),
    ('square moving up', 'square', 'up'), ('square moving down', 'square', 'down'),
    ('circle growing', 'circle', 'grow'), ('square shrinking', 'square', 'shrink'))
#: Other words for the same actions: a class list a model trained on ACTIONS never saw.
UNSEEN_NAMES: Tuple[str, ...] = ('ball rolling to the left', 'ball rolling to the right', 'box rising',
                                 'box falling', 'ball inflating', 'box deflating')


@dataclass(frozen=True)
class DemoVideosSpec:
    """Args:
        num_train: training videos.
        num_val: validation videos.
        size: frame side in pixels.
        num_frames: frames per video.
        seed: master seed; each video depends only on (seed, split, index).
    """
    num_train: int = 96
    num_val: int = 120
    size: int = 32
    num_frames: int = 16
    seed: int = 0


def render_video(label: int, spec: DemoVideosSpec, rng: np.random.Generator) -> np.ndarray:
    """(num_frames, size, size, 3) BGR frames of one video of ``ACTIONS[label]``."""
    _, shape, motion = ACTIONS[label]
    s, t = spec.size, spec.num_frames
    colour = tuple(int(c) for c in rng.integers(90, 256, 3))
    background = rng.integers(0, 60, (s, s, 3)).astype(np.uint8)
    cx, cy = rng.uniform(0.35, 0.65) * s, rng.uniform(0.35, 0.65) * s
    speed = rng.uniform(0.25, 0.45) * s / t
    radius = rng.uniform(0.12, 0.18) * s
    frames = []
    for i in range(t):
        x, y, r = cx, cy, radius
        step = i - t / 2
        if motion == 'left':
            x = cx - speed * step
        elif motion == 'right':
            x = cx + speed * step
        elif motion == 'up':
            y = cy - speed * step
        elif motion == 'down':
            y = cy + speed * step
        elif motion == 'grow':
            r = radius * (0.5 + 1.0 * i / (t - 1))
        else:
            r = radius * (1.5 - 1.0 * i / (t - 1))
        frame = background.copy()
        if shape == 'circle':
            cv2.circle(frame, (int(round(x)), int(round(y))), max(1, int(round(r))), colour, -1)
        else:
            cv2.rectangle(frame, (int(x - r), int(y - r)), (int(x + r), int(y + r)), colour, -1)
        frames.append(frame)
    return np.stack(frames)


def generate_demo_videos(root: str, spec: DemoVideosSpec = DemoVideosSpec()) -> Dict[str, int]:
    """Write the dataset under ``root``.

    Args:
        root: output folder.
        spec: generation parameters.

    Returns:
        Videos written per split.
    """
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    with open(osp.join(root, 'classes.csv'), 'w', encoding='utf-8') as f:
        f.write('id,name\n' + ''.join(f'{i},{name}\n' for i, (name, _, _) in enumerate(ACTIONS)))
    with open(osp.join(root, 'classes_unseen.csv'), 'w', encoding='utf-8') as f:
        f.write('id,name\n' + ''.join(f'{i},{name}\n' for i, name in enumerate(UNSEEN_NAMES)))
    counts = {}
    for split_id, (split, count) in enumerate((('train', spec.num_train), ('val', spec.num_val))):
        folder = osp.join(root, 'videos', split)
        os.makedirs(folder, exist_ok=True)
        lines = []
        for index in range(count):
            rng = np.random.default_rng([spec.seed, split_id, index])
            label = index % len(ACTIONS)
            frames = render_video(label, spec, rng)
            if index % 2 == 0:
                name = f'{index:06d}.avi'
                writer = cv2.VideoWriter(osp.join(folder, name), cv2.VideoWriter_fourcc(*'MJPG'), 8,
                                         (spec.size, spec.size))
                for frame in frames:
                    writer.write(frame)
                writer.release()
            else:
                name = f'{index:06d}'
                os.makedirs(osp.join(folder, name), exist_ok=True)
                for i, frame in enumerate(frames):
                    cv2.imwrite(osp.join(folder, name, f'img_{i:05d}.png'), frame)
            lines.append(f'{split}/{name} {label}\n')
        with open(osp.join(root, 'annotations', f'{split}.txt'), 'w', encoding='utf-8') as f:
            f.writelines(lines)
        counts[split] = count
    return counts
