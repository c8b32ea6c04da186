"""Open-vocabulary class lists: the base/novel split from dataset metainfo, and the check that no novel class
leaks into the training annotations."""
import json
from typing import List, Optional, Sequence, Tuple

import torch


def split_vocabulary(classes: Sequence[str], novel_classes: Sequence[str], source: str = 'metainfo'
                     ) -> Tuple[List[str], torch.Tensor]:
    """Check the novel names against the class list.

    Args:
        classes: every class name (``metainfo['classes']``), in label order.
        novel_classes: names held out from training (``metainfo['novel_classes']``).
        source: where the lists come from, for error messages.

    Returns:
        ``(base class names in label order, (K, ) bool novel mask)``.
    """
    unknown = sorted(set(novel_classes) - set(classes))
    if unknown:
        raise ValueError(f'{source}: novel_classes {unknown} are not in classes')
    novel = set(novel_classes)
    mask = torch.tensor([name in novel for name in classes], dtype=torch.bool)
    return [name for name in classes if name not in novel], mask


def base_label_map(novel_mask: torch.Tensor) -> torch.Tensor:
    """(K, ) index of every class among the base classes, -1 for novel ones."""
    base = (~novel_mask).long()
    return torch.where(novel_mask, torch.full_like(base, -1), base.cumsum(0) - 1)


def check_no_novel_labels(labels: torch.Tensor, novel_mask: torch.Tensor, classes: Sequence[str],
                          where: str) -> None:
    """Raise a ``ValueError`` naming every novel class present in ``labels`` (a leak of held-out classes).

    Args:
        labels: ground-truth labels (indices into ``classes``).
        novel_mask: (K, ) bool novel mask.
        classes: class names.
        where: the owner, for the message.
    """
    if labels.numel() == 0:
        return
    leaked = sorted({classes[i] for i in labels.unique().tolist() if novel_mask[i]})
    if leaked:
        raise ValueError(f'{where}: training annotations contain novel classes {leaked}; open-vocabulary training '
                         f'must see base classes only (filter the annotation file or fix metainfo["novel_classes"])')


def lvis_rare_names(ann_file: str, frequency: str = 'r') -> List[str]:
    """Names of the LVIS categories with the given ``frequency`` (``'r'``: rare = novel in OV-LVIS).

    Args:
        ann_file: an LVIS annotation JSON.
        frequency: ``'r'``, ``'c'`` or ``'f'``.

    Returns:
        The category names, in file order.
    """
    with open(ann_file) as f:
        categories = json.load(f)['categories']
    missing = [c.get('name', c.get('id')) for c in categories if 'frequency' not in c]
    if missing:
        raise ValueError(f'{ann_file}: categories {missing[:5]} (of {len(missing)}) have no "frequency" field; an '
                         f'LVIS v1 annotation file is needed for the rare/common/frequent split')
    return [c['name'] for c in categories if c['frequency'] == frequency]


def novel_names_from_metainfo(metainfo: dict, ann_file: Optional[str] = None) -> List[str]:
    """``metainfo['novel_classes']``, or the rare LVIS categories of ``ann_file`` when ``metainfo`` has
    ``novel_frequency`` set (e.g. ``'r'``)."""
    if metainfo.get('novel_classes') is not None:
        return list(metainfo['novel_classes'])
    if metainfo.get('novel_frequency') and ann_file:
        return lvis_rare_names(ann_file, metainfo['novel_frequency'])
    return []
