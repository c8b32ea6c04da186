"""DreamLIP (Zheng et al., ECCV 2024): language-image pre-training with long captions: sub-caption sampling, the
multi-positive circle loss and the sub-caption grouping loss on a CLIP."""
from .grouping_loss import grouped_patch_embeddings, grouping_loss, grouping_weights
from .long_caption_dataset import LongCaptionDataset
from .multi_positive_loss import circle_loss, multi_positive_loss
from .pack_inputs import PackImageSubCaptions
from .pretrainer import DreamLIPPretrainer
from .sub_captions import SampleSubCaptions, split_sentences
from .zero_shot_segmentation import class_prompt_embeddings, mean_iou, segment_zero_shot

__all__ = ['grouped_patch_embeddings', 'grouping_loss', 'grouping_weights', 'LongCaptionDataset', 'circle_loss',
           'multi_positive_loss', 'PackImageSubCaptions', 'DreamLIPPretrainer', 'SampleSubCaptions',
           'split_sentences', 'class_prompt_embeddings', 'mean_iou', 'segment_zero_shot']
