"""Image-text contrastive pre-training: the CLIP pretrainer, the image-caption and zero-shot classification datasets,
caption tokenisation and packing, and open_clip's weight-decay rule."""
from .caption_dataset import ImageCaptionDataset
from .classification_dataset import ZeroShotClassificationDataset
from .clip_pretrainer import CLIPPretrainer
from .pack_inputs import PackImageCaption
from .param_groups import NoDecayOnVectorsConstructor
from .tokenize_caption import TokenizeCaption

__all__ = ['ImageCaptionDataset', 'ZeroShotClassificationDataset', 'CLIPPretrainer',
           'PackImageCaption', 'NoDecayOnVectorsConstructor', 'TokenizeCaption']
