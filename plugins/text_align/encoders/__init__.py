"""Text encoders: a transformers model from a local folder with pooling, projection and normalisation."""
from .pooling import POOLING_MODES, pool
from .text_encoder import TextEncoder, sentence_transformers_settings

__all__ = ['POOLING_MODES', 'pool', 'TextEncoder', 'sentence_transformers_settings']
