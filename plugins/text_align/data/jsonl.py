"""Line-by-line reading of JSONL files, shared by the text readers: blank lines skipped, every error naming the file
and the line, an empty file refused."""
import json
import os.path as osp
from typing import Iterator, Tuple


def jsonl_records(path: str, owner: str, item: str = 'record') -> Iterator[Tuple[str, int, object]]:
    """The JSON value of every non-blank line of a file.

    Args:
        path: the ``.jsonl`` file.
        owner: the reader's name, which starts every error message.
        item: what one line holds (e.g. ``'dialog'``), for the empty-file message.

    Yields:
        ``(where, line_no, record)``: ``where`` is ``'<path>:<line_no>'`` (for the caller's own error messages),
        ``line_no`` counts from 1, ``record`` is the parsed value (not checked to be an object).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a line that is not valid JSON (file and line named), or a file without any non-blank line.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{owner}: {path} does not exist')
    found = False
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f'{path}:{line_no}'
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f'{owner}: {where}: not valid JSON ({err.msg})') from None
            found = True
            yield where, line_no, record
    if not found:
        raise ValueError(f'{owner}: {path} holds no {item} (no non-blank line)')
