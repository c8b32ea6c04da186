"""Multilingual image-caption evaluation data in uCLIP's XM3600 layout: one JSON per language, a list of
``{"filename", "captions_en", "captions_translated"}`` (``test_data/xm3600/captions_<lang>.json``)."""
import json
import os.path as osp
from typing import Dict, List, Sequence

from mmengine.dataset import BaseDataset

from ..registry import DATASETS


@DATASETS.register_module()
class MultilingualCaptionDataset(BaseDataset):
    """Images with one caption per language (the images every language file lists, in the first file's order).

    Args:
        languages: language codes; ``'en'`` reads ``captions_en`` of the first other file (or ``captions_en.json``).
        ann_pattern: file of one language, ``{lang}`` replaced (e.g. ``'annotations/multilingual/captions_{lang}
            _val.json'``), relative to ``data_root``.
        **kwargs: ``BaseDataset`` arguments (``data_root``, ``data_prefix=dict(img=...)``, ``pipeline``...).

    Items: ``img_path``, ``img_id`` (the file name), ``captions_by_lang`` {lang: [caption]}.
    """

    def __init__(self, languages: Sequence[str], ann_pattern: str, **kwargs) -> None:
        if not languages:
            raise ValueError('MultilingualCaptionDataset: no languages given')
        self.languages = list(languages)
        self.ann_pattern = ann_pattern
        super().__init__(ann_file='', **kwargs)

    def _read(self, lang: str) -> Dict[str, dict]:
        path = osp.join(self.data_root, self.ann_pattern.format(lang=lang))
        if not osp.isfile(path):
            raise FileNotFoundError(f'MultilingualCaptionDataset: language {lang!r} is missing from the evaluation '
                                    f'set (no file {path})')
        with open(path, encoding='utf-8') as f:
            rows = json.load(f)
        return {row['filename']: row for row in rows}

    def load_data_list(self) -> List[dict]:
        """Returns:
            One dict per image.
        """
        others = [lang for lang in self.languages if lang != 'en']
        tables = {lang: self._read(lang) for lang in others}
        if 'en' in self.languages and not others:
            tables['en'] = self._read('en')
        first = next(iter(tables.values()))
        names = [name for name in first if all(name in t for t in tables.values())]
        data_list = []
        for name in names:
            by_lang = {lang: [tables[lang][name]['captions_translated']] for lang in others}
            if 'en' in self.languages:
                by_lang['en'] = [first[name]['captions_en']]
            data_list.append(dict(img_path=osp.join(self.data_prefix.get('img', ''), name), img_id=name,
                                  captions_by_lang=by_lang))
        return data_list
