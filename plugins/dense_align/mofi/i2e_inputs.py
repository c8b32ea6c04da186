"""The image-text pairs I2E reads, in every form the project's image-text readers take, split into restartable parts:
a caption file (COCO captions JSON, record lists, JSONL, CSV/TSV; images on disk) in parts of ``part_size`` images,
or webdataset tar shards (the img2dataset / DataComp layout ``CaptionShardDataset`` reads) with one part per shard.

Each part yields records ``dict(file, img_id, captions, path | content | error)``: ``path`` of an image on disk,
``content`` the image bytes of a shard sample, ``error`` a message for a shard sample that has no usable caption or
no image (it is counted as a decode failure and skipped).
"""
import os.path as osp
import re
from dataclasses import dataclass
from typing import Callable, Iterator, List, Optional, Sequence, Union

from ..datasets.image_text.caption_files import read_caption_file
from ..datasets.image_text.shard_list import expand_shards
from ..datasets.image_text.shard_sample import CorruptSampleError, sample_captions

_SHARD_PATTERN = re.compile(r'\.tar$|\{\d+\.\.\d+\}|::|\.txt$')
_SCHEME = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')  # a remote shard (http:, s3:, pipe: ...)


@dataclass
class InputPart:
    """One restartable unit of the input: ``source`` names it (checked on restart), ``records()`` reads it."""
    source: str
    records: Callable[[], Iterator[dict]]


def is_shard_input(source: Union[str, Sequence[str]]) -> bool:
    """Whether ``source`` names webdataset shards (a ``.tar``, a brace pattern, ``'::'``-joined patterns, a ``.txt``
    shard list, or a list of them) rather than a caption file."""
    return not isinstance(source, str) or bool(_SHARD_PATTERN.search(source))


def shard_records(url: str, image_exts: Sequence[str], name: Optional[str] = None) -> Iterator[dict]:
    """The samples of one tar shard as I2E records; an unreadable sample gets ``error`` instead of ``content``.

    Args:
        url: the shard.
        image_exts: image extensions to look for, in order of preference.
        name: the shard's name in ``file`` (default: ``url``).

    Yields:
        ``dict(file='<name>/<key>.<ext>', img_id=key, captions, content)`` or ``dict(file, img_id, error)``.
    """
    name = name or url
    from webdataset.tariterators import tarfile_samples
    errors: List[str] = []

    def on_error(exc: Exception) -> bool:  # a broken tar member: note it, go on with the next
        errors.append(f'{url}: unreadable part of the shard ({exc!r})')
        return True

    for raw in tarfile_samples([dict(url=url)], handler=on_error):
        key = raw.get('__key__')
        where = f'{url}: sample {key!r}'
        ext = next((e for e in image_exts if e in raw), None)
        file = f'{name}/{key}.{ext or "?"}'
        try:
            if ext is None:
                raise CorruptSampleError(f'{where}: no image with an extension in {list(image_exts)}')
            captions = sample_captions(raw, where)
        except CorruptSampleError as exc:
            yield dict(file=file, img_id=key, error=str(exc))
            continue
        yield dict(file=file, img_id=key, captions=captions, content=raw[ext])
    for error in errors:
        yield dict(file=url, img_id=None, error=error)


def shard_name(url: str, image_root: str) -> str:
    """A shard's name in the labels: relative to ``image_root`` when it lies inside it (as the images of a caption
    file are), else as given, so that ``EntityImageDataset`` with ``data_root=image_root`` finds it either way."""
    if image_root and not _SCHEME.match(url):
        rel = osp.relpath(osp.abspath(url), osp.abspath(image_root))
        if rel != '..' and not rel.startswith('..' + osp.sep):
            return rel
    return url


def input_parts(source: Union[str, Sequence[str]], image_root: str, part_size: int,
                caption_keys: Optional[dict] = None,
                image_exts: Sequence[str] = ('jpg', 'jpeg', 'png', 'webp')) -> List[InputPart]:
    """Split the input into restartable parts.

    Args:
        source: a caption file, or shards (see :func:`is_shard_input`).
        image_root: folder of the caption file's images, and of relative shard paths.
        part_size: images per part of a caption file (a shard is always one part).
        caption_keys: ``img_key`` / ``caption_key`` / ``id_key`` of a caption file's records.
        image_exts: image extensions looked for in a shard sample.

    Returns:
        The parts, in input order.

    Raises:
        ValueError: ``part_size`` < 1, or an input the readers do not take.
    """
    if part_size < 1:
        raise ValueError(f'I2E: part_size must be >= 1, got {part_size}')
    if is_shard_input(source):
        return [InputPart(url, lambda url=url: shard_records(url, image_exts, shard_name(url, image_root)))
                for url in expand_shards(source, image_root)]
    records = read_caption_file(source, **(caption_keys or {}))
    for record in records:
        record['path'] = osp.join(image_root, record['file'])
    return [InputPart(f'{source}[{start}:{start + part_size}]', lambda chunk=records[start:start + part_size]: iter(chunk))
            for start in range(0, len(records), part_size)]
