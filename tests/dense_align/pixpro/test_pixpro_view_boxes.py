"""View boxes of random crops/flips map each feature cell back to where it came from in the original image."""
import numpy as np
import torch
import torch.nn.functional as F

from dense_align.pixpro import cell_centres, sample_crop, view_box


def test_full_image_box_and_flip():
    assert view_box(0, 0, 50, 80, 50, 80, False).tolist() == [0.0, 0.0, 1.0, 1.0]
    assert view_box(0, 0, 50, 80, 50, 80, True).tolist() == [1.0, 0.0, 0.0, 1.0]


def test_sampled_crops_stay_inside_the_image():
    rng = np.random.default_rng(0)
    for _ in range(200):
        top, left, h, w = sample_crop(60, 90, rng)
        assert 0 <= top and top + h <= 60 and 0 <= left and left + w <= 90 and h > 0 and w > 0
        assert h * w >= 0.07 * 60 * 90  # at least the smallest scale, up to rounding
        assert 3 / 4 * 0.9 <= w / h <= 4 / 3 * 1.1 or (h, w) == (60, 90)


def test_cell_centres_point_at_the_pixels_each_cell_sees():
    rng = np.random.default_rng(3)
    height, width, size, cells = 60, 90, 64, 4
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32),
                            indexing='ij')
    coords = torch.stack([xs, ys])  # each pixel holds its own (x, y)
    for _ in range(20):
        top, left, h, w = sample_crop(height, width, rng, scale=(0.2, 1.0))
        flipped = bool(rng.integers(2))
        view = coords[:, top:top + h, left:left + w]
        if flipped:
            view = view.flip(-1)
        resized = F.interpolate(view[None], size=(size, size), mode='bilinear', align_corners=True)
        seen = F.adaptive_avg_pool2d(resized, cells)[0].flatten(1).t()  # cells*cells, 2: mean (x, y) per cell
        box = torch.from_numpy(view_box(top, left, h, w, height, width, flipped))[None]
        centres = cell_centres(box, cells, cells)[0] * torch.tensor([width - 1, height - 1])
        tolerance = torch.tensor([w / size + 1, h / size + 1])
        assert ((seen - centres).abs() <= tolerance).all(), (top, left, h, w, flipped)
