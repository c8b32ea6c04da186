"""Class lists for video recognition: a sequence of names, or a class file of ``id,name`` lines."""
import csv
import os.path as osp
from typing import List, Sequence, Union


def read_class_file(path: str) -> List[str]:
    """Read an ``id,name`` file (X-CLIP's ``labels/*.csv``; a header line ``id,name`` is skipped).

    Args:
        path: the file.

    Returns:
        Names ordered by id.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: a malformed line, duplicate ids, or ids that are not 0..K-1.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'class file {path} does not exist')
    names = {}
    with open(path, encoding='utf-8', newline='') as f:
        for line_no, row in enumerate(csv.reader(f), start=1):
            if not row or not ''.join(row).strip():
                continue
            if line_no == 1 and row[0].strip().lower() == 'id':
                continue
            if len(row) < 2 or not row[0].strip().isdigit():
                raise ValueError(f'{path}:{line_no}: expected "id,name", got {",".join(row)!r}')
            index = int(row[0])
            if index in names:
                raise ValueError(f'{path}:{line_no}: id {index} appears twice')
            names[index] = ','.join(row[1:]).strip()
    if sorted(names) != list(range(len(names))):
        missing = sorted(set(range(max(names, default=-1) + 1)) - set(names))
        raise ValueError(f'{path}: class ids must be 0..K-1; missing {missing[:10]}')
    if not names:
        raise ValueError(f'class file {path} names no class')
    return [names[i] for i in range(len(names))]


def resolve_class_names(class_names: Union[str, Sequence[str]]) -> List[str]:
    """Args:
        class_names: a class file path or the names themselves.

    Returns:
        The names.
    """
    if isinstance(class_names, str):
        return read_class_file(class_names)
    names = [str(n) for n in class_names]
    if not names:
        raise ValueError('class_names is empty')
    return names
