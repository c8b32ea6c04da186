"""Decoding of one webdataset sample (``{key}.jpg`` + ``{key}.txt`` [+ ``{key}.json``]) into an image-text item."""
import json
from typing import Dict, Sequence

import mmcv
import numpy as np


class CorruptSampleError(ValueError):
    """A shard sample that cannot be used: a missing or undecodable image or caption."""


def sample_captions(raw: Dict[str, object], where: str) -> list:
    """The captions of a sample: the ``.json`` ``"captions"`` list where present, else the ``.txt`` text.

    Args:
        raw: the sample's members, extension -> bytes.
        where: shard and key, for error messages.

    Returns:
        The captions (strings).

    Raises:
        CorruptSampleError: unreadable ``.json``, a ``"captions"`` that is not a list of strings, non-UTF-8 ``.txt``,
            or no caption at all.
    """
    meta = {}
    if 'json' in raw:
        try:
            meta = json.loads(raw['json'])
        except ValueError as exc:
            raise CorruptSampleError(f'{where}: unreadable .json ({exc})') from exc
    if isinstance(meta, dict) and 'captions' in meta:
        captions = meta['captions']
        if not isinstance(captions, list) or not all(isinstance(c, str) for c in captions):
            raise CorruptSampleError(f'{where}: .json "captions" must be a list of strings')
    elif 'txt' in raw:
        try:
            captions = [raw['txt'].decode('utf-8').strip()]
        except UnicodeDecodeError as exc:
            raise CorruptSampleError(f'{where}: .txt is not UTF-8 ({exc})') from exc
    else:
        raise CorruptSampleError(f'{where}: no caption (.txt, or "captions" in .json)')
    captions = [c for c in captions if c.strip()]
    if not captions:
        raise CorruptSampleError(f'{where}: empty caption')
    return captions


def decode_sample(raw: Dict[str, object], image_exts: Sequence[str]) -> dict:
    """Decode a raw sample as webdataset's tar reader groups it.

    Args:
        raw: ``{'__key__': key, '__url__': shard, 'jpg': bytes, 'txt': bytes, 'json': bytes, ...}``.
        image_exts: image extensions to look for, in order of preference.

    Returns:
        ``dict(img, img_shape, ori_shape, img_path, img_id, captions)``; ``img`` is decoded as mmcv's
        ``LoadImageFromFile`` does (uint8 BGR, H x W x 3); ``img_path`` is ``<shard>/<key>.<ext>``, ``img_id`` the key.

    Raises:
        CorruptSampleError: no image, an image that does not decode, or no usable caption.
    """
    key, url = raw.get('__key__'), raw.get('__url__')
    where = f'{url}: sample {key!r}'
    ext = next((e for e in image_exts if e in raw), None)
    if ext is None:
        found = sorted(k for k in raw if not k.startswith('__'))
        raise CorruptSampleError(f'{where}: no image file with an extension in {list(image_exts)} (found {found})')
    captions = sample_captions(raw, where)
    try:
        img = mmcv.imfrombytes(raw[ext], flag='color', backend='cv2')
    except Exception as exc:  # noqa: BLE001  (any decoder failure makes the sample corrupt)
        raise CorruptSampleError(f'{where}: the .{ext} image does not decode ({exc})') from exc
    if not isinstance(img, np.ndarray) or img.size == 0:
        raise CorruptSampleError(f'{where}: the .{ext} image does not decode')
    return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2], img_path=f'{url}/{key}.{ext}',
                img_id=key, captions=captions)
