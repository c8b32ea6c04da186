"""Images labelled with entities (the I2E output): a JSONL file of ``{"image": path, "labels": [class index, ...]}``
plus the entity table. An image is a file, or a member of a webdataset tar shard named ``<shard>.tar/<key>.<ext>``."""
import json
import os.path as osp
from typing import Dict, List, Tuple

from mmcv.transforms import LoadImageFromFile
from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .entity_table import entity_text, read_entity_table
from .entity_transforms import LoadEntityImage
from .shard_images import index_shard, split_shard_path


@DATASETS.register_module()
class EntityImageDataset(BaseDataset):
    """Entity-labelled images for MOFI.

    Each data info holds ``img_path``, ``img_id``, ``entity_labels`` (class indices = lines of the entity table),
    ``entity_texts`` (the text of each label: name, with the description when ``with_description``) and
    ``gt_label`` (the first label; instance class for retrieval metrics).

    An ``image`` of the form ``<shard>.tar/<member>`` (what I2E writes for webdataset input) is read from inside
    that uncompressed tar: each shard's members are indexed once here, and the data info gets ``shard``,
    ``shard_offset`` and ``shard_size``, which ``LoadEntityImage`` reads (``LoadImageFromFile`` cannot).

    Args:
        ann_file: JSONL, one image per line: ``image`` (path relative to ``data_prefix['img']``, or
            ``<shard>.tar/<key>.<ext>``), ``labels`` (list
            of class indices; an ``id`` string list under ``entity_ids`` is accepted instead), optional ``key``.
        entity_file: the entity table (JSONL; see :mod:`.entity_table`); relative paths are under ``data_root``.
        with_description: append entity descriptions to the names.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(self, ann_file: str, entity_file: str, with_description: bool = True, **kwargs) -> None:
        self.entity_file = entity_file
        self.with_description = with_description
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the labelled images; entity names go to ``metainfo['classes']``.

        Returns:
            One dict per image.
        """
        entity_path = self.entity_file if osp.isabs(self.entity_file) else osp.join(self.data_root, self.entity_file)
        entities = read_entity_table(entity_path)
        by_id = {e.id: i for i, e in enumerate(entities)}
        texts = [entity_text(e, self.with_description) for e in entities]
        self._metainfo['classes'] = tuple(e.name for e in entities)
        prefix = self.data_prefix.get('img', '')
        shards: Dict[str, Dict[str, Tuple[int, int]]] = {}
        data_list = []
        with open(self.ann_file, encoding='utf-8') as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                record = json.loads(line)
                where = f'{self.ann_file}:{number} (image {record.get("image")!r})'
                labels = self._labels(record, by_id, len(entities), where)
                info = dict(img_path=osp.join(prefix, record['image']), img_id=record.get('key', record['image']),
                            entity_labels=labels, entity_texts=[texts[i] for i in labels], gt_label=labels[0])
                info.update(self._shard_member(info['img_path'], shards, where))
                data_list.append(info)
        if not data_list:
            raise ValueError(f'EntityImageDataset: {self.ann_file} holds no labelled image')
        loaders = [t for t in self.pipeline.transforms if isinstance(t, LoadImageFromFile)]
        if shards and loaders and not any(isinstance(t, LoadEntityImage) for t in loaders):
            raise ValueError(f'EntityImageDataset: {self.ann_file} names images inside tar shards (e.g. '
                             f'{next(iter(shards))}); load them with dict(type="LoadEntityImage") instead of '
                             f'{type(loaders[0]).__name__} in the pipeline')
        return data_list

    @staticmethod
    def _shard_member(path: str, shards: Dict[str, Dict[str, Tuple[int, int]]], where: str) -> dict:
        """``shard``, ``shard_offset`` and ``shard_size`` of an image inside a tar shard; {} for an image file."""
        split = split_shard_path(path)
        if split is None:
            return {}
        shard, member = split
        if shard not in shards:
            shards[shard] = index_shard(shard)
        if member not in shards[shard]:
            raise FileNotFoundError(f'{where}: shard {shard} has no member {member!r}')
        offset, size = shards[shard][member]
        return dict(shard=shard, shard_offset=offset, shard_size=size)

    @staticmethod
    def _labels(record: dict, by_id: dict, num: int, where: str) -> List[int]:
        """Class indices of one record, checked against the vocabulary."""
        if 'image' not in record:
            raise KeyError(f'{where}: a record needs "image"')
        if 'labels' in record:
            labels = record['labels']
            bad = [c for c in labels if not isinstance(c, int) or not 0 <= c < num]
            if bad:
                raise ValueError(f'{where}: label(s) {bad} outside the entity table\'s {num} classes')
        elif 'entity_ids' in record:
            missing = [e for e in record['entity_ids'] if e not in by_id]
            if missing:
                raise ValueError(f'{where}: entity id(s) {missing} are not in the entity table')
            labels = [by_id[e] for e in record['entity_ids']]
        else:
            raise KeyError(f'{where}: a record needs "labels" (class indices) or "entity_ids"')
        if not labels:
            raise ValueError(f'{where}: the image has no entity label')
        return list(dict.fromkeys(labels))
