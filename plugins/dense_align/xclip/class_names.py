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
        ValueError: a malformed line, a blank name, duplicate ids, or ids that are not 0..K-1.
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
            if not names[index]:
                raise ValueError(f'{path}:{line_no}: class {index} has a blank name')
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
        The names, stripped.

    Raises:
        ValueError: no name, or a blank one.
    """
    if isinstance(class_names, str):
        return read_class_file(class_names)
    names = [str(n).strip() for n in class_names]
    if not names:
        raise ValueError('class_names is empty')
    blank = [i for i, name in enumerate(names) if not name]
    if blank:
        raise ValueError(f'class_names: the name at index {blank[0]} is blank ({len(blank)} blank of {len(names)})')
    return names


def check_same_classes(model_names: Sequence[str], model_source: str, dataset_names: Sequence[str],
                       dataset_source: str) -> None:
    """Require the model to score exactly the dataset's classes, in the dataset's order (label i = name i).

    Args:
        model_names: the model's class names.
        model_source: where they came from (a file, or ``'a list'``), for the message.
        dataset_names: the dataset's class names (its class file).
        dataset_source: the dataset's class file, for the message.

    Raises:
        ValueError: naming both sources, when the lengths differ or the first name that differs.
    """
    model_names, dataset_names = list(model_names), list(dataset_names)
    if model_names == dataset_names:
        return
    both = f'model.class_names ({model_source}) and the dataset\'s class file ({dataset_source})'
    if len(model_names) != len(dataset_names):
        raise ValueError(f'{both} differ: {len(model_names)} vs {len(dataset_names)} classes; the labels index '
                         'the class file, so the model must score the same list (for zero-shot tests set both)')
    i = next(i for i, (a, b) in enumerate(zip(model_names, dataset_names)) if a != b)
    order = ' (same names, another order)' if sorted(model_names) == sorted(dataset_names) else ''
    raise ValueError(f'{both} differ at class {i}: {model_names[i]!r} vs {dataset_names[i]!r}{order}; the labels '
                     'index the class file, so the model must score the same list (for zero-shot tests set both)')
