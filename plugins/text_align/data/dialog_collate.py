"""Collate function of SPACE-2: tokenised labelled and unlabelled groups, their MLM inputs, and the tree scores."""
from functools import lru_cache
from typing import Dict, List, Sequence, Tuple

import torch
from mmengine.registry import FUNCTIONS

from ..losses.tree_score import score_matrices


@lru_cache(maxsize=4)
def _left_truncating_tokenizer(model_path: str):
    """A fast tokenizer that cuts the oldest context first (SPACE-2 keeps the last ``max_len`` tokens)."""
    from transformers import AutoTokenizer

    from ..encoders import resolve_model_path
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(model_path), local_files_only=True,
                                              truncation_side='left')
    if not tokenizer.is_fast:
        raise TypeError(f'dialog_collate: {model_path} has no fast tokenizer (needed for character offsets)')
    return tokenizer


def _inside(position: int, ranges: Sequence[Tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in ranges)


def span_mlm(encoded: Dict[str, torch.Tensor], rows: Sequence[dict], tokenizer,
             probability: float = 0.15) -> Tuple[torch.Tensor, torch.Tensor]:
    """SPACE-2's MLM inputs: in a turn with labelled value spans exactly the value tokens are replaced by [MASK];
    in every other turn BERT masking (``probability`` of the tokens; 80% [MASK], 10% a random token, 10% kept).
    Special tokens (also those written into the text between turns) and padding are never predicted.

    Args:
        encoded: tokenizer output with ``input_ids``, ``attention_mask``, ``offset_mapping``,
            ``special_tokens_mask``.
        rows: the rows (``value_spans``, ``span_turns`` character ranges, see ``context_row``).
        tokenizer: the tokenizer (mask id and vocabulary size).
        probability: masking rate outside labelled turns.

    Returns:
        ``(masked input_ids, labels)``; labels are -100 where nothing is predicted.
    """
    ids = encoded['input_ids']
    special = torch.isin(ids, torch.tensor(tokenizer.all_special_ids))  # also a [SEP] written between turns
    maskable = (encoded['attention_mask'] == 1) & (encoded['special_tokens_mask'] == 0) & ~special
    in_span_turn = torch.zeros_like(maskable)
    in_value = torch.zeros_like(maskable)
    for b, row in enumerate(rows):
        turns, values = row.get('span_turns') or [], row.get('value_spans') or []
        if not turns:
            continue
        for t, (start, end) in enumerate(encoded['offset_mapping'][b].tolist()):
            if maskable[b, t] and end > start:
                in_span_turn[b, t] = _inside(start, turns)
                in_value[b, t] = any(s < end and start < e for s, e in values)
    draw = torch.rand(ids.shape)
    random_pick = maskable & ~in_span_turn & (draw < probability)
    predicted = (in_span_turn & in_value) | random_pick
    kind = torch.rand(ids.shape)
    to_mask = (in_span_turn & in_value) | (random_pick & (kind < 0.8))
    to_random = random_pick & (kind >= 0.8) & (kind < 0.9)
    masked = ids.clone()
    masked[to_mask] = tokenizer.mask_token_id
    masked[to_random] = torch.randint(1, len(tokenizer), ids.shape)[to_random]
    labels = torch.where(predicted, ids, torch.full_like(ids, -100))
    return masked, labels


@FUNCTIONS.register_module()
def dialog_collate(data_batch: Sequence[dict], model_path: str, max_length: int = 256,
                   mlm_probability: float = 0.15) -> dict:
    """Tokenise the labelled and the unlabelled rows of a batch separately (``collate_fn=dict(type=
    'dialog_collate', model_path=...)``), with MLM inputs for each and the 10 view score matrices of the labelled.

    Args:
        data_batch: rows of ``DialogTurnDataset`` (``text``, ``frame``, ``labelled``, spans).
        model_path: tokenizer folder or ``shipped:<name>``.
        max_length: tokens per row; longer contexts lose their oldest tokens.
        mlm_probability: BERT masking rate outside labelled turns.

    Returns:
        ``dict(inputs=..., data_samples=rows)``; ``inputs`` holds, for each group present (``labelled``,
        ``unlabelled``), its tokens, ``<group>_mlm`` (``input_ids``, ``labels``), and for the labelled group
        ``scores`` (10, B, B).
    """
    tokenizer = _left_truncating_tokenizer(model_path)
    inputs: Dict[str, object] = {}
    samples: List[dict] = []
    for group, flag in (('labelled', True), ('unlabelled', False)):
        rows = [r for r in data_batch if bool(r.get('labelled')) == flag]
        if not rows:
            continue
        bad = [r for r in rows if not isinstance(r.get('text'), str)]
        if bad:
            raise ValueError(f'dialog_collate: every row needs a "text" string; got row {bad[0]!r}')
        encoded = tokenizer([r['text'] for r in rows], padding=True, truncation=True, max_length=max_length,
                            return_tensors='pt', return_offsets_mapping=True, return_special_tokens_mask=True)
        masked, labels = span_mlm(encoded, rows, tokenizer, mlm_probability)
        encoded.pop('offset_mapping')
        encoded.pop('special_tokens_mask')
        inputs[group] = dict(encoded)
        inputs[f'{group}_mlm'] = dict(input_ids=masked, labels=labels)
        if flag:
            inputs['scores'] = torch.from_numpy(score_matrices([r.get('frame') for r in rows]))
        samples += [dict(r) for r in rows]
    return dict(inputs=inputs, data_samples=samples)
