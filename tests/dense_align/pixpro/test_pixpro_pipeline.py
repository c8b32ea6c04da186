"""PixPro data: the two-view transform (boxes predict the pixels), the unlabeled image dataset, the preprocessor."""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from dense_align.pixpro import MultiViewDataPreprocessor, PixProTwoViews, UnlabeledImageFolder, cell_centres

NO_COLOUR = dict(jitter_prob=0.0, gray_prob=0.0, views=[dict(blur_prob=0.0, solarize_prob=0.0)] * 2)


def coordinate_image(height: int, width: int) -> np.ndarray:
    """BGR image whose red channel is the column index and green channel the row index (both < 256)."""
    img = np.zeros((height, width, 3), np.uint8)
    img[..., 2] = np.arange(width)[None, :]
    img[..., 1] = np.arange(height)[:, None]
    return img


@pytest.mark.parametrize('seed', range(6))
def test_view_boxes_predict_the_original_pixels_of_each_view(seed):
    np.random.seed(seed)
    height, width, size = 200, 250, 32
    out = PixProTwoViews(size=size, scale=(0.3, 1.0), flip_prob=0.5, **NO_COLOUR).transform(
        dict(img=coordinate_image(height, width)))
    views, boxes = out['inputs'], out['data_samples'].view_boxes
    assert views.shape == (2, 3, size, size) and views.dtype == torch.uint8 and boxes.shape == (2, 4)
    for view, box in zip(views, boxes):
        centres = cell_centres(box[None].double(), size, size)[0]  # normalised by (size - 1) per axis
        cols, rows = centres[:, 0] * (width - 1), centres[:, 1] * (height - 1)
        inner = slice(2, size - 2)  # antialiasing blurs the outermost output pixels against the crop border
        seen_cols = view[0].double()[inner, inner].flatten()  # RGB: channel 0 is red = column
        seen_rows = view[1].double()[inner, inner].flatten()
        want_cols = cols.view(size, size)[inner, inner].flatten()
        want_rows = rows.view(size, size)[inner, inner].flatten()
        assert (seen_cols - want_cols).abs().max() < 1.5
        assert (seen_rows - want_rows).abs().max() < 1.5


def test_byol_views_are_asymmetric():
    np.random.seed(0)
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    transform = PixProTwoViews(size=48, scale=(1.0, 1.0), ratio=(1.0, 1.0), flip_prob=0.0, jitter_prob=0.0,
                               gray_prob=0.0, blur_sigma=(8.0, 8.0),
                               views=[dict(blur_prob=1.0, solarize_prob=0.0),
                                                     dict(blur_prob=0.0, solarize_prob=1.0)])
    view_1, view_2 = transform.transform(dict(img=image))['inputs'].long()
    plain = torch.from_numpy(cv2.resize(image, (48, 48), interpolation=cv2.INTER_AREA)[..., ::-1].copy())
    plain = plain.permute(2, 0, 1).long()
    assert view_1.float().std() < 0.6 * plain.float().std()  # blurred
    bright = plain >= 140  # solarized: bright pixels inverted, dark ones kept
    assert (view_2[bright] < 128).float().mean() > 0.9
    assert (view_2[plain < 110] < 128).float().mean() > 0.9


REFERENCE_BYOL_VIEWS = [  # zdaxie/PixPro e390d6b contrast/data/transform.py, aug_type 'BYOL' (transform_1, transform_2)
    dict(flip=0.5, jitter=0.8, gray=0.2, blur=1.0, solarize=0.0),
    dict(flip=0.5, jitter=0.8, gray=0.2, blur=0.1, solarize=0.2),
]


def test_default_augmentation_probabilities_per_view_are_the_references(monkeypatch):
    transform = PixProTwoViews(size=16)
    assert transform.scale == (0.08, 1.0) and transform.blur_sigma == (0.1, 2.0)
    jitter = transform.color_jitter  # ColorJitter(0.4, 0.4, 0.2, 0.1)
    assert (jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue) == \
        ((0.6, 1.4), (0.6, 1.4), (0.8, 1.2), (-0.1, 0.1))
    calls = dict(jitter=0, gray=0, blur=0, solarize=0)

    def counting(name, fn):
        def wrapped(img, *args, **kwargs):
            calls[name] += 1
            return fn(img, *args, **kwargs)
        return wrapped

    from dense_align.pixpro import two_views
    monkeypatch.setattr(transform, 'color_jitter', counting('jitter', lambda img: img))
    for name, attr in (('gray', 'rgb_to_grayscale'), ('blur', 'gaussian_blur'), ('solarize', 'solarize')):
        monkeypatch.setattr(two_views.TF, attr, counting(name, getattr(two_views.TF, attr)))
    image = torch.zeros(3, 24, 24, dtype=torch.uint8)
    trials = 600
    for view, want in zip(transform.views, REFERENCE_BYOL_VIEWS):
        rng = np.random.default_rng(0)
        calls.update(dict.fromkeys(calls, 0))
        boxes = [transform._view(image, rng, **view)[1] for _ in range(trials)]
        flips = sum(bool(box[0] > box[2]) for box in boxes)  # a flip swaps x1 and x2
        got = dict(flip=flips / trials, **{k: v / trials for k, v in calls.items()})
        assert got == pytest.approx(want, abs=0.06), (view, got)


def test_non_uint8_images_are_rejected_with_the_fix():
    image = np.zeros((32, 32, 3), np.float32)
    with pytest.raises(TypeError, match='a.png.*uint8.*float32'):
        PixProTwoViews(size=16).transform(dict(img=image, img_path='a.png'))


def test_grayscale_single_channel_images_are_accepted():
    np.random.seed(1)
    out = PixProTwoViews(size=16).transform(dict(img=np.full((40, 30), 90, np.uint8)))
    assert out['inputs'].shape == (2, 3, 16, 16)


def image_names(dataset: UnlabeledImageFolder) -> list:
    return [Path(dataset.get_data_info(i)['img_path']).name for i in range(len(dataset))]


def write_images(folder: Path, names):
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), np.zeros((8, 8, 3), np.uint8))


def test_image_folder_finds_nested_images_and_reads_file_lists(tmp_path):
    write_images(tmp_path / 'train', ['n01/a.JPEG', 'n01/b.png', 'n02/c.jpg'])
    (tmp_path / 'train' / 'notes.txt').write_text('not an image')
    dataset = UnlabeledImageFolder(data_root=str(tmp_path), data_prefix=dict(img='train'))
    assert image_names(dataset) == ['a.JPEG', 'b.png', 'c.jpg']
    (tmp_path / 'train.txt').write_text('n02/c.jpg 7\nn01/a.JPEG 0\n\n')
    listed = UnlabeledImageFolder(ann_file='train.txt', data_root=str(tmp_path), data_prefix=dict(img='train'))
    assert image_names(listed) == ['c.jpg', 'a.JPEG']


def test_image_folder_errors_name_the_problem(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='no image'):
        UnlabeledImageFolder(data_root=str(tmp_path), data_prefix=dict(img='empty'))
    with pytest.raises(FileNotFoundError, match='missing'):
        UnlabeledImageFolder(data_root=str(tmp_path), data_prefix=dict(img='missing'))
    (tmp_path / 'list.txt').write_text('gone.jpg\n')
    with pytest.raises(FileNotFoundError, match='list.txt.*gone.jpg'):
        UnlabeledImageFolder(ann_file='list.txt', data_root=str(tmp_path), data_prefix=dict(img='empty'))


def test_preprocessor_stacks_and_normalises_views():
    pre = MultiViewDataPreprocessor(mean=[10, 20, 30], std=[2, 4, 5])
    views = [torch.full((2, 3, 4, 4), 50, dtype=torch.uint8) for _ in range(3)]
    out = pre(dict(inputs=views, data_samples=[None] * 3))
    assert out['inputs'].shape == (3, 2, 3, 4, 4)
    assert torch.allclose(out['inputs'][0, 0, :, 0, 0], torch.tensor([20.0, 7.5, 4.0]))
    with pytest.raises(ValueError, match='same'):
        pre(dict(inputs=[torch.zeros(2, 3, 4, 4), torch.zeros(2, 3, 5, 5)]))
    unit = [torch.rand(2, 3, 4, 4) for _ in range(2)]  # 0-1 floats: normalising them with 0-255 statistics is wrong
    with pytest.raises(ValueError, match=r'floats in \[0, 1\].*0-255'):
        pre(dict(inputs=unit))
    assert pre(dict(inputs=[x * 255 for x in unit]))['inputs'].shape == (2, 2, 3, 4, 4)
