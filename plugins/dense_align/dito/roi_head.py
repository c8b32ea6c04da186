"""mmdet's StandardRoIHead with DITO's test-time fusion of the detector's and the frozen backbone's class scores."""
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.structures.bbox import bbox2roi

from ..registration import register_model
from .vlm_fusion import fuse_vlm_scores, scores_for_softmax


@register_model(into=('mmdet', ))
class DITORoIHead(StandardRoIHead):
    """``StandardRoIHead`` whose box prediction fuses the class probabilities with a frozen VLM's.

    Before ``predict``, the detector sets :attr:`vlm_context` to ``(scorer, top_map, text (K+1, D), novel_mask)``;
    without it (or with both weights 0) prediction is the plain detector's.

    Args:
        base_vlm_weight: VLM weight of base classes (released: 0.35).
        novel_vlm_weight: VLM weight of novel classes (released: 0.65).
        objectness_weight: final class scores times ``rpn_score ** objectness_weight`` (released: 3 with its
            centerness RPN; 0 disables).
        vocabulary_embeddings: optional ``.npy`` of (K + 1, D) text embeddings in the released layout (row 0 the
            background, then the K classes in label order, e.g. fvlm's ``lvis_embed.npy``); at prediction they
            replace the text encoder's class embeddings and the background embedding, for the detector and the
            frozen VLM alike.
        **kwargs: ``StandardRoIHead`` arguments.
    """

    def __init__(self, base_vlm_weight: float = 0.35, novel_vlm_weight: float = 0.65,
                 objectness_weight: float = 0.0, vocabulary_embeddings: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_vlm_weight = base_vlm_weight
        self.novel_vlm_weight = novel_vlm_weight
        self.objectness_weight = objectness_weight
        self.vlm_context: Optional[Tuple] = None
        self.vocabulary_embeddings = vocabulary_embeddings
        self._vocabulary: Optional[torch.Tensor] = None

    def _apply_vocabulary(self, device: torch.device) -> None:
        """Put the released vocabulary embeddings in place of the text encoder's (see ``vocabulary_embeddings``)."""
        if self.vocabulary_embeddings is None:
            return
        if self._vocabulary is None:
            path = self.vocabulary_embeddings
            if not osp.isfile(path):
                raise FileNotFoundError(f'DITORoIHead: vocabulary_embeddings file {path} does not exist')
            array = np.load(path, allow_pickle=False)
            if array.ndim != 2:
                raise ValueError(f'DITORoIHead: {path} holds shape {array.shape}; expected (K + 1, D)')
            self._vocabulary = torch.from_numpy(np.asarray(array, np.float32))
        vocab = self._vocabulary.to(device)
        head = self.bbox_head
        k = head.num_classes if head.class_embeddings is None else head.class_embeddings.shape[0]
        if vocab.shape[0] != k + 1:
            raise ValueError(f'DITORoIHead: {self.vocabulary_embeddings} has {vocab.shape[0]} rows; the detector '
                             f'scores {k} classes, so {k + 1} rows (background first) are expected')
        head.set_class_embeddings(vocab[1:])
        head.set_background_embedding(vocab[0])
        if self.vlm_context is not None:
            scorer, top_map, _, novel_mask = self.vlm_context
            self.vlm_context = (scorer, top_map, torch.cat([vocab[1:], vocab[:1]], dim=0), novel_mask)

    def fused_scores(self, cls_score: torch.Tensor, rois: torch.Tensor,
                     objectness: Optional[torch.Tensor]) -> torch.Tensor:
        """(N, K + 1) detector logits -> logits whose softmax is the fused (and objectness-weighted) score."""
        if self.vlm_context is None:
            probs = cls_score.softmax(dim=-1)
        else:
            scorer, top_map, text, novel_mask = self.vlm_context
            vlm_logits = scorer.region_logits(top_map, rois, text)
            probs = fuse_vlm_scores(cls_score, vlm_logits, novel_mask, self.base_vlm_weight, self.novel_vlm_weight)
        return scores_for_softmax(probs, objectness, self.objectness_weight)

    def predict_bbox(self, x: Tuple[torch.Tensor], batch_img_metas: List[dict], rpn_results_list: list,
                     rcnn_test_cfg, rescale: bool = False) -> list:
        """As ``StandardRoIHead.predict_bbox``, with the class logits replaced by :meth:`fused_scores`."""
        self._apply_vocabulary(x[0].device)
        if self.vlm_context is None and self.objectness_weight == 0:
            return super().predict_bbox(x, batch_img_metas, rpn_results_list, rcnn_test_cfg, rescale)
        proposals = [res.bboxes for res in rpn_results_list]
        rois = bbox2roi(proposals)
        if rois.shape[0] == 0:
            return super().predict_bbox(x, batch_img_metas, rpn_results_list, rcnn_test_cfg, rescale)
        results = self._bbox_forward(x, rois)
        objectness = torch.cat([res.scores for res in rpn_results_list]) if self.objectness_weight else None
        cls_scores = self.fused_scores(results['cls_score'], rois, objectness)
        counts = tuple(len(p) for p in proposals)
        bbox_preds = results['bbox_pred']
        bbox_preds = bbox_preds.split(counts, 0) if bbox_preds is not None else (None, ) * len(proposals)
        return self.bbox_head.predict_by_feat(rois=rois.split(counts, 0), cls_scores=cls_scores.split(counts, 0),
                                              bbox_preds=bbox_preds, batch_img_metas=batch_img_metas,
                                              rcnn_test_cfg=rcnn_test_cfg, rescale=rescale)
