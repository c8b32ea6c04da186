"""The shared CLIP core: image encoders usable as mmdet/mmseg backbones, the text encoder, tokenizer and loaders."""
from .prompt_learner import ContextPromptLearner
from .resnet import CLIP_RESNET_ARCHS, CLIPResNet
from .text_cache import TextEmbeddingCache
from .text_encoder import CLIP_TEXT_ARCHS, CLIPTextTransformer
from .tokenizer import ClipBPETokenizer
from .vit import CLIP_VIT_ARCHS, CLIPViT
from .weights import CheckpointMismatchError, LoadReport, clip_tower, load_clip_weights, read_clip_checkpoint

__all__ = ['ContextPromptLearner', 'TextEmbeddingCache', 'CLIP_RESNET_ARCHS', 'CLIPResNet', 'CLIP_TEXT_ARCHS', 'CLIPTextTransformer', 'ClipBPETokenizer',
           'CLIP_VIT_ARCHS', 'CLIPViT', 'CheckpointMismatchError', 'LoadReport', 'clip_tower', 'load_clip_weights',
           'read_clip_checkpoint']
