"""Read caption annotation files into one record per image with all of its captions.

Forms read (chosen by extension and content):

* COCO captions JSON: ``{"images": [{"id", "file_name"}], "annotations": [{"image_id", "caption"}]}``; all
  captions of an image are kept, in annotation order (COCO has five per image).
* A JSON list of records (the BLIP / ALBEF Karpathy-split files): ``[{"image": path, "caption": str or [str]}]``;
  records naming the same image are merged, so the one-record-per-caption training files group as well.
* JSONL (one record per line) and CSV / TSV (``filepath,caption`` columns by default), one row per caption or per
  image; rows naming the same image are grouped.

Every form gives ``dict(file=str, img_id=int | str, captions=[str, ...])`` records, images in order of first
appearance and captions in file order.
"""
import csv
import json
import os.path as osp
from typing import Dict, Iterable, List, Optional, Union

ImageId = Union[int, str]


def _as_caption_list(value, where: str) -> List[str]:
    """A caption field (a string or a list of strings) as a list of strings."""
    captions = [value] if isinstance(value, str) else value
    if not isinstance(captions, list) or not captions or not all(isinstance(c, str) for c in captions):
        raise ValueError(f'{where}: the caption must be a string or a non-empty list of strings, got {value!r}')
    return captions


def group_by_image(rows: Iterable[dict], path: str, img_key: str, caption_key: str,
                   id_key: Optional[str]) -> List[dict]:
    """Merge rows that name the same image.

    Args:
        rows: records with an image path under ``img_key`` and a caption (string or list) under ``caption_key``.
        path: the file the rows come from (for error messages).
        img_key: key (column) of the image path.
        caption_key: key (column) of the caption(s).
        id_key: key (column) of an image id; where absent from a row, the image path is its id.

    Returns:
        One ``dict(file, img_id, captions)`` per image, in order of first appearance.

    Raises:
        KeyError: a row lacks ``img_key`` or ``caption_key``.
        ValueError: an empty caption field, or one image given two different ids.
    """
    records: Dict[str, dict] = {}
    for i, row in enumerate(rows):
        where = f'{path}: row {i}'
        if not isinstance(row, dict) or img_key not in row or caption_key not in row:
            found = sorted(row) if isinstance(row, dict) else type(row).__name__
            raise KeyError(f'{where} needs the keys {img_key!r} and {caption_key!r}; found {found}')
        file = row[img_key]
        img_id = row.get(id_key, file) if id_key else file
        if file not in records:
            records[file] = dict(file=file, img_id=img_id, captions=[])
        elif records[file]['img_id'] != img_id:
            raise ValueError(f'{where}: image {file!r} has the id {img_id!r} here and '
                             f'{records[file]["img_id"]!r} before')
        records[file]['captions'].extend(_as_caption_list(row[caption_key], where))
    return list(records.values())


def _coco_captions(data: dict, path: str) -> List[dict]:
    """Records of a COCO captions file; images without any caption are left out."""
    captions: Dict[ImageId, List[str]] = {}
    for i, ann in enumerate(data['annotations']):
        if 'image_id' not in ann or 'caption' not in ann:
            raise KeyError(f'{path}: annotation {i} needs "image_id" and "caption", has {sorted(ann)}')
        captions.setdefault(ann['image_id'], []).append(ann['caption'])
    known = {img['id'] for img in data['images']}
    unknown = sorted(set(captions) - known, key=str)
    if unknown:
        raise ValueError(f'{path}: captions of image ids missing from "images": {unknown[:5]}')
    return [dict(file=img['file_name'], img_id=img['id'], captions=captions[img['id']])
            for img in data['images'] if img['id'] in captions]


def read_caption_file(path: str, img_key: str = 'filepath', caption_key: str = 'caption',
                      id_key: Optional[str] = 'image_id') -> List[dict]:
    """Read an annotation file of any supported form (see the module docstring).

    Args:
        path: ``.json`` (COCO captions or a record list), ``.jsonl``, ``.csv`` or ``.tsv``.
        img_key: image-path key of CSV/TSV/JSONL rows; JSON record lists use ``"image"`` (the BLIP layout) when
            their records lack ``img_key``.
        caption_key: caption key of record lists and table rows.
        id_key: optional image-id key of record lists and table rows (the image path is the id otherwise).

    Returns:
        One ``dict(file, img_id, captions)`` per image.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: an unknown extension or JSON layout, or a file without any caption.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'caption file {path} does not exist')
    ext = osp.splitext(path)[1].lower()
    if ext in ('.csv', '.tsv'):
        with open(path, newline='', encoding='utf-8') as f:
            records = group_by_image(csv.DictReader(f, delimiter=',' if ext == '.csv' else '\t'), path, img_key,
                                     caption_key, id_key)
    elif ext == '.jsonl':
        with open(path, encoding='utf-8') as f:
            rows = [json.loads(line) for line in f if line.strip()]
        records = group_by_image(rows, path, img_key, caption_key, id_key)
    elif ext == '.json':
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        if isinstance(data, dict) and 'images' in data and 'annotations' in data:
            records = _coco_captions(data, path)
        elif isinstance(data, list):
            key = img_key if data and isinstance(data[0], dict) and img_key in data[0] else 'image'
            records = group_by_image(data, path, key, caption_key, id_key)
        else:
            raise ValueError(f'{path}: expected COCO captions ({{"images", "annotations"}}) or a list of '
                             f'{{"image", "caption"}} records')
    else:
        raise ValueError(f'{path}: unknown caption file type {ext!r}; expected .json, .jsonl, .csv or .tsv')
    if not records:
        raise ValueError(f'{path} holds no captions')
    return records
