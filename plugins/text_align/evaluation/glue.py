"""GLUE-style sentence classification: the metrics GLUE reports per task, a reader of (text, label) files and
fine-tuning of an encoder with a linear head."""
import csv
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from torch import nn

#: GLUE's reported metrics per classification task (STS-B, a regression task, is not covered here)
GLUE_TASK_METRICS = {'cola': ('matthews', ), 'sst2': ('accuracy', ), 'mrpc': ('f1', 'accuracy'),
                     'qqp': ('f1', 'accuracy'), 'mnli': ('accuracy', ), 'qnli': ('accuracy', ), 'rte': ('accuracy', ),
                     'wnli': ('accuracy', )}


def glue_scores(task: str, predictions: Sequence[int], labels: Sequence[int]) -> Dict[str, float]:
    """The metrics GLUE reports for ``task`` (x100): Matthews correlation for CoLA, F1 of the positive class (1)
    and accuracy for MRPC and QQP, accuracy otherwise.

    Args:
        task: a key of :data:`GLUE_TASK_METRICS` (case-insensitive, ``sst-2`` = ``sst2``).
        predictions: predicted class ids.
        labels: gold class ids.

    Returns:
        ``{metric: value}``.
    """
    key = task.lower().replace('-', '')
    if key not in GLUE_TASK_METRICS:
        raise KeyError(f'glue_scores: unknown task {task!r}; known: {sorted(GLUE_TASK_METRICS)}')
    p, y = np.asarray(predictions), np.asarray(labels)
    if p.shape != y.shape or p.size == 0:
        raise ValueError(f'glue_scores: need equal-length non-empty predictions and labels, got {p.shape}, {y.shape}')
    out = {}
    for metric in GLUE_TASK_METRICS[key]:
        if metric == 'accuracy':
            out[metric] = 100 * float((p == y).mean())
        elif metric == 'f1':
            tp, fp, fn = int(((p == 1) & (y == 1)).sum()), int(((p == 1) & (y != 1)).sum()), int(((p != 1) & (y == 1)).sum())
            out[metric] = 100 * (2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        else:  # Matthews correlation, multi-class form (binary for CoLA)
            classes = np.union1d(p, y)
            c = np.array([[int(((y == a) & (p == b)).sum()) for b in classes] for a in classes], dtype=np.float64)
            t, q, n = c.sum(1), c.sum(0), c.sum()
            denominator = np.sqrt((n * n - q @ q) * (n * n - t @ t))
            out[metric] = 100 * float((np.trace(c) * n - t @ q) / denominator) if denominator else 0.0
    return out


def read_text_label_file(path: str, text_column: str = 'sentence', label_column: str = 'label') -> Tuple[List[str],
                                                                                                           List[int]]:
    """(text, label) rows of a GLUE-style TSV/CSV with a header (e.g. SST-2's ``sentence<TAB>label``), or of a
    fastText-style file (``__label__<class> <text>``, class names sorted to ids; ``gensim:`` paths allowed).

    Args:
        path: the file.
        text_column: header of the text column (TSV/CSV).
        label_column: header of the integer label column (TSV/CSV).

    Returns:
        ``(texts, labels)``.
    """
    from ..data import read_labelled_sentences, resolve_data_path
    path = resolve_data_path(path)
    if not (path.endswith('.tsv') or path.endswith('.csv')):
        texts, labels, _ = read_labelled_sentences(path)
        return texts, labels
    if not osp.isfile(path):
        raise FileNotFoundError(f'read_text_label_file: {path} does not exist')
    with open(path, encoding='utf-8', newline='') as f:
        reader = csv.DictReader(f, delimiter='\t' if path.endswith('.tsv') else ',', quoting=csv.QUOTE_NONE)
        missing = {text_column, label_column} - set(reader.fieldnames or [])
        if missing:
            raise KeyError(f'read_text_label_file: {path} has no column(s) {sorted(missing)} (header: '
                           f'{reader.fieldnames})')
        texts, labels = [], []
        for line, row in enumerate(reader, start=2):
            try:
                labels.append(int(row[label_column]))
            except (TypeError, ValueError):
                raise ValueError(f'{path}:{line}: label {row[label_column]!r} is not an integer') from None
            texts.append(row[text_column])
    return texts, labels


def finetune_classifier(encoder, train_texts: Sequence[str], train_labels: Sequence[int],
                        test_texts: Sequence[str], epochs: int = 3, lr: float = 1e-4, batch_size: int = 16,
                        seed: int = 0) -> np.ndarray:
    """Fine-tune ``encoder`` (a ``TextEncoder``, changed in place) and a new linear head on its sentence embedding
    with cross-entropy (AdamW, linear decay to 0), then predict the test texts.

    Args:
        encoder: the encoder.
        train_texts: training texts.
        train_labels: their class ids (0..C-1).
        test_texts: texts to classify.
        epochs: passes over the training set.
        lr: learning rate of encoder and head.
        batch_size: texts per step.
        seed: seed of the head's initialisation and the shuffling.

    Returns:
        (M,) predicted class ids.
    """
    labels = torch.as_tensor(list(train_labels), dtype=torch.long)
    if len(train_texts) != len(labels) or len(labels) == 0:
        raise ValueError(f'finetune_classifier: {len(train_texts)} texts but {len(labels)} labels')
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    device = next(encoder.parameters()).device
    head = nn.Linear(encoder.embedding_dim, int(labels.max()) + 1).to(device)
    params = [p for p in encoder.parameters() if p.requires_grad] + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = epochs * -(-len(labels) // batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / steps))
    encoder.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(labels), generator=generator).split(batch_size):
            logits = head(encoder.embed([train_texts[i] for i in batch]))
            loss = nn.functional.cross_entropy(logits, labels[batch].to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    encoder.eval()
    with torch.no_grad():
        out = [head(encoder.embed(list(test_texts[i:i + 64]))).argmax(-1).cpu()
               for i in range(0, len(test_texts), 64)]
    return torch.cat(out).numpy()
