"""GPR1200-style instance retrieval: every image queries the gallery by cosine similarity, average precision over
the full ranking, mAP over all queries and per domain."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from ..registry import METRICS

# GPR1200 (Schall et al. 2021): 1200 categories x 10 images; categories 200*d .. 200*d+199 form domain d, in the
# order of Visual-Computing/GPR1200 eval/GPR1200.py (image slices [0:2000], [2000:4000], ... of the sorted files)
GPR1200_DOMAINS = ('Landmarks', 'iNat', 'IMSketch', 'INSTRE', 'SOP', 'Faces')
GPR1200_CLASSES_PER_DOMAIN = 200


def average_precisions(embeddings: torch.Tensor, labels: torch.Tensor, include_self: bool = True,
                       chunk: int = 1024) -> torch.Tensor:
    """AP of every image used as a query against all images, ranked by cosine similarity.

    AP = mean over the query's relevant gallery images of the precision at their rank (over the full ranking).

    Args:
        embeddings: (N, D) image embeddings (normalised here).
        labels: (N,) class of each image; relevant = same class.
        include_self: keep the query in its own gallery, as GPR1200's ``evaluate.py`` does (the query then ranks
            first and counts as relevant); False removes it.
        chunk: queries scored at a time (bounds memory at ``chunk x N``).

    Returns:
        (N,) float64 APs; NaN for a query with no relevant gallery image.
    """
    if embeddings.dim() != 2 or labels.shape != (embeddings.shape[0], ):
        raise ValueError(f'average_precisions: expected (N, D) embeddings and (N,) labels, got '
                         f'{tuple(embeddings.shape)} and {tuple(labels.shape)}')
    feats = F.normalize(embeddings.double(), dim=-1)
    n = feats.shape[0]
    out = torch.empty(n, dtype=torch.float64)
    for begin in range(0, n, chunk):
        queries = torch.arange(begin, min(begin + chunk, n))
        sims = feats[queries] @ feats.t()
        relevant = labels[None, :] == labels[queries, None]
        if not include_self:
            sims[torch.arange(len(queries)), queries] = -float('inf')
            relevant[torch.arange(len(queries)), queries] = False
        order = sims.argsort(dim=1, descending=True, stable=True)
        hits = relevant.gather(1, order).double()
        ranks = torch.arange(1, n + 1, dtype=torch.float64)
        precision = hits.cumsum(1) / ranks
        num_relevant = hits.sum(1)
        out[queries] = (precision * hits).sum(1) / num_relevant  # NaN (0/0) without relevant images
    return out


def gpr1200_domain(label: int) -> str:
    """Domain name of a GPR1200 category id (0..1199)."""
    if not 0 <= label < GPR1200_CLASSES_PER_DOMAIN * len(GPR1200_DOMAINS):
        raise ValueError(f'gpr1200_domain: category {label} is outside GPR1200\'s 0..1199')
    return GPR1200_DOMAINS[label // GPR1200_CLASSES_PER_DOMAIN]


def retrieval_map(aps: torch.Tensor, domains: Optional[Sequence[str]] = None) -> Dict[str, float]:
    """mAP (%) over the queries that have a relevant image, and per domain if given.

    Args:
        aps: (N,) APs (NaN: no relevant image, left out and counted).
        domains: domain name of each query.

    Returns:
        ``{'mAP': ..., 'mAP_<domain>': ..., 'queries_without_match': ...}``.
    """
    valid = ~torch.isnan(aps)
    if not bool(valid.any()):
        raise ValueError('retrieval_map: no query has another image of its class in the gallery')
    out = {'mAP': 100.0 * aps[valid].mean().item(), 'queries_without_match': int((~valid).sum())}
    if domains is not None:
        names = np.asarray(domains)
        for name in dict.fromkeys(domains):
            mask = torch.from_numpy(names == name) & valid
            if bool(mask.any()):
                out[f'mAP_{name}'] = 100.0 * aps[mask].mean().item()
    return out


@METRICS.register_module()
class InstanceRetrievalMetric(BaseMetric):
    """GPR1200-style mAP of the model's ``image_embed`` with ``gt_label`` as instance class.

    Args:
        domains: ``'gpr1200'`` (domain from the category id, as the benchmark's six parts), ``'sample'`` (each
            prediction's ``domain`` entry) or None (overall mAP only).
        include_self: keep each query in its own gallery (GPR1200's protocol; see :func:`average_precisions`).
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: metric-name prefix.
    """
    default_prefix = 'instance_retrieval'

    def __init__(self, domains: Optional[str] = 'gpr1200', include_self: bool = True, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if domains not in ('gpr1200', 'sample', None):
            raise ValueError(f"InstanceRetrievalMetric: domains must be 'gpr1200', 'sample' or None, got {domains!r}")
        self.domains, self.include_self = domains, include_self

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each prediction's embedding, label and domain."""
        for sample in data_samples:
            label = int(sample.get('gt_label', -1))
            if label < 0:
                raise KeyError(f'InstanceRetrievalMetric: image {sample.get("img_id")} has no gt_label (its '
                               f'instance class)')
            self.results.append((sample['image_embed'].float().cpu(), label, sample.get('domain')))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Args:
            results: (embedding, label, domain) of every gallery image.

        Returns:
            ``mAP``, ``mAP_<domain>`` in %, and ``queries_without_match``.
        """
        labels = torch.tensor([label for _, label, _ in results])
        aps = average_precisions(torch.stack([e for e, _, _ in results]), labels, self.include_self)
        if self.domains == 'gpr1200':
            domains = [gpr1200_domain(int(label)) for label in labels]
        elif self.domains == 'sample':
            domains = [str(d) for _, _, d in results]
        else:
            domains = None
        return retrieval_map(aps, domains)
