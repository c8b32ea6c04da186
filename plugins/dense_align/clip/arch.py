"""Looks up a named model size, or accepts an explicit settings dict."""
from typing import Dict, Union


def resolve_arch(arch: Union[str, dict], table: Dict[str, dict], owner: str) -> dict:
    """Return the settings of ``arch``.

    Args:
        arch: a key of ``table`` or a dict of settings.
        table: the named sizes.
        owner: class name for the error message.

    Returns:
        A copy of the settings.

    Raises:
        KeyError: naming the unknown arch and the known ones.
    """
    if isinstance(arch, str):
        if arch not in table:
            raise KeyError(f'{owner}: unknown arch {arch!r}; expected one of {sorted(table)} or a dict')
        arch = table[arch]
    return dict(arch)
