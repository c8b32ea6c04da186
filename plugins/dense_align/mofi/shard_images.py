"""Images inside webdataset tar shards, named ``<shard>.tar/<key>.<ext>`` (as I2E labels name them): the split of
such a name, an index of a shard's members (byte offset and size) and random access to one member."""
import os.path as osp
import tarfile
from typing import Dict, Optional, Tuple

_MARK = '.tar/'


def split_shard_path(path: str) -> Optional[Tuple[str, str]]:
    """``'<dir>/00000.tar/<key>.<ext>'`` -> ``('<dir>/00000.tar', '<key>.<ext>')``; None for any other path.

    Args:
        path: an image path.

    Returns:
        (shard file, member name), or None when no ``.tar/`` part names an existing file.
    """
    start = 0
    while True:
        at = path.find(_MARK, start)
        if at < 0:
            return None
        shard = path[:at + len(_MARK) - 1]
        if osp.isfile(shard):
            return shard, path[at + len(_MARK):]
        start = at + 1


def index_shard(shard: str) -> Dict[str, Tuple[int, int]]:
    """Byte offset and size of every regular member of an uncompressed tar (one pass over its headers).

    Args:
        shard: the tar file.

    Returns:
        member name -> (offset of its data, size).

    Raises:
        ValueError: the file is not a readable uncompressed tar.
    """
    try:
        with tarfile.open(shard, mode='r:') as tar:
            return {m.name: (m.offset_data, m.size) for m in tar if m.isfile()}
    except tarfile.TarError as err:
        raise ValueError(f'shard {shard} is not a readable uncompressed tar ({err})') from err


def read_member(shard: str, offset: int, size: int) -> bytes:
    """The bytes of one member, from its index entry.

    Args:
        shard: the tar file.
        offset: byte offset of the member's data.
        size: its size.

    Returns:
        The member's bytes.
    """
    with open(shard, 'rb') as f:
        f.seek(offset)
        data = f.read(size)
    if len(data) != size:
        raise ValueError(f'shard {shard}: member at byte {offset} is cut short ({len(data)} of {size} bytes); '
                         f'the shard changed since it was indexed')
    return data
