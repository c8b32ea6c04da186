"""TSN-style sparse frame sampling and decoding, from video files (OpenCV) or folders of frames."""
import os
import os.path as osp
import re
from typing import List, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger

from ..registry import TRANSFORMS

FRAME_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def tsn_indices(total: int, num_frames: int, num_clips: int, test_mode: bool, rng: np.random.Generator) -> np.ndarray:
    """One frame from each of ``num_frames`` segments, per clip (mmaction's ``SampleFrames(clip_len=1,
    num_clips=T)`` as X-CLIP uses it).

    Training: segments of the integer length ``total // T``, a random frame in each, so the last
    ``total % T`` frames are never drawn; a video shorter than T takes ``round(i * total / T)`` (numpy rounding,
    half to even), which repeats frames. Test: the frame at the centre of each of T equal (fractional) segments.

    Args:
        total: frames in the video (> 0).
        num_frames: T, segments per clip.
        num_clips: clips; at test time clip c takes the point at (c + 0.5) / num_clips of every segment; in
            training every clip draws its own offsets.
        test_mode: deterministic (segment centres) instead of a random offset per segment.
        rng: random generator (training).

    Returns:
        (num_clips * num_frames,) frame indices.
    """
    if test_mode:
        seg = total / num_frames
        offsets = (np.arange(num_clips)[:, None] + 0.5) / num_clips * seg
        inds = np.floor(np.arange(num_frames) * seg + offsets).astype(np.int64)
    else:
        interval = total // num_frames
        if interval > 0:
            inds = np.arange(num_frames) * interval + rng.integers(interval, size=(num_clips, num_frames))
        else:
            inds = np.tile(np.round(np.arange(num_frames) * total / num_frames).astype(np.int64), (num_clips, 1))
    return np.clip(inds, 0, total - 1).reshape(-1)


def natural_key(name: str) -> List[Union[int, str]]:
    """Sort key that orders the digit runs of ``name`` by value (``img_2`` before ``img_10``)."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r'(\d+)', name)]


def _frame_files(folder: str) -> List[str]:
    return sorted((f for f in os.listdir(folder) if f.lower().endswith(FRAME_EXTENSIONS)), key=natural_key)


def _count_video_frames(path: str) -> int:
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise IOError(f'cannot open video {path} (missing, corrupt, or a codec OpenCV lacks)')
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    if count <= 0:  # some containers do not store it: count by decoding
        count = 0
        while capture.grab():
            count += 1
    capture.release()
    return count


def _read_video_frames(path: str, indices: np.ndarray) -> Tuple[List[np.ndarray], int]:
    """Decode the frames at ``indices`` (in their order).

    Returns:
        The frames, or ``[]`` when the video ended before the last index; and the number of frames decoded.
    """
    wanted = set(int(i) for i in indices)
    frames, capture, index = {}, cv2.VideoCapture(path), 0
    while index <= max(wanted):
        ok, frame = capture.read()
        if not ok:
            break
        if index in wanted:
            frames[index] = frame
        index += 1
    capture.release()
    if len(frames) < len(wanted):
        return [], index
    return [frames[int(i)] for i in indices], index


@TRANSFORMS.register_module()
class SampleVideoFrames(BaseTransform):
    """Count the frames of ``filename``, TSN-sample ``num_clips`` x ``num_frames`` indices, and decode them into
    ``imgs`` (list of (H, W, 3) BGR uint8).

    Args:
        num_frames: T.
        num_clips: clips per video (X-CLIP tests with 4).
        test_mode: centre sampling instead of random offsets.
    """

    def __init__(self, num_frames: int = 8, num_clips: int = 1, test_mode: bool = False) -> None:
        self.num_frames, self.num_clips, self.test_mode = num_frames, num_clips, test_mode
        self._warned = set()

    def transform(self, results: dict) -> dict:
        """Args:
            results: with ``filename``.

        Returns:
            ``results`` with ``imgs``, ``frame_inds``, ``total_frames``, ``num_clips``, ``clip_len``.

        Raises:
            IOError: the video or frame folder cannot be read or has no frame.
        """
        path = results['filename']
        is_folder = osp.isdir(path)
        if is_folder:
            files = _frame_files(path)
            total = len(files)
        elif osp.isfile(path):
            total = _count_video_frames(path)
        else:
            raise IOError(f'video {path} does not exist')
        if total == 0:
            raise IOError(f'video {path} has no readable frame')
        if total < self.num_frames and path not in self._warned:
            self._warned.add(path)
            MMLogger.get_current_instance().warning(
                f'video {path} has {total} frames, fewer than the {self.num_frames} sampled: frames are repeated')
        rng = np.random.default_rng(np.random.randint(2**31))
        inds = tsn_indices(total, self.num_frames, self.num_clips, self.test_mode, rng)
        if is_folder:
            imgs = []
            for i in inds:
                img = cv2.imread(osp.join(path, files[int(i)]), cv2.IMREAD_COLOR)
                if img is None:
                    raise IOError(f'frame {files[int(i)]} of {path} cannot be read')
                imgs.append(img)
        else:
            imgs, decoded = _read_video_frames(path, inds)
            if not imgs:  # the container promised more frames than it holds: sample from what decodes
                if decoded == 0:
                    raise IOError(f'video {path}: no frame could be decoded ({total} reported)')
                MMLogger.get_current_instance().warning(
                    f'video {path} reports {total} frames but only {decoded} decode: sampling from those')
                total = decoded
                inds = tsn_indices(total, self.num_frames, self.num_clips, self.test_mode, rng)
                imgs, _ = _read_video_frames(path, inds)
                if not imgs:
                    raise IOError(f'video {path}: decoding stopped before frame {int(inds.max())} of {total}')
        results.update(imgs=imgs, frame_inds=inds, total_frames=total, num_clips=self.num_clips,
                       clip_len=self.num_frames, img_shape=imgs[0].shape[:2], ori_shape=imgs[0].shape[:2])
        return results
