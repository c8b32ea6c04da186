"""DITO's test-time ensemble of the detector's class probabilities with the frozen backbone's (the released
``ClipFasterRCNNHead.ensemble_class_outputs``), with mmdet's background-last column order."""
import torch
import torch.nn.functional as F


def fuse_vlm_scores(det_logits: torch.Tensor, vlm_logits: torch.Tensor, novel_mask: torch.Tensor,
                    base_weight: float = 0.35, novel_weight: float = 0.65) -> torch.Tensor:
    """Geometric ensemble ``p = p_det^(1-w) * p_vlm^w`` per class, background from the detector, renormalised.

    Args:
        det_logits: (N, K + 1) detector logits, background last.
        vlm_logits: (N, K + 1) frozen-backbone logits, same columns (each is turned into probabilities by a softmax
            over its K + 1 columns, as in the released code).
        novel_mask: (K, ) bool, True for classes unseen in training (weight ``novel_weight``).
        base_weight: VLM weight ``w`` of base classes (released: 0.35).
        novel_weight: VLM weight ``w`` of novel classes (released: 0.65).

    Returns:
        (N, K + 1) probabilities summing to 1 per row, background last.
    """
    if det_logits.shape != vlm_logits.shape or novel_mask.shape != (det_logits.shape[1] - 1, ):
        raise ValueError(f'fuse_vlm_scores: det_logits {tuple(det_logits.shape)}, vlm_logits '
                         f'{tuple(vlm_logits.shape)} and novel_mask {tuple(novel_mask.shape)} must be (N, K+1), '
                         f'(N, K+1), (K,)')
    p_det, p_vlm = F.softmax(det_logits, dim=-1), F.softmax(vlm_logits, dim=-1)
    weight = torch.where(novel_mask.to(det_logits.device), novel_weight, base_weight).to(p_det.dtype)
    fused = p_det[:, :-1].pow(1 - weight) * p_vlm[:, :-1].pow(weight)
    fused = torch.cat([fused, p_det[:, -1:]], dim=1)
    return fused / fused.sum(dim=1, keepdim=True)


def scores_for_softmax(probs: torch.Tensor, objectness: torch.Tensor = None, objectness_weight: float = 0.0,
                       eps: float = 1e-12) -> torch.Tensor:
    """Logits whose softmax gives back ``probs`` (optionally times ``objectness ** objectness_weight``), for mmdet's
    bbox head, which applies a softmax before NMS.

    The class columns become ``log(p_c * o^a)`` and the background column ``log(1 - sum_c p_c * o^a)``: the row
    already sums to 1, so the softmax returns these values exactly (NMS drops the background column).

    Args:
        probs: (N, K + 1) probabilities, background last.
        objectness: (N, ) RPN scores, or None.
        objectness_weight: exponent of the objectness (released: 3 with its centerness RPN; 0 disables).
        eps: floor inside the logarithms.

    Returns:
        (N, K + 1) logits.
    """
    cls = probs[:, :-1]
    if objectness is not None and objectness_weight > 0:
        cls = cls * objectness.clamp(min=0, max=1)[:, None].pow(objectness_weight)
    background = (1 - cls.sum(dim=1, keepdim=True)).clamp(min=eps)
    return torch.cat([cls.clamp(min=eps), background], dim=1).log()
