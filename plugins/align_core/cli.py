"""Turns the errors users make (misspelled type, missing file, unsafe checkpoint) into one clear line."""
import difflib
import re
import sys
from typing import Callable, List, Optional

import mmengine.registry as root

from .checkpoint import UnsafeCheckpointError
from .config_check import ConfigPathError

_NOT_IN_REGISTRY = re.compile(r'(\S+) is not in the (?:(\w+)::)?([\w ]+) registry')


def _all_registered_names(registry_name: str) -> List[str]:
    """Names registered under every registry called ``registry_name`` (all scopes)."""
    names: List[str] = []
    stack = [r for r in vars(root).values() if isinstance(r, root.Registry) and r.name == registry_name]
    while stack:
        registry = stack.pop()
        names.extend(registry.module_dict)
        stack.extend(registry.children.values())
    return names


def explain_registry_error(message: str) -> Optional[str]:
    """Rewrite mmengine's "X is not in the registry" message, with close matches as suggestions.

    Args:
        message: the text of the ``KeyError`` mmengine raised.

    Returns:
        A one-line explanation, or None when the message is not a registry look-up failure.
    """
    match = _NOT_IN_REGISTRY.search(message)
    if not match:
        return None
    name, scope, registry_name = match.group(1).strip('`\'"'), match.group(2), match.group(3)
    where = message[:match.start()].strip(' :\'"')
    line = f'type {name!r} is not registered in the {scope + "::" if scope else ""}{registry_name} registry'
    if where:
        line += f' (while building {where})'
    close = difflib.get_close_matches(name, sorted(set(_all_registered_names(registry_name))), n=3)
    if close:
        line += f'; did you mean {" or ".join(map(repr, close))}?'
    return line + '. Check the spelling, or add the package that registers it to custom_imports.'


def run_tool(main: Callable[[], None], debug: bool = False) -> None:
    """Run a tool's ``main`` and report user errors in one line with exit status 1.

    Args:
        main: the tool's entry point.
        debug: re-raise errors with their full traceback instead.
    """
    try:
        main()
    except (KeyError, FileNotFoundError, UnsafeCheckpointError, ConfigPathError) as err:
        if debug:
            raise
        text = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
        explained = explain_registry_error(text) if isinstance(err, KeyError) else None
        if isinstance(err, KeyError) and explained is None:
            raise
        print(f'error: {explained or text} (rerun with --debug for the traceback)', file=sys.stderr)
        sys.exit(1)
