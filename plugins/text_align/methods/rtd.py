"""RTD + contrastive (the second pre-training phase of Vega v1, Zhong et al. 2023, "Bag of Tricks for Effective
Language Model Pretraining and Downstream Adaptation: A Case Study on GLUE"): ELECTRA's replaced-token detection
(generator MLM loss + 50 x discriminator loss) plus an in-batch InfoNCE over two dropout views of the
discriminator's sentence embedding. The paper gives neither the contrastive positives nor the weights; ours are in
``configs/text/rtd/README.md``."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from ..losses.rtd import discriminator_loss, electra_mask, sample_replacements
from ..registry import MODELS
from .embedding_modes import EmbeddingModes
from .rtd_generator import RTDGenerator, generator_size


@MODELS.register_module()
class RTDContrastive(EmbeddingModes, BaseModel):
    """ELECTRA-style pre-training of any local transformers encoder (the discriminator, a :class:`TextEncoder`)
    with an optional sentence-level contrastive term.

    Inputs: ``tokenize_collate`` with ``columns=('text', )``. Losses (summed by mmengine):
    ``loss_generator = generator_weight x MLM``, ``loss_discriminator = discriminator_weight x RTD`` and, when
    ``contrastive_weight > 0``, ``loss_contrastive = contrastive_weight x InfoNCE`` of two dropout views of the
    unmasked batch.

    Args:
        encoder: a ``TextEncoder`` config (the discriminator; its pooling gives the sentence embedding).
        generator_width: generator hidden size / discriminator hidden size, in (0, 1] (ELECTRA: 0.25 Small,
            1/3 Base and Large).
        generator_depth: generator layers / discriminator layers, in (0, 1] (ELECTRA: 1).
        mask_probability: share of the tokens predicted (ELECTRA: 0.15; Large 0.25).
        mask_token_fraction: share of those replaced by [MASK] (ELECTRA: 0.85).
        sampling_temperature: generator sampling temperature (ELECTRA: 1).
        generator_weight: weight of the MLM loss (ELECTRA ``gen_weight``: 1).
        discriminator_weight: weight of the RTD loss (ELECTRA ``disc_weight``: 50).
        contrastive_weight: weight of the InfoNCE term (0: RTD only).
        contrastive_loss: an ``InBatchInfoNCELoss`` config.
        data_preprocessor: mmengine data preprocessor.
        init_cfg: mmengine init config.
    """

    def __init__(self, encoder: dict, generator_width: float = 0.25, generator_depth: float = 1.0,
                 mask_probability: float = 0.15, mask_token_fraction: float = 0.85, sampling_temperature: float = 1.0,
                 generator_weight: float = 1.0, discriminator_weight: float = 50.0, contrastive_weight: float = 1.0,
                 contrastive_loss: dict = dict(type='InBatchInfoNCELoss', temperature=0.05),
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(type='BaseDataPreprocessor'), init_cfg=init_cfg)
        if not 0 < mask_probability < 1 or not 0 <= mask_token_fraction <= 1:
            raise ValueError(f'RTDContrastive: mask_probability must be in (0, 1) and mask_token_fraction in [0, 1], '
                             f'got {mask_probability} and {mask_token_fraction}')
        if min(generator_weight, discriminator_weight, contrastive_weight) < 0 or sampling_temperature <= 0:
            raise ValueError('RTDContrastive: the loss weights must be >= 0 and the sampling temperature > 0')
        self.encoder = MODELS.build(encoder)
        backbone = self.encoder.backbone
        config = backbone.config
        embeddings = backbone.get_input_embeddings()
        size = generator_size(config.hidden_size, config.num_hidden_layers, generator_width, generator_depth)
        self.generator = RTDGenerator(embeddings, embeddings.num_embeddings, self.encoder.position_limit, size,
                                      getattr(config, 'layer_norm_eps', 1e-12),
                                      getattr(config, 'hidden_dropout_prob', 0.1))
        hidden = config.hidden_size
        self.discriminator_head = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, 1))
        tokenizer = self.encoder.tokenizer
        if tokenizer.mask_token_id is None:
            raise ValueError(f'RTDContrastive: the tokenizer of {self.encoder.model_path} has no mask token')
        self.mask_token_id = int(tokenizer.mask_token_id)
        self.excluded_ids = sorted({int(t) for t in (tokenizer.cls_token_id, tokenizer.sep_token_id,
                                                     tokenizer.mask_token_id, tokenizer.pad_token_id,
                                                     tokenizer.bos_token_id, tokenizer.eos_token_id) if t is not None})
        self.mask_probability, self.mask_token_fraction = mask_probability, mask_token_fraction
        self.sampling_temperature = sampling_temperature
        self.generator_weight, self.discriminator_weight = generator_weight, discriminator_weight
        self.contrastive_weight = contrastive_weight
        self.criterion = MODELS.build(contrastive_loss) if contrastive_weight > 0 else None

    def forward(self, inputs: Dict[str, Dict[str, torch.Tensor]], data_samples: Optional[List[dict]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """Args:
            inputs: ``dict(text=tokens)``.
            data_samples: the rows.
            mode: ``'loss'``, ``'predict'`` (adds ``embedding`` to each row) or ``'tensor'`` (sentence embeddings).

        Returns:
            The losses, the rows, or (B, D) embeddings.
        """
        if 'text' not in inputs:
            raise KeyError(f'RTDContrastive: inputs need a "text" column, got {sorted(inputs)}')
        if mode == 'loss':
            return self.loss(inputs['text'])
        return self.embedding_modes(inputs, data_samples, mode)

    def discriminator_logits(self, tokens: Dict[str, torch.Tensor], input_ids: torch.Tensor) -> torch.Tensor:
        """(B, L) replaced-token logits of ``input_ids`` (the other tokenizer tensors from ``tokens``)."""
        extra = {k: v for k, v in tokens.items() if k != 'input_ids'}
        hidden = self.encoder.backbone(input_ids=input_ids, **extra).last_hidden_state
        return self.discriminator_head(hidden).squeeze(-1)

    def loss(self, tokens: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """The weighted losses of one batch, and the discriminator's accuracy on real tokens."""
        input_ids, attention_mask = tokens['input_ids'], tokens['attention_mask']
        masked, chosen = electra_mask(input_ids, attention_mask, self.excluded_ids, self.mask_token_id,
                                      self.mask_probability, self.mask_token_fraction)
        gen_logits = self.generator(masked, attention_mask, chosen)
        mlm = nn.functional.cross_entropy(gen_logits, input_ids[chosen])
        corrupted, labels = sample_replacements(input_ids, chosen, gen_logits.detach(), self.sampling_temperature)
        disc_logits = self.discriminator_logits(tokens, corrupted)
        rtd = discriminator_loss(disc_logits, labels, attention_mask)
        real = attention_mask.bool()
        accuracy = ((disc_logits > 0).float() == labels)[real].float().mean()
        out = dict(loss_generator=self.generator_weight * mlm, loss_discriminator=self.discriminator_weight * rtd,
                   disc_accuracy=accuracy.detach(), replaced_share=labels[real].mean().detach())
        if self.criterion is not None:
            doubled = {k: torch.cat([v, v]) for k, v in tokens.items()}
            first, second = self.encoder(**doubled).chunk(2)
            out['loss_contrastive'] = self.contrastive_weight * self.criterion(first, second)
        return out
