"""Tiny X-CLIP settings shared by the X-CLIP tests, and the same model in Hugging Face transformers."""
import torch
from mmengine.registry import init_default_scope

from dense_align.registry import MODELS

NUM_FRAMES = 3
CLASSES = ['circle moving left', 'square moving up', 'star growing']


def tiny_cfg(**overrides) -> dict:
    """Config of a tiny XCLIPRecognizer (ViT width 64 on 32 px, patch 16; text width 32; joint space 32)."""
    cfg = dict(type='XCLIPRecognizer',
               visual=dict(type='CrossFrameViT', arch=dict(patch_size=16, width=64, layers=2, heads=2, output_dim=32,
                                                          image_size=32)),
               text_encoder=dict(type='CLIPTextTransformer', arch=dict(width=32, layers=2, heads=2, output_dim=32),
                                 context_length=16),
               class_names=CLASSES, num_frames=NUM_FRAMES, mit_heads=2, prompt_heads=2)
    cfg.update(overrides)
    return cfg


def tiny_model(**overrides):
    """The tiny recognizer, built in the dense_align registry."""
    torch.manual_seed(0)
    init_default_scope('dense_align')  # other tests may leave another scope current
    return MODELS.build(tiny_cfg(**overrides))


def tiny_hf_xclip():
    """transformers' XCLIPModel with the tiny settings and random weights (every tensor perturbed)."""
    from transformers import XCLIPConfig, XCLIPModel
    config = XCLIPConfig(
        text_config=dict(vocab_size=49408, hidden_size=32, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=16),
        vision_config=dict(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=16, num_frames=NUM_FRAMES, mit_hidden_size=32,
                           mit_intermediate_size=128, mit_num_hidden_layers=1, mit_num_attention_heads=2),
        projection_dim=32, prompt_layers=2, prompt_alpha=0.1, prompt_num_attention_heads=2)
    torch.manual_seed(1)
    model = XCLIPModel(config).eval()
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.05 * torch.randn_like(param))
    return model
