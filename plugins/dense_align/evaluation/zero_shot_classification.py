"""Zero-shot classification as CLIP papers report it: class embeddings from prompt-template ensembles, top-k
accuracy and mean per-class recall (the CLIP_benchmark protocol)."""
from typing import Callable, Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from ..registry import METRICS

Template = Union[str, Callable[[str], str]]


def resolve_templates(templates: Union[str, Sequence[Template]]) -> List[Template]:
    """Template list from a list, or from the name of a list open_clip ships in ``open_clip.zero_shot_metadata``.

    Args:
        templates: format strings with ``{}`` or ``{c}`` (or callables class name -> prompt), or a name such as
            ``'OPENAI_IMAGENET_TEMPLATES'`` (80 prompts) / ``'SIMPLE_IMAGENET_TEMPLATES'`` (7), read from the
            installed open_clip package.

    Returns:
        The templates.
    """
    if isinstance(templates, str):
        import open_clip.zero_shot_metadata as metadata
        if not templates.isupper() or not hasattr(metadata, templates):
            raise ValueError(f'templates={templates!r}: expected a list of prompt templates or the name of a '
                             f'template list in open_clip.zero_shot_metadata (e.g. OPENAI_IMAGENET_TEMPLATES)')
        templates = getattr(metadata, templates)
    if not templates:
        raise ValueError('templates: the template list is empty')
    return list(templates)


def resolve_class_names(class_names: Union[str, Sequence[str]]) -> List[str]:
    """Class names from a list, or ``'IMAGENET_CLASSNAMES'`` read from open_clip's ``zero_shot_metadata``.

    Args:
        class_names: the names, or the name of open_clip's list.

    Returns:
        The class names.
    """
    if isinstance(class_names, str):
        import open_clip.zero_shot_metadata as metadata
        if not class_names.isupper() or not hasattr(metadata, class_names):
            raise ValueError(f'class_names={class_names!r}: expected a list of names or the name of a list in '
                             f'open_clip.zero_shot_metadata (e.g. IMAGENET_CLASSNAMES)')
        class_names = getattr(metadata, class_names)
    return list(class_names)


def fill_template(template: Template, name: str) -> str:
    """One prompt: ``template.format(name)`` (``{}`` or ``{c}``), or ``template(name)`` for a callable."""
    return template(name) if callable(template) else template.format(name, c=name)


def zero_shot_classifier(encode_text: Callable[[List[str]], torch.Tensor], class_names: Sequence[str],
                         templates: Sequence[Template]) -> torch.Tensor:
    """Class embeddings from template ensembles: per class, the mean of the L2-normalised embeddings of its prompts,
    L2-normalised again (CLIP / open_clip / CLIP_benchmark).

    Args:
        encode_text: prompts -> (P, D) text embeddings (normalised or not).
        class_names: the C classes.
        templates: the T templates.

    Returns:
        (C, D) L2-normalised class embeddings.
    """
    rows = []
    for name in class_names:
        prompts = [fill_template(t, name) for t in templates]
        rows.append(F.normalize(F.normalize(encode_text(prompts), dim=-1).mean(dim=0), dim=-1))
    return torch.stack(rows)


def topk_and_per_class(scores: torch.Tensor, labels: torch.Tensor, ks: Sequence[int]) -> Dict[str, float]:
    """Top-k accuracy (%) and mean per-class recall (%) of class scores.

    Args:
        scores: (N, C) class scores.
        labels: (N, ) true classes.
        ks: top-k cut-offs; k above C counts as C.

    Returns:
        ``{'top1': ..., 'top5': ..., 'mean_per_class_recall': ...}``.
    """
    order = scores.topk(min(max(ks), scores.shape[1]), dim=1).indices
    hit = order == labels[:, None]
    out = {f'top{k}': 100.0 * hit[:, :k].any(dim=1).float().mean().item() for k in ks}
    top1 = order[:, 0]
    recalls = [(top1[labels == c] == c).float().mean() for c in labels.unique()]
    out['mean_per_class_recall'] = 100.0 * torch.stack(recalls).mean().item()
    return out


@METRICS.register_module()
class ZeroShotAccuracy(BaseMetric):
    """Top-k accuracy and mean per-class recall of the model's ``zero_shot_scores`` against ``gt_label``.

    Samples without scores or with ``gt_label < 0`` are left out; no scored sample at all is an error.

    Args:
        ks: top-k cut-offs (CLIP_benchmark: 1 and 5).
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: metric-name prefix.
    """
    default_prefix = 'zero_shot'

    def __init__(self, ks: Sequence[int] = (1, 5), collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ks = tuple(ks)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep the scores and label of each prediction."""
        for sample in data_samples:
            if sample.get('zero_shot_scores') is not None and int(sample.get('gt_label', -1)) >= 0:
                self.results.append((sample['zero_shot_scores'], int(sample['gt_label'])))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Args:
            results: (scores, label) of every scored sample.

        Returns:
            ``top1``, ``top5``, ``mean_per_class_recall`` in %.
        """
        if not results:
            raise ValueError('ZeroShotAccuracy: no prediction has zero_shot_scores and a gt_label >= 0; set the '
                             "model's class_names and give the dataset labels")
        scores = torch.stack([s for s, _ in results])
        return topk_and_per_class(scores, torch.tensor([label for _, label in results]), self.ks)
