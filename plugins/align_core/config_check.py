"""Checks a config's dataset paths before the Runner starts, so a missing folder or annotation file is reported in
one line naming the config key, not as a traceback from deep inside a dataset class."""
import os.path as osp
import re
from typing import Any, Iterator, List, Sequence, Tuple

DATALOADER_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class ConfigPathError(FileNotFoundError):
    """A path named in the config does not exist."""


def _dataset_configs(dataset: Any, key: str) -> Iterator[Tuple[str, dict]]:
    """Yield ``(config key, dataset dict)`` for a dataset and the datasets it wraps."""
    if not isinstance(dataset, dict):
        return
    yield key, dataset
    if isinstance(dataset.get('dataset'), dict):
        yield from _dataset_configs(dataset['dataset'], f'{key}.dataset')
    for i, child in enumerate(dataset.get('datasets') or []):
        yield from _dataset_configs(child, f'{key}.datasets[{i}]')


#: ``scheme:`` prefixes (``s3://``, ``http://``, ``gensim:``...) name data the dataset resolves itself, not a local
#: file; one letter before the colon is a Windows drive.
_SCHEME = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]+:')


def _is_local(path: Any) -> bool:
    return isinstance(path, str) and bool(path) and not _SCHEME.match(path)


def missing_data_paths(cfg: Any, loaders: Sequence[str] = DATALOADER_KEYS) -> List[str]:
    """List the dataset paths of a config that do not exist on disk.

    Looks at ``data_root``, ``ann_file`` and every ``data_prefix`` entry of the train/val/test datasets (wrapped
    datasets included), joined with ``data_root`` the way mmengine's ``BaseDataset`` joins them.

    Args:
        cfg: an mmengine ``Config`` or dict.
        loaders: the dataloader keys to check.

    Returns:
        One message per missing path, e.g. ``"train_dataloader.dataset.ann_file: data/x.json does not exist"``.
    """
    problems = []
    for loader_key in loaders:
        loader = cfg.get(loader_key)
        if not isinstance(loader, dict):
            continue
        for key, dataset in _dataset_configs(loader.get('dataset'), f'{loader_key}.dataset'):
            root = dataset.get('data_root') or ''
            if _is_local(root) and not osp.isdir(root):
                problems.append(f'{key}.data_root: folder {root} does not exist')
                continue
            candidates = [('ann_file', dataset.get('ann_file'))]
            candidates += [(f'data_prefix.{k}', v) for k, v in (dataset.get('data_prefix') or {}).items()]
            for sub_key, value in candidates:
                if not _is_local(value):
                    continue
                path = value if osp.isabs(value) or not root else osp.join(root, value)
                if not osp.exists(path):
                    problems.append(f'{key}.{sub_key}: {path} does not exist')
    return problems


def check_data_paths(cfg: Any, loaders: Sequence[str] = DATALOADER_KEYS) -> None:
    """Raise :class:`ConfigPathError` listing every missing dataset path of ``cfg``.

    Args:
        cfg: an mmengine ``Config`` or dict.
        loaders: the dataloader keys to check.
    """
    problems = missing_data_paths(cfg, loaders)
    if problems:
        raise ConfigPathError('; '.join(problems))
