"""X-CLIP (Ni et al., ECCV 2022): video recognition from a CLIP, with cross-frame communication, multi-frame
integration and video-specific prompts; fully supervised, few-shot and zero-shot."""
from .checkpoint_keys import hf_to_original, is_hf_xclip, original_to_ours, ours_to_original
from .class_names import read_class_file, resolve_class_names
from .cross_frame_vit import CrossFrameBlock, CrossFrameViT
from .mit import MultiFrameIntegration
from .recognizer import XCLIPRecognizer
from .video_prompt import VideoSpecificPrompt

__all__ = ['hf_to_original', 'is_hf_xclip', 'original_to_ours', 'ours_to_original', 'read_class_file',
           'resolve_class_names', 'CrossFrameBlock', 'CrossFrameViT', 'MultiFrameIntegration', 'XCLIPRecognizer',
           'VideoSpecificPrompt']
