"""Write images with several captions each as a CSV / JSONL table and as webdataset tar shards."""
import csv
import io
import json
import os
import os.path as osp
import tarfile
from typing import List, Sequence


def write_caption_table(path: str, records: Sequence[dict], img_key: str = 'filepath',
                        caption_key: str = 'caption') -> None:
    """Write one row per caption (``.csv``, ``.tsv`` or ``.jsonl``), rows of an image consecutive.

    Args:
        path: output file; the extension picks the form.
        records: ``dict(file, captions)`` per image.
        img_key: image-path column.
        caption_key: caption column.
    """
    rows = [{img_key: r['file'], caption_key: c} for r in records for c in r['captions']]
    ext = osp.splitext(path)[1].lower()
    if ext == '.jsonl':
        with open(path, 'w', encoding='utf-8') as f:
            f.writelines(json.dumps(row) + '\n' for row in rows)
    elif ext in ('.csv', '.tsv'):
        with open(path, 'w', newline='', encoding='utf-8') as f:
            writer = csv.DictWriter(f, fieldnames=[img_key, caption_key], delimiter=',' if ext == '.csv' else '\t')
            writer.writeheader()
            writer.writerows(rows)
    else:
        raise ValueError(f'{path}: expected a .csv, .tsv or .jsonl file name')


def _add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o644  # fixed metadata: identical bytes on every run
    tar.addfile(info, io.BytesIO(data))


def write_caption_shards(folder: str, records: Sequence[dict], num_shards: int) -> List[str]:
    """Write the img2dataset layout: per sample ``{key}.<ext>`` (the image file's bytes), ``{key}.txt`` (the first
    caption) and ``{key}.json`` (``key``, ``file``, all ``captions``), images split into consecutive shards.

    Args:
        folder: output folder; shards are named ``00000.tar``, ``00001.tar``...
        records: ``dict(key, image_file, file, captions)`` per image; ``image_file`` is read as bytes.
        num_shards: number of shards (at most one per image).

    Returns:
        The written shard paths.
    """
    os.makedirs(folder, exist_ok=True)
    num_shards = max(1, min(num_shards, len(records)))
    bounds = [round(i * len(records) / num_shards) for i in range(num_shards + 1)]
    paths = []
    for shard in range(num_shards):
        path = osp.join(folder, f'{shard:05d}.tar')
        with tarfile.open(path, 'w', format=tarfile.USTAR_FORMAT) as tar:
            for r in records[bounds[shard]:bounds[shard + 1]]:
                ext = osp.splitext(r['image_file'])[1].lstrip('.').lower()
                with open(r['image_file'], 'rb') as f:
                    _add_member(tar, f"{r['key']}.{ext}", f.read())
                _add_member(tar, f"{r['key']}.txt", r['captions'][0].encode('utf-8'))
                meta = dict(key=r['key'], file=r['file'], captions=list(r['captions']))
                _add_member(tar, f"{r['key']}.json", json.dumps(meta).encode('utf-8'))
        paths.append(path)
    return paths
