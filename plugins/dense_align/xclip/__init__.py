"""X-CLIP (Ni et al., ECCV 2022): video recognition from a CLIP, with cross-frame communication, multi-frame
integration and video-specific prompts; fully supervised, few-shot and zero-shot."""
from .blending import MixupCutmix
from .checkpoint_keys import hf_to_original, is_hf_xclip, original_to_ours, ours_to_original
from .class_names import read_class_file, resolve_class_names
from .cross_frame_vit import CrossFrameBlock, CrossFrameViT
from .data_preprocessor import VideoDataPreprocessor
from .frame_sampling import SampleVideoFrames, tsn_indices
from .mit import MultiFrameIntegration
from .optim_constructor import XCLIPOptimWrapperConstructor
from .recognizer import XCLIPRecognizer
from .video_dataset import VideoDataset
from .video_prompt import VideoSpecificPrompt
from .video_transforms import (PackVideoInputs, VideoCenterCrop, VideoColorJitter, VideoFlip, VideoMultiScaleCrop,
                               VideoResize)

__all__ = ['MixupCutmix', 'VideoDataPreprocessor', 'SampleVideoFrames', 'tsn_indices', 'XCLIPOptimWrapperConstructor',
           'VideoDataset', 'PackVideoInputs', 'VideoCenterCrop', 'VideoColorJitter', 'VideoFlip', 'VideoMultiScaleCrop',
           'VideoResize', 'hf_to_original', 'is_hf_xclip', 'original_to_ours', 'ours_to_original', 'read_class_file',
           'resolve_class_names', 'CrossFrameBlock', 'CrossFrameViT', 'MultiFrameIntegration', 'XCLIPRecognizer',
           'VideoSpecificPrompt']
