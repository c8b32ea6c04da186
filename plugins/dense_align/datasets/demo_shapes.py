"""Deterministic generator of the embedded demo data: named shapes on varied backgrounds, in the real formats.

One call writes, for each split, RGB images, semantic masks in mmseg's layout, COCO instance annotations (boxes and
polygons, readable by pycocotools) and five captions per image in three forms (COCO captions JSON, one-row-per-caption
CSV and JSONL, webdataset tar shards), so mmseg's ``BaseSegDataset``, mmdet's ``CocoDataset``, the image-text readers
and their metrics read it unchanged::

    <root>/images/{train,val}/000000.png
    <root>/seg_masks/{train,val}/000000.png        uint8 labels: 0 background, i for CLASSES[i - 1]
    <root>/annotations/instances_{train,val}.json  COCO instances, category ids 1..len(CLASSES)
    <root>/annotations/captions_{train,val}.json   COCO captions, 5 per image (the first: 'a photo of ...')
    <root>/annotations/captions_{train,val}.{csv,jsonl}  the same captions, one row per caption (filepath,caption)
    <root>/shards/{train,val}/00000.tar ...        the same samples in the img2dataset layout (.png, .txt, .json)
    <root>/shards/{train,val}.txt                  list of those shards, relative to <root>
    <root>/meta.json                               classes, palette and the generation parameters

Objects never overlap, and masks are rasterised from the polygons by pycocotools, so each instance mask is exactly
what COCO tools decode from its polygon.
"""
import json
import math
import os
from dataclasses import asdict, dataclass
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from .demo_long_captions import write_demo_text_annotations
from .image_text.caption_writers import write_caption_shards, write_caption_table

#: Object classes: (shape, fill). Two squares and two circles differ only by texture, so colour alone is not enough.
CLASSES: Tuple[str, ...] = ('red circle', 'green triangle', 'blue square', 'yellow star', 'striped square',
                            'dotted circle')
#: Semantic-segmentation classes (label 0 is the background).
SEG_CLASSES: Tuple[str, ...] = ('background', ) + CLASSES
#: Display colours of SEG_CLASSES, as mmseg's ``metainfo['palette']``.
SEG_PALETTE: Tuple[Tuple[int, int, int], ...] = ((0, 0, 0), (220, 40, 40), (40, 180, 60), (40, 80, 220),
                                                 (240, 210, 40), (160, 160, 160), (200, 120, 200))
SPLITS = ('train', 'val')
FORMAT_VERSION = 2
_SOLID_COLOURS = {'red': (220, 40, 40), 'green': (40, 180, 60), 'blue': (40, 80, 220), 'yellow': (240, 210, 40)}
_NUMBER_WORDS = {1: 'a', 2: 'two', 3: 'three', 4: 'four'}


@dataclass(frozen=True)
class DemoShapesSpec:
    """Generation parameters of the demo data.

    Args:
        num_train: number of training images.
        num_val: number of validation images.
        size: image side in pixels (square images).
        max_objects: at most this many objects per image (at least one).
        seed: master seed; each image's content depends only on (seed, split, index).
        num_shards: webdataset shards per split (fewer when a split has fewer images).
    """
    num_train: int = 256
    num_val: int = 64
    size: int = 64
    max_objects: int = 3
    seed: int = 0
    num_shards: int = 4


def _polygon(shape: str, cx: float, cy: float, radius: float, angle: float) -> np.ndarray:
    """Vertices (N, 2) of a shape centred at (cx, cy) with circumradius ``radius``, rotated by ``angle``."""
    if shape == 'circle':
        n, radii = 32, [radius]
    elif shape == 'triangle':
        n, radii = 3, [radius]
    elif shape == 'square':
        n, radii = 4, [radius]
    elif shape == 'star':
        n, radii = 10, [radius, radius * 0.45]
    else:
        raise ValueError(f'unknown shape {shape!r}')
    thetas = angle + 2 * math.pi * np.arange(n) / n
    r = np.array([radii[i % len(radii)] for i in range(n)])
    return np.stack([cx + r * np.cos(thetas), cy + r * np.sin(thetas)], axis=1)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A muted background: flat, gradient, smooth noise or checkerboard (float32 HxWx3 in [0, 255])."""
    kind = rng.integers(4)
    base = rng.uniform(60, 190, size=3)
    if kind == 0:
        return np.broadcast_to(base, (size, size, 3)).astype(np.float32).copy()
    if kind == 1:
        other = rng.uniform(60, 190, size=3)
        t = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
        img = (1 - t) * base + t * other
        img = np.broadcast_to(img, (size, size, 3))
        return (img if rng.random() < 0.5 else img.transpose(1, 0, 2)).astype(np.float32).copy()
    if kind == 2:
        coarse = rng.uniform(-40, 40, size=(4, 4, 3)).astype(np.float32)
        return np.clip(base + cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC), 0, 255)
    cell = max(2, size // int(rng.integers(4, 9)))
    yy, xx = np.mgrid[:size, :size]
    checker = ((yy // cell + xx // cell) % 2).astype(np.float32)[..., None]
    return (base + (checker - 0.5) * 30).astype(np.float32)


def _texture(fill: str, rng: np.random.Generator, size: int) -> np.ndarray:
    """The fill of one object over the whole canvas (float32 HxWx3)."""
    if fill in _SOLID_COLOURS:
        colour = np.clip(np.array(_SOLID_COLOURS[fill], np.float32) + rng.uniform(-15, 15, size=3), 0, 255)
        return np.broadcast_to(colour, (size, size, 3)).astype(np.float32)
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    if fill == 'striped':
        theta = rng.uniform(0, math.pi)
        period = max(3.0, size / 10)
        bands = (np.floor((xx * math.cos(theta) + yy * math.sin(theta)) / period * 2) % 2)[..., None]
        return np.where(bands > 0, 245.0, 25.0).astype(np.float32) * np.ones(3, np.float32)
    if fill == 'dotted':
        period = max(4.0, size / 9)
        dist = np.hypot((xx % period) - period / 2, (yy % period) - period / 2)[..., None]
        return np.where(dist < period / 4, np.float32(30), np.float32(240)) * np.ones(3, np.float32)
    raise ValueError(f'unknown fill {fill!r}')


def _caption(labels: Sequence[int]) -> str:
    """'a photo of a red circle and two blue squares', objects listed in order of first appearance."""
    counts: Dict[int, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    phrases = []
    for label, count in counts.items():
        name = CLASSES[label]
        phrases.append(f'{_NUMBER_WORDS[count]} {name}' + ('s' if count > 1 else ''))
    listing = phrases[0] if len(phrases) == 1 else ', '.join(phrases[:-1]) + ' and ' + phrases[-1]
    return f'a photo of {listing}'


def _captions(labels: Sequence[int]) -> List[str]:
    """Five captions of one image (as COCO has five), the first one :func:`_caption`'s."""
    first = _caption(labels)
    listing = first[len('a photo of '):]
    backwards = _caption(labels[::-1])[len('a photo of '):]
    return [first, f'an image with {listing}', f'a picture showing {backwards}', f'{listing[0].upper()}{listing[1:]}.',
            f'a synthetic scene containing {backwards}']


def render_image(spec: DemoShapesSpec, split: str, index: int) -> Tuple[np.ndarray, np.ndarray, List[dict]]:
    """Render one image deterministically.

    Args:
        spec: generation parameters.
        split: ``'train'`` or ``'val'``.
        index: image index inside the split.

    Returns:
        ``(image uint8 HxWx3 RGB, semantic mask uint8 HxW, objects)``; each object is a dict with ``label``
        (0-based index into CLASSES), ``polygon`` (N, 2) and ``mask`` (bool HxW).
    """
    rng = np.random.default_rng([spec.seed, SPLITS.index(split), index])
    size = spec.size
    image = _background(rng, size)
    seg = np.zeros((size, size), np.uint8)
    boxes: List[Tuple[float, float, float, float]] = []
    objects: List[dict] = []
    for _ in range(int(rng.integers(1, spec.max_objects + 1))):
        for _attempt in range(50):
            radius = rng.uniform(0.11, 0.2) * size
            cx, cy = rng.uniform(radius + 1, size - radius - 1, size=2)
            box = (cx - radius, cy - radius, cx + radius, cy + radius)
            if all(box[2] + 2 < b[0] or b[2] + 2 < box[0] or box[3] + 2 < b[1] or b[3] + 2 < box[1] for b in boxes):
                break
        else:
            continue  # no free space left for another object
        label = int(rng.integers(len(CLASSES)))
        fill, shape = CLASSES[label].split()
        polygon = _polygon(shape, cx, cy, radius, rng.uniform(0, 2 * math.pi))
        polygon = np.round(polygon, 2)  # the precision written to the annotation file
        # Rasterised by pycocotools itself, so the masks are exactly what COCO tools decode from the polygons.
        mask = mask_utils.decode(mask_utils.frPyObjects([polygon.reshape(-1).tolist()], size, size))[..., 0] > 0
        if not mask.any():
            continue
        image[mask] = _texture(fill, rng, size)[mask]
        seg[mask] = label + 1
        boxes.append(box)
        objects.append(dict(label=label, polygon=polygon, mask=mask))
    image = np.clip(image + rng.normal(0, 4, size=image.shape), 0, 255).astype(np.uint8)
    return image, seg, objects


def _coco_annotation(obj: dict, ann_id: int, image_id: int) -> dict:
    ys, xs = np.nonzero(obj['mask'])
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    return dict(id=ann_id, image_id=image_id, category_id=obj['label'] + 1, iscrowd=0,
                bbox=[float(x0), float(y0), float(x1 - x0), float(y1 - y0)], area=float(obj['mask'].sum()),
                segmentation=[obj['polygon'].reshape(-1).tolist()])


def _write_caption_forms(root: str, split: str, images: List[dict], captions: List[dict], num_shards: int) -> None:
    """The COCO captions of one split again as CSV, JSONL and tar shards (with a shard list file)."""
    by_image: Dict[int, List[str]] = {}
    for caption in captions:
        by_image.setdefault(caption['image_id'], []).append(caption['caption'])
    records = [dict(key=os.path.splitext(img['file_name'])[0], file=img['file_name'],
                    image_file=os.path.join(root, 'images', split, img['file_name']), captions=by_image[img['id']])
               for img in images]
    for ext in ('csv', 'jsonl'):
        write_caption_table(os.path.join(root, 'annotations', f'captions_{split}.{ext}'), records)
    if records:
        shards = write_caption_shards(os.path.join(root, 'shards', split), records, num_shards)
        with open(os.path.join(root, 'shards', f'{split}.txt'), 'w') as f:
            f.writelines(os.path.relpath(path, root) + '\n' for path in shards)


def generate_demo_shapes(root: str, spec: DemoShapesSpec = DemoShapesSpec()) -> Dict[str, int]:
    """Write the demo dataset under ``root`` (see the module docstring for the layout).

    Args:
        root: output folder; created if needed, existing files are overwritten.
        spec: generation parameters.

    Returns:
        Number of images written per split.
    """
    if spec.size < 32:
        raise ValueError(f'DemoShapesSpec.size must be at least 32 pixels, got {spec.size}')
    if spec.max_objects < 1:
        raise ValueError(f'DemoShapesSpec.max_objects must be at least 1, got {spec.max_objects}')
    categories = [dict(id=i + 1, name=name, supercategory='shape') for i, name in enumerate(CLASSES)]
    os.makedirs(os.path.join(root, 'annotations'), exist_ok=True)
    counts = {}
    for split, num in (('train', spec.num_train), ('val', spec.num_val)):
        for sub in ('images', 'seg_masks'):
            os.makedirs(os.path.join(root, sub, split), exist_ok=True)
        images, instances, captions = [], [], []
        for index in range(num):
            image, seg, objects = render_image(spec, split, index)
            name = f'{index:06d}.png'
            Image.fromarray(image).save(os.path.join(root, 'images', split, name))
            Image.fromarray(seg).save(os.path.join(root, 'seg_masks', split, name))
            image_id = index + 1
            images.append(dict(id=image_id, file_name=name, width=spec.size, height=spec.size))
            for obj in objects:
                instances.append(_coco_annotation(obj, len(instances) + 1, image_id))
            for caption in _captions([o['label'] for o in objects]):
                captions.append(dict(id=len(captions) + 1, image_id=image_id, caption=caption))
        info = dict(description='contrastive-align demo shapes', version=FORMAT_VERSION)
        files = dict(instances=dict(info=info, images=images, annotations=instances, categories=categories),
                     captions=dict(info=info, images=images, annotations=captions))  # COCO captions: no categories
        for kind, payload in files.items():
            with open(os.path.join(root, 'annotations', f'{kind}_{split}.json'), 'w') as f:
                json.dump(payload, f)
        _write_caption_forms(root, split, images, captions, spec.num_shards)
        write_demo_text_annotations(root, split, images, instances, CLASSES, spec.size)  # DreamLIP / uCLIP
        counts[split] = num
    meta = dict(format_version=FORMAT_VERSION, classes=list(CLASSES), seg_classes=list(SEG_CLASSES),
                seg_palette=[list(c) for c in SEG_PALETTE], spec=asdict(spec))
    with open(os.path.join(root, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
    return counts


def is_generated(root: str, spec: DemoShapesSpec) -> bool:
    """Whether ``root`` already holds demo data generated with ``spec`` by this format version.

    Args:
        root: dataset folder.
        spec: the wanted generation parameters.

    Returns:
        True when ``root/meta.json`` matches and every image, mask and annotation file is present.
    """
    try:
        with open(os.path.join(root, 'meta.json')) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    if meta.get('format_version') != FORMAT_VERSION or meta.get('spec') != asdict(spec):
        return False
    for split, num in (('train', spec.num_train), ('val', spec.num_val)):
        for sub in ('images', 'seg_masks'):
            folder = os.path.join(root, sub, split)
            if not os.path.isdir(folder) or len(os.listdir(folder)) != num:
                return False
        for name in ('instances.json', 'captions.json', 'captions.csv', 'captions.jsonl', 'long_captions.json'):
            kind, ext = name.split('.')
            if not os.path.isfile(os.path.join(root, 'annotations', f'{kind}_{split}.{ext}')):
                return False
        if num and not os.path.isfile(os.path.join(root, 'shards', f'{split}.txt')):
            return False
    return True
