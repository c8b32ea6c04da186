"""Text encoders: a transformers model from a local folder with pooling, projection and normalisation."""
from .pooling import POOLING_MODES, pool
from .text_encoder import SHIPPED_MODELS, TextEncoder, resolve_model_path, sentence_transformers_settings

__all__ = ['POOLING_MODES', 'pool', 'SHIPPED_MODELS', 'TextEncoder', 'resolve_model_path',
           'sentence_transformers_settings']
