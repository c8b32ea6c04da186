"""Image-text contrastive pre-training: the CLIP pretrainer, the image-caption dataset and its packing transform."""
from .caption_dataset import ImageCaptionDataset
from .clip_pretrainer import CLIPPretrainer
from .pack_inputs import PackImageCaption

__all__ = ['ImageCaptionDataset', 'CLIPPretrainer', 'PackImageCaption']
