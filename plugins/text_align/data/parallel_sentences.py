"""Line-aligned parallel sentence files (Tatoeba style) as one evaluation dataset for ``BitextRetrievalMetric``."""
from typing import List

from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .shipped_corpora import resolve_data_path


@DATASETS.register_module()
class ParallelSentences(BaseDataset):
    """Rows ``dict(side='src' | 'tgt', pair=line index, text)``: every source line, then every target line.

    Args:
        src_file: one sentence per line.
        tgt_file: its translations, line by line.
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, src_file: str, tgt_file: str, **kwargs) -> None:
        self.src_file, self.tgt_file = src_file, tgt_file
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        sides = {}
        for side, path in (('src', self.src_file), ('tgt', self.tgt_file)):
            with open(resolve_data_path(path), encoding='utf-8') as f:
                sides[side] = [line.rstrip('\n') for line in f]
        if len(sides['src']) != len(sides['tgt']) or not sides['src']:
            raise ValueError(f'ParallelSentences: {self.src_file} has {len(sides["src"])} lines and {self.tgt_file} '
                             f'{len(sides["tgt"])}; they must be equal and non-zero')
        return [dict(side=side, pair=i, text=text) for side in ('src', 'tgt') for i, text in enumerate(sides[side])]
