"""DreamLIP (Zheng et al., ECCV 2024): language-image pre-training with long captions: sub-caption sampling, the
multi-positive circle loss and the sub-caption grouping loss on a CLIP."""
from .grouping_loss import grouped_patch_embeddings, grouping_loss, grouping_weights
from .long_caption_dataset import LongCaptionDataset
from .multi_positive_loss import circle_loss, multi_positive_loss
from .pack_inputs import PackImageSubCaptions
from .pretrainer import DreamLIPPretrainer
from .same_text import caption_ids, same_text_infonce
from .sub_captions import SampleSubCaptions, split_sentences
from .zero_shot_segmentation import class_prompt_embeddings, mean_iou, segment_zero_shot

__all__ = ['grouped_patch_embeddings', 'grouping_loss', 'grouping_weights', 'LongCaptionDataset', 'caption_ids',
           'circle_loss', 'multi_positive_loss', 'PackImageSubCaptions', 'DreamLIPPretrainer', 'SampleSubCaptions',
           'split_sentences', 'same_text_infonce', 'class_prompt_embeddings', 'mean_iou', 'segment_zero_shot']
