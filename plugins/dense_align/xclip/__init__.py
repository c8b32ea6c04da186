"""X-CLIP (Ni et al., ECCV 2022): video recognition from a CLIP, with cross-frame communication, multi-frame
integration and video-specific prompts; fully supervised, few-shot and zero-shot."""
from .blending import MixupCutmix
from .checkpoint_keys import hf_to_original, is_hf_xclip, original_to_ours, ours_to_original
from .class_names import check_same_classes, read_class_file, resolve_class_names
from .class_names_hook import ClassNamesCheckHook
from .cross_frame_vit import CrossFrameBlock, CrossFrameViT
from .data_preprocessor import VideoDataPreprocessor
from .frame_sampling import SampleVideoFrames, natural_key, tsn_indices
from .mit import MultiFrameIntegration
from .optim_constructor import XCLIPOptimWrapperConstructor
from .recognizer import XCLIPRecognizer
from .timm_cosine_lr import TimmCosineLR, timm_cosine_value
from .video_dataset import VideoDataset
from .video_prompt import VideoSpecificPrompt
from .video_transforms import (PackVideoInputs, VideoCenterCrop, VideoColorJitter, VideoFlip, VideoMultiScaleCrop,
                               VideoResize, multi_scale_crop_candidates)

__all__ = ['MixupCutmix', 'VideoDataPreprocessor', 'SampleVideoFrames', 'tsn_indices', 'XCLIPOptimWrapperConstructor',
           'VideoDataset', 'PackVideoInputs', 'VideoCenterCrop', 'VideoColorJitter', 'VideoFlip', 'VideoMultiScaleCrop',
           'VideoResize', 'hf_to_original', 'is_hf_xclip', 'original_to_ours', 'ours_to_original', 'read_class_file',
           'resolve_class_names', 'CrossFrameBlock', 'CrossFrameViT', 'MultiFrameIntegration', 'XCLIPRecognizer',
           'VideoSpecificPrompt', 'check_same_classes', 'ClassNamesCheckHook', 'TimmCosineLR', 'timm_cosine_value',
           'natural_key', 'multi_scale_crop_candidates']
