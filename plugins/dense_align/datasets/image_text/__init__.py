"""Image-text data shared by every image-text method: caption files, webdataset shards, caption sampling.

Every item's data info has ``img_path: str``, ``img_id: int | str`` and ``captions: List[str]`` (all captions of the
image); ``SampleCaption`` picks the one used in a training iteration. See README.md in this folder.
"""
from .caption_file_dataset import CaptionFileDataset
from .caption_files import group_by_image, read_caption_file
from .caption_shard_dataset import CaptionShardDataset
from .sample_caption import SampleCaption
from .shard_resume_hook import ShardResumeHook
from .shard_list import expand_shards, pass_order, slot_shards
from .shard_sample import CorruptSampleError, decode_sample

__all__ = ['CaptionFileDataset', 'CaptionShardDataset', 'CorruptSampleError', 'SampleCaption', 'ShardResumeHook',
           'decode_sample', 'expand_shards', 'group_by_image', 'pass_order', 'read_caption_file', 'slot_shards']
