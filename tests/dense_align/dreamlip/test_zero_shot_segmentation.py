"""Zero-shot segmentation from dense embeddings and its mIoU, against hand-computed values."""
import numpy as np
import pytest
import torch

from dense_align.dreamlip import mean_iou, segment_zero_shot


def test_patches_take_the_most_similar_prompt_and_miou_by_hand():
    dense = torch.tensor([[1.0, 0.0], [0.0, 1.0]])[:, :, None].expand(2, 2, 2).clone()[None]  # (1, D=2, h=2, w=2)
    dense[0, :, :, 1] = torch.tensor([[0.0], [1.0]]).expand(2, 2)  # right column points at prompt 1
    dense[0, :, :, 0] = torch.tensor([[1.0], [0.0]]).expand(2, 2)  # left column at prompt 0
    labels = segment_zero_shot(dense, torch.tensor([[1.0, 0.0], [0.0, 1.0]]), (2, 2))
    assert labels.tolist() == [[[0, 1], [0, 1]]]
    pred = np.array([[0, 1], [0, 1]])
    gt = np.array([[0, 1], [1, 1]])
    # class 0: inter 1, union 2; class 1: inter 2, union 3; class 2 absent everywhere: left out
    assert mean_iou([pred], [gt], 3) == pytest.approx(100 * (1 / 2 + 2 / 3) / 2)


def test_miou_ignoring_the_background_pixels_by_hand():
    gt = np.array([[0, 1, 1], [0, 2, 2]])
    pred = np.array([[1, 1, 2], [2, 2, 2]])  # the background pixels (predicted 1 and 2) do not count
    # over the 4 object pixels: class 1: inter 1, union 2; class 2: inter 2, union 3; class 0 is no class
    assert mean_iou([pred], [gt], 3, ignore_index=0) == pytest.approx(100 * (1 / 2 + 2 / 3) / 2)
    # counting them: class 0 (union 2, inter 0), class 1 (inter 1, union 3), class 2 (inter 2, union 4)
    assert mean_iou([pred], [gt], 3) == pytest.approx(100 * (0 + 1 / 3 + 2 / 4) / 3)
