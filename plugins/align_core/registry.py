"""Builds child registries of mmengine's root registries for the plugin packages."""
from typing import List

import mmengine.registry as root
from mmengine.registry import Registry


def child_registry(root_name: str, scope: str, locations: List[str]) -> Registry:
    """Create a registry under one of mmengine's root registries.

    Args:
        root_name: attribute name of the root registry in ``mmengine.registry`` (e.g. ``'MODELS'``).
        scope: scope of the new registry (``'dense_align'`` or ``'text_align'``).
        locations: modules imported before the registry is searched, so that registration has happened.

    Returns:
        The child registry.
    """
    parent = getattr(root, root_name)
    return Registry(parent.name, parent=parent, scope=scope, locations=locations)
