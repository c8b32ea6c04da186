"""DITO's open-vocabulary Faster R-CNN / Mask R-CNN: a text classifier over class-name embeddings, trained on base
classes, fused at test time with the frozen backbone's region scores."""
from typing import Dict, List, Optional, Sequence

import torch
from mmdet.models.detectors import FasterRCNN, MaskRCNN

from ..clip import ClipBPETokenizer, TextEmbeddingCache
from ..evaluation.zero_shot_classification import zero_shot_classifier
from ..registration import register_model
from ..registry import MODELS
from .vlm_scorer import FrozenVLMScorer
from .vocabulary import base_label_map, check_no_novel_labels, split_vocabulary


class _OpenVocabMixin:
    """Text side of the DITO detectors (mixed into mmdet detector classes).

    Training scores the base classes only (the released code trains on ``lvis_base_embed``); prediction scores
    every class, fused with the frozen VLM. Labels in the data index ``class_names`` and are mapped to base indices;
    a novel label in training data is an error naming the classes.
    """

    def __init__(self, *, text_encoder: dict, class_names: Sequence[str] = (), novel_classes: Sequence[str] = (),
                 templates: Sequence[str] = ('a photo of a {}.', ), vlm: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.text_encoder = MODELS.build(text_encoder)
        self.text_encoder.requires_grad_(False)
        self.tokenizer = ClipBPETokenizer(context_length=self.text_encoder.context_length)
        self.templates = tuple(templates)
        self.vlm = FrozenVLMScorer(**vlm) if vlm else None
        self._cache = TextEmbeddingCache()
        self.class_names: List[str] = []
        if class_names:
            self.set_vocabulary(class_names, novel_classes)

    def set_vocabulary(self, class_names: Sequence[str], novel_classes: Sequence[str] = (),
                       source: str = 'model config') -> None:
        """Set the class list (label order) and the novel names (from the dataset metainfo).

        Args:
            class_names: every class name.
            novel_classes: names held out from training.
            source: where the lists come from, for error messages.
        """
        self.class_names = list(class_names)
        self.base_names, self.novel_mask = split_vocabulary(self.class_names, novel_classes, source)
        self.label_map = base_label_map(self.novel_mask)

    def class_embeddings(self, names: Sequence[str]) -> torch.Tensor:
        """(K, D) template-ensemble text embeddings of ``names`` (cached; any-length names are truncated)."""
        def encode(prompts: List[str]) -> torch.Tensor:
            device = next(self.text_encoder.parameters()).device
            return self.text_encoder(self.tokenizer(prompts).to(device))
        with torch.no_grad():
            return self._cache.get([self.text_encoder], list(self.templates) + list(names),
                                   lambda: zero_shot_classifier(encode, names, self.templates))

    def extract_feat(self, batch_inputs: torch.Tensor) -> tuple:
        """The backbone/neck maps as contiguous NCHW tensors, whatever backbone and neck the config names: mmcv's CPU
        ``roi_align`` reads the storage as contiguous NCHW whatever the strides, so a channels-last map (convolutions
        keep that layout) gives scrambled RoI features. The CLIP backbones already hand on contiguous maps; this
        guards any other (no copy when the maps are contiguous)."""
        return tuple(f.contiguous() for f in super().extract_feat(batch_inputs))

    def _require_vocabulary(self) -> None:
        if not self.class_names:
            raise RuntimeError(f'{type(self).__name__}: no class names; set class_names in the config or add '
                               f'custom_hooks=[dict(type="OpenVocabularyHook")] to take them from the dataset')

    def loss(self, batch_inputs: torch.Tensor, batch_data_samples: list) -> Dict[str, torch.Tensor]:
        """Check for novel labels, map labels to base indices, train against the base-class embeddings."""
        self._require_vocabulary()
        name = type(self).__name__
        for sample in batch_data_samples:
            labels = sample.gt_instances.labels
            check_no_novel_labels(labels.cpu(), self.novel_mask, self.class_names, name)
            sample.gt_instances.labels = self.label_map.to(labels.device)[labels]
        self.roi_head.bbox_head.set_class_embeddings(self.class_embeddings(self.base_names))
        return super().loss(batch_inputs, batch_data_samples)

    def predict(self, batch_inputs: torch.Tensor, batch_data_samples: list, rescale: bool = True) -> list:
        """Score every class; fuse with the frozen VLM when one is configured."""
        self._require_vocabulary()
        head = self.roi_head.bbox_head
        text = self.class_embeddings(self.class_names)
        head.set_class_embeddings(text)
        if self.vlm is not None:
            all_text = torch.cat([text, head.background_embed[None].detach()], dim=0)
            self.roi_head.vlm_context = (self.vlm, self.vlm.top_map(batch_inputs), all_text,
                                         self.novel_mask.to(batch_inputs.device))
        try:
            return super().predict(batch_inputs, batch_data_samples, rescale=rescale)
        finally:
            self.roi_head.vlm_context = None


_DOC = """DITO {} (the mmdet ``{}`` arguments, plus the text side).

    ``roi_head`` is a ``DITORoIHead`` with a ``DITOTextBBoxHead``.

    Args:
        text_encoder: ``CLIPTextTransformer`` config (frozen).
        class_names: class list in label order (or set by ``OpenVocabularyHook`` from the dataset metainfo).
        novel_classes: names held out from training (OV-COCO: 17; OV-LVIS: the rare categories).
        templates: prompt templates ensembled per class.
        vlm: ``FrozenVLMScorer`` arguments (``backbone``, ``roi_size``, ``box_scale``, ``temperature``); None
            disables the fusion.
        **kwargs: the mmdet detector's arguments.
"""


@register_model(into=('mmdet', ))
class DITOFasterRCNN(_OpenVocabMixin, FasterRCNN):
    __doc__ = _DOC.format('Faster R-CNN', 'FasterRCNN')


@register_model(into=('mmdet', ))
class DITOMaskRCNN(_OpenVocabMixin, MaskRCNN):
    __doc__ = _DOC.format('Mask R-CNN', 'MaskRCNN')
