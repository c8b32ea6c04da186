"""The small masked-language-model generator of ELECTRA, sized from the discriminator's config and sharing its token
embeddings (``run_pretraining.py::get_generator_config`` and ``_get_masked_lm_output`` of google-research/electra)."""
import torch
import torch.nn.functional as F
from torch import nn


def generator_size(hidden_size: int, num_layers: int, width_fraction: float, depth_fraction: float = 1.0) -> dict:
    """ELECTRA's generator sizes: hidden ``round(H x width_fraction)``, layers ``round(N x depth_fraction)``,
    intermediate 4 x hidden, ``max(1, hidden // 64)`` heads (fewer if they do not divide the hidden size).

    Args:
        hidden_size: discriminator width H.
        num_layers: discriminator depth N.
        width_fraction: generator width / H, in (0, 1] (ELECTRA-Small 0.25, Base and Large 1/3).
        depth_fraction: generator depth / N, in (0, 1] (ELECTRA: 1).

    Returns:
        ``dict(hidden_size, num_hidden_layers, intermediate_size, num_attention_heads)``.
    """
    if not 0 < width_fraction <= 1:
        raise ValueError(f'generator_size: the generator width fraction must be in (0, 1] (a generator wider than '
                         f'the discriminator is not ELECTRA\'s design), got {width_fraction}')
    if not 0 < depth_fraction <= 1:
        raise ValueError(f'generator_size: the generator depth fraction must be in (0, 1], got {depth_fraction}')
    hidden = max(1, int(round(hidden_size * width_fraction)))
    heads = max(1, hidden // 64)
    while hidden % heads:
        heads -= 1
    return dict(hidden_size=hidden, num_hidden_layers=max(1, int(round(num_layers * depth_fraction))),
                intermediate_size=4 * hidden, num_attention_heads=heads)


class RTDGenerator(nn.Module):
    """A BERT encoder of the generator's size reading the discriminator's token embeddings (projected to its width
    when narrower), with ELECTRA's MLM head: Linear(hidden -> embedding width) + GELU + LayerNorm, then logits
    against the shared token embedding matrix plus a bias.

    Args:
        word_embeddings: the discriminator's token embedding module (shared, not copied).
        vocab_size: vocabulary size.
        max_position_embeddings: positions of the generator.
        size: :func:`generator_size` output.
        layer_norm_eps: LayerNorm epsilon.
        dropout: hidden and attention dropout of the generator.
    """

    def __init__(self, word_embeddings: nn.Embedding, vocab_size: int, max_position_embeddings: int, size: dict,
                 layer_norm_eps: float = 1e-12, dropout: float = 0.1) -> None:
        super().__init__()
        from transformers import BertConfig, BertModel
        self.word_embeddings = [word_embeddings]  # a list: registered once, as the discriminator's module
        width = word_embeddings.weight.shape[1]
        # the encoder's own token table is never read (inputs come as embeddings): one row, frozen
        config = BertConfig(vocab_size=1, pad_token_id=0, max_position_embeddings=max_position_embeddings,
                            hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
                            layer_norm_eps=layer_norm_eps, **size)
        self.encoder = BertModel(config, add_pooling_layer=False)
        self.encoder.embeddings.word_embeddings.requires_grad_(False)
        self.project = nn.Linear(width, size['hidden_size']) if width != size['hidden_size'] else nn.Identity()
        self.dense = nn.Linear(size['hidden_size'], width)
        self.norm = nn.LayerNorm(width, eps=layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
        """Args:
            input_ids: (B, L) masked tokens.
            attention_mask: (B, L).
            chosen: (B, L) bool, the positions to predict.

        Returns:
            (M, V) logits of the M chosen positions (row-major order).
        """
        table = self.word_embeddings[0].weight
        hidden = self.encoder(inputs_embeds=self.project(F.embedding(input_ids, table)),
                              attention_mask=attention_mask).last_hidden_state
        hidden = self.norm(F.gelu(self.dense(hidden[chosen])))
        return hidden @ table.t() + self.bias
