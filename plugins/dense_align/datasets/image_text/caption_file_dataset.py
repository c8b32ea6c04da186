"""A map-style image-text dataset over one caption annotation file (COCO captions, record lists, JSONL, CSV)."""
import os.path as osp
from typing import List, Optional

from mmengine.dataset import BaseDataset

from ...registry import DATASETS
from .caption_files import read_caption_file


@DATASETS.register_module()
class CaptionFileDataset(BaseDataset):
    """Images with all of their captions, read from a COCO captions JSON, a BLIP-style record list, JSONL or CSV.

    Each item's data info is ``dict(img_path: str, img_id: int | str, captions: List[str])``; a pipeline picks one
    caption per image for training with ``SampleCaption``, and keeps all of them for retrieval evaluation.

    Args:
        ann_file: the annotation file (see :func:`read_caption_file` for the forms), relative to ``data_root``.
        img_key: image-path column of CSV/TSV/JSONL rows (``"image"`` is used for JSON record lists without it).
        caption_key: caption column / key.
        id_key: optional image-id column / key; without it the image path is the id.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (``data_root``, ``data_prefix=dict(img=...)``,
            ``pipeline``, ``test_mode``...).
    """

    def __init__(self, ann_file: str, img_key: str = 'filepath', caption_key: str = 'caption',
                 id_key: Optional[str] = 'image_id', **kwargs) -> None:
        self.img_key = img_key
        self.caption_key = caption_key
        self.id_key = id_key
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the annotation file.

        Returns:
            One dict per image: ``img_path``, ``img_id``, ``captions``.
        """
        records = read_caption_file(self.ann_file, self.img_key, self.caption_key, self.id_key)
        # mmdet-style configs name the folder 'img', mmengine's default is 'img_path'; both are joined to data_root
        prefix = self.data_prefix.get('img', self.data_prefix.get('img_path', '')) or ''
        return [dict(img_path=osp.join(prefix, r['file']), img_id=r['img_id'], captions=r['captions'])
                for r in records]
