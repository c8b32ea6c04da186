"""Image-caption data with a long caption per image read from a side JSON file."""
import json
import os.path as osp
from typing import List, Optional

from ..imagetext import ImageCaptionDataset
from ..registry import DATASETS


@DATASETS.register_module()
class LongCaptionDataset(ImageCaptionDataset):
    """:class:`ImageCaptionDataset` whose items also carry ``long_caption``.

    Args:
        long_caption_file: JSON object mapping an image id (as a string) or an image file name to its long caption
            (a string, or a list of strings: several MLLM captions). Images missing from it get ``''`` (then
            :class:`SampleSubCaptions` falls back to the short caption and counts them).
        **kwargs: :class:`ImageCaptionDataset` arguments.
    """

    def __init__(self, long_caption_file: Optional[str] = None, **kwargs) -> None:
        self.long_caption_file = long_caption_file
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        """Returns:
            :class:`ImageCaptionDataset`'s items with ``long_caption``.
        """
        data_list = super().load_data_list()
        table = {}
        if self.long_caption_file:
            path = self.long_caption_file
            path = path if osp.isabs(path) else osp.join(self.data_root, path)
            if not osp.isfile(path):
                raise FileNotFoundError(f'LongCaptionDataset: long_caption_file {path} does not exist')
            with open(path, encoding='utf-8') as f:
                table = json.load(f)
            if not isinstance(table, dict):
                raise ValueError(f'LongCaptionDataset: {path} must hold a JSON object {{image id or file name: '
                                 f'long caption}}, got {type(table).__name__}')
        for info in data_list:
            info['long_caption'] = table.get(str(info['img_id']), table.get(osp.basename(info['img_path']), ''))
        return data_list
