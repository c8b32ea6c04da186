"""The ``'predict'`` and ``'tensor'`` modes shared by the text methods whose inference output is one embedding per
text (SimCSE, DebCSE, Contriever, SyCL, CCP, SPACE-2, SupReMix, RTD+contrastive)."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F


class EmbeddingModes:
    """Mixin for an mmengine text model with an ``encoder`` (a ``TextEncoder``): its inference modes.

    The method's ``forward`` handles ``'loss'`` itself and hands every other mode to :meth:`embedding_modes`.
    A method whose inference embedding is not the plain encoder output (SimCSE's MLP head, CCP's whitening)
    overrides :meth:`embed`.
    """

    def embed(self, tokens: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Inference embeddings of one tokenised column.

        Args:
            tokens: tokenizer output (``input_ids``, ``attention_mask``, ...).

        Returns:
            (B, D) embeddings.
        """
        return self.encoder(**tokens)

    def embedding_modes(self, inputs: Dict[str, Dict[str, torch.Tensor]], data_samples: Optional[List[dict]],
                        mode: str) -> Union[List[dict], torch.Tensor]:
        """``'tensor'`` and ``'predict'`` of a text method.

        Args:
            inputs: tokenised columns (``tokenize_collate``).
            data_samples: the rows (``'predict'`` writes into them).
            mode: ``'tensor'``: the embeddings of the ``text`` column, or of the first column when there is none;
                ``'predict'``: a ``text`` column adds each row's ``embedding`` (detached, on the CPU; e.g. a
                BEIRDataset for ``RetrievalMetric``), ``sentence1``/``sentence2`` columns add each pair's cosine
                ``similarity`` (STS).

        Returns:
            (B, D) embeddings (``'tensor'``) or the rows (``'predict'``).

        Raises:
            KeyError: ``'predict'`` without a ``text`` column or a ``sentence1``/``sentence2`` pair.
            ValueError: any other mode (``'loss'`` belongs to the method's own ``forward``).
        """
        name = type(self).__name__
        if mode == 'tensor':
            return self.embed(inputs['text'] if 'text' in inputs else next(iter(inputs.values())))
        if mode != 'predict':
            raise ValueError(f'{name}: mode must be "loss", "predict" or "tensor", got {mode!r}')
        if 'text' in inputs:
            for sample, embedding in zip(data_samples, self.embed(inputs['text'])):
                sample['embedding'] = embedding.detach().cpu()
            return data_samples
        if 'sentence1' in inputs and 'sentence2' in inputs:
            first, second = (self.embed(inputs[c]) for c in ('sentence1', 'sentence2'))
            for sample, value in zip(data_samples, F.cosine_similarity(first, second, dim=-1)):
                sample['similarity'] = float(value)
            return data_samples
        raise KeyError(f'{name}: predict needs a "text" column (e.g. a BEIRDataset) or "sentence1" and "sentence2" '
                       f'(STS pairs); got {sorted(inputs)}')
