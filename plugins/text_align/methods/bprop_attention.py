"""[CLS]->word attention of a BERT encoder for B-PROP: last layer, heads averaged, summed over each word's pieces
and occurrences, saturated; batched, cached per document, with a progress bar."""
import hashlib
import json
import os
from typing import Dict, List, Optional, Sequence

import torch

from ..data.representative_words import saturate, word_attention_from_tokens


def _key(text: str, model_path: str, max_length: int) -> str:
    return hashlib.sha1(f'{model_path}\0{max_length}\0{text}'.encode('utf-8')).hexdigest()


@torch.no_grad()
def document_term_weights(documents: Sequence[str], model_path: str, max_length: int = 512, batch_size: int = 16,
                          cache_file: Optional[str] = None, progress: bool = True) -> List[Dict[str, float]]:
    """Saturated per-word [CLS] attention of each document.

    Args:
        documents: texts (words are their whitespace tokens, lower-cased).
        model_path: a BERT-style model folder (``shipped:`` names as in ``TextEncoder``).
        max_length: truncation (words past it get no weight); capped at the model's position count.
        batch_size: documents per forward pass.
        cache_file: JSON file of results keyed by (model, max_length, text); read first, rewritten with new ones.
        progress: show a tqdm bar.

    Returns:
        One ``{word: v / (v + 0.01)}`` per document.
    """
    from tqdm import tqdm
    from transformers import AutoModel, AutoTokenizer

    from ..encoders.text_encoder import resolve_model_path
    cache: Dict[str, Dict[str, float]] = {}
    if cache_file and os.path.isfile(cache_file):
        with open(cache_file, encoding='utf-8') as f:
            cache = json.load(f)
    keys = [_key(d, model_path, max_length) for d in documents]
    todo = sorted({i for i, k in enumerate(keys) if k not in cache}, key=lambda i: keys[i])
    todo = list(dict((keys[i], i) for i in todo).values())
    if todo:
        path = resolve_model_path(model_path)
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModel.from_pretrained(path, local_files_only=True, attn_implementation='eager').eval()
        length = min(max_length, getattr(model.config, 'max_position_embeddings', max_length))
        for start in tqdm(range(0, len(todo), batch_size), desc='B-PROP attention', unit='batch',
                          disable=not progress):
            chunk = todo[start:start + batch_size]
            words = [documents[i].split() for i in chunk]
            batch = tokenizer(words, is_split_into_words=True, truncation=True, max_length=length,
                              padding=True, return_tensors='pt')
            last = model(**batch, output_attentions=True).attentions[-1]  # (B, heads, T, T)
            cls_rows = last.mean(dim=1)[:, 0]  # (B, T)
            for row, (i, doc_words) in enumerate(zip(chunk, words)):
                ids = batch.word_ids(row)
                cache[keys[i]] = saturate(word_attention_from_tokens(doc_words, ids, cls_rows[row].tolist()))
        if cache_file:  # written to a private file, then renamed: processes that extract at once never see half
            os.makedirs(os.path.dirname(os.path.abspath(cache_file)), exist_ok=True)
            partial = f'{cache_file}.{os.getpid()}.tmp'
            with open(partial, 'w', encoding='utf-8') as f:
                json.dump(cache, f)
            os.replace(partial, cache_file)
    return [cache[k] for k in keys]
