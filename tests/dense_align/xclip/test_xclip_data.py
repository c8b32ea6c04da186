"""X-CLIP data: frame sampling, decoding of video files and frame folders, bad videos and class files, clip-wide
augmentations, multi-view packing, Mixup/CutMix targets, the accuracy metric and the optimizer groups."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from dense_align.datasets import DemoVideosSpec, generate_demo_videos
from dense_align.evaluation import topk_accuracy
from dense_align.registry import TRANSFORMS
from dense_align.xclip import (MixupCutmix, SampleVideoFrames, VideoDataset, XCLIPOptimWrapperConstructor,
                               read_class_file, tsn_indices)
from xclip_tiny import tiny_model


@pytest.fixture(autouse=True)
def dense_align_scope():
    init_default_scope('dense_align')  # other tests may leave another scope current


@pytest.fixture(scope='module')
def videos_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo_videos')
    generate_demo_videos(str(root), DemoVideosSpec(num_train=12, num_val=6, size=32, num_frames=16, seed=3))
    return root


def test_tsn_sampling_takes_one_frame_per_segment():
    rng = np.random.default_rng(0)
    train = tsn_indices(16, 4, 1, False, rng)
    assert [i // 4 for i in train] == [0, 1, 2, 3]
    assert tsn_indices(16, 4, 1, True, rng).tolist() == [2, 6, 10, 14]
    assert tsn_indices(16, 4, 2, True, rng).tolist() == [1, 5, 9, 13, 3, 7, 11, 15]
    assert tsn_indices(3, 6, 1, True, rng).tolist() == [0, 0, 1, 1, 2, 2]  # short video: frames repeat


def test_video_files_and_frame_folders_decode_the_same_frames(videos_root):
    sample = SampleVideoFrames(num_frames=4, test_mode=True)
    for name in ('000000.avi', '000001'):
        results = sample.transform(dict(filename=str(videos_root / 'videos/train' / name)))
        assert results['total_frames'] == 16 and results['frame_inds'].tolist() == [2, 6, 10, 14]
        assert len(results['imgs']) == 4 and results['imgs'][0].shape == (32, 32, 3)
    frames = sorted((videos_root / 'videos/train/000001').iterdir())
    results = sample.transform(dict(filename=str(videos_root / 'videos/train/000001')))
    assert np.array_equal(results['imgs'][1], cv2.imread(str(frames[6])))


def test_unreadable_and_short_videos(tmp_path, capsys):
    broken = tmp_path / 'broken.avi'
    broken.write_bytes(b'not a video')
    with pytest.raises(IOError, match='broken.avi'):
        SampleVideoFrames().transform(dict(filename=str(broken)))
    with pytest.raises(IOError, match='missing.avi.*does not exist'):
        SampleVideoFrames().transform(dict(filename=str(tmp_path / 'missing.avi')))
    short = tmp_path / 'short'
    short.mkdir()
    for i in range(2):
        cv2.imwrite(str(short / f'{i}.png'), np.full((8, 8, 3), 40 * i, np.uint8))
    MMLogger.get_instance(f'short-video-{tmp_path.name}')  # a current logger writing to this test's stdout
    results = SampleVideoFrames(num_frames=4, test_mode=True).transform(dict(filename=str(short)))
    assert results['frame_inds'].tolist() == [0, 0, 1, 1]
    assert 'fewer than the 4 sampled' in capsys.readouterr().out


def test_class_files_and_annotations_are_checked(tmp_path, videos_root):
    assert read_class_file(str(videos_root / 'classes.csv'))[0] == 'circle moving left'
    (tmp_path / 'gap.csv').write_text('0,run\n2,jump\n')
    with pytest.raises(ValueError, match='gap.csv.*missing \\[1\\]'):
        read_class_file(str(tmp_path / 'gap.csv'))
    (tmp_path / 'two.csv').write_text('id,name\n0,run\n1,jump\n')
    (tmp_path / 'ann.txt').write_text('a.avi 0\nb.avi 5\n')
    with pytest.raises(ValueError, match='ann.txt:2: label 5 is not an id of .*two.csv'):
        VideoDataset(ann_file=str(tmp_path / 'ann.txt'), class_file=str(tmp_path / 'two.csv'))
    dataset = VideoDataset(ann_file='annotations/val.txt', class_file='classes.csv', data_root=str(videos_root),
                           data_prefix=dict(video='videos'))
    assert len(dataset) == 6 and dataset.metainfo['classes'][5] == 'square shrinking'


def test_crop_and_flip_treat_the_clip_as_one():
    np.random.seed(0)
    frame = np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    results = dict(imgs=[frame.copy() for _ in range(3)])
    for cfg in (dict(type='VideoMultiScaleCrop', size=24), dict(type='VideoFlip', prob=1.0)):
        results = TRANSFORMS.build(cfg).transform(results)
    assert results['imgs'][0].shape == (24, 24, 3)
    assert all(np.array_equal(img, results['imgs'][0]) for img in results['imgs'])  # same draw for every frame


def test_three_crops_and_clips_pack_into_views():
    results = dict(imgs=[np.full((32, 48, 3), i, np.uint8) for i in range(2 * 4)], clip_len=4, num_clips=2,
                   label=3, filename='v.avi')
    results = TRANSFORMS.build(dict(type='VideoCenterCrop', size=32, three_crop=True)).transform(results)
    packed = TRANSFORMS.build(dict(type='PackVideoInputs')).transform(results)
    assert packed['inputs'].shape == (6, 4, 3, 32, 32)  # 3 crops x 2 clips, 4 frames each
    assert packed['inputs'][1, 0, 0, 0, 0] == 4 and packed['inputs'][2, 0, 0, 0, 0] == 0  # crop-major
    assert int(packed['data_samples'].gt_label) == 3


@pytest.mark.parametrize('switch_prob', [0.0, 1.0])
def test_mixup_and_cutmix_targets_are_smoothed_mixtures(switch_prob):
    np.random.seed(1)
    blend = MixupCutmix(num_classes=5, switch_prob=switch_prob, label_smoothing=0.1)
    clips = torch.stack([torch.zeros(2, 3, 8, 8), torch.ones(2, 3, 8, 8)])
    mixed, targets = blend(clips, torch.tensor([0, 3]))
    torch.testing.assert_close(targets.sum(dim=1), torch.ones(2))
    share_of_clip_1 = mixed[0].mean()  # clip 0 is zeros: its mean is the share taken from clip 1
    assert torch.isclose(targets[0, 3] - 0.02, (1 - 0.1) * share_of_clip_1, atol=1e-5)


def test_topk_and_mean_class_accuracy():
    scores = torch.tensor([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    labels = torch.tensor([0, 1, 1, 1])
    result = topk_accuracy(scores, labels, ks=(1, 2, 5))
    assert result['top1'] == 50.0 and result['top2'] == 100.0 and 'top5' not in result
    assert result['mean_class_accuracy'] == pytest.approx((100.0 + 100.0 / 3) / 2)


def test_optimizer_groups_follow_the_paper():
    model = tiny_model()
    constructor = XCLIPOptimWrapperConstructor(
        dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=8e-6, weight_decay=0.001)),
        dict(new_module_keys=('message_', 'mit.', 'prompts'), new_lr_mult=10.0))
    optimizer = constructor(model).optimizer
    seen = {id(p): g for g in optimizer.param_groups for p in g['params']}
    named = dict(model.named_parameters())
    assert id(named['text_encoder.token_embedding.weight']) not in seen  # frozen text
    assert seen[id(named['mit.resblocks.0.attn.in_proj_weight'])]['lr'] == pytest.approx(8e-5)
    assert seen[id(named['visual.transformer.resblocks.0.message_fc.weight'])]['lr'] == pytest.approx(8e-5)
    assert seen[id(named['visual.transformer.resblocks.0.attn.in_proj_weight'])]['lr'] == pytest.approx(8e-6)
    assert seen[id(named['visual.transformer.resblocks.0.message_ln.bias'])]['weight_decay'] == 0
    assert seen[id(named['visual.positional_embedding'])]['weight_decay'] == 0
    assert seen[id(named['visual.conv1.weight'])]['weight_decay'] == 0.001
    for new in ('prompts_generator.decoder.0.cross_attn.q_proj.weight', 'prompts_visual_proj',
                'prompts_generator.alpha'):
        assert seen[id(named[new])]['lr'] == pytest.approx(8e-5)
    assert seen[id(named['prompts_generator.decoder.0.cross_attn.q_proj.weight'])]['weight_decay'] == 0.001
    assert id(named['logit_scale']) not in seen and not named['logit_scale'].requires_grad  # frozen scale
    with pytest.raises(KeyError, match='new_lr_mul'):
        XCLIPOptimWrapperConstructor(dict(optimizer=dict(type='AdamW', lr=1.0)), dict(new_lr_mul=10))
