"""Training MOFI straight from shard-sourced I2E labels: ``tools/data/build_i2e.py`` over the demo's webdataset
shards writes labels that name images ``<shard>.tar/<key>.png`` (relative to ``--image-root``), ``EntityImageDataset``
indexes the shards and ``LoadEntityImage`` decodes the members (the same pixels as the image files), and a MOFI
trains a few iterations on them; a missing member and a changed shard are errors naming them."""
import importlib.util
import json
import sys
import tarfile

import mmcv
import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config
from mmengine.runner import Runner

from conftest import REPO
from dense_align.datasets.demo_shapes import CLASSES
from dense_align.mofi import EntityImageDataset, LoadEntityImage
from dense_align.mofi.i2e_inputs import shard_name
from dense_align.mofi.shard_images import index_shard, read_member, split_shard_path

MOFI_CONFIG = REPO / 'configs/mofi/mofi_vit-tiny_1xb64-300it_demo-shapes-i2e-64x64.py'
CLIP_CONFIG = REPO / 'configs/mofi/clip_vit-tiny_1xb64-300it_demo-shapes-alttext-64x64.py'


def _run_build_i2e(args, monkeypatch):
    spec = importlib.util.spec_from_file_location('build_i2e_tool', REPO / 'tools/data/build_i2e.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, 'argv', ['build_i2e.py'] + [str(a) for a in args])
    tool.main()


def test_build_i2e_from_shards_then_train(demo_root, tmp_path, monkeypatch):
    vocab = tmp_path / 'vocab.jsonl'
    vocab.write_text(''.join(json.dumps(dict(id=f'S{i}', name=n)) + '\n' for i, n in enumerate(CLASSES)))
    out = tmp_path / 'i2e'
    # the CLIP filter is the demo's, untrained (no checkpoint): it only has to rank the candidates
    _run_build_i2e(['shards/train.txt', '--image-root', demo_root, '--entities', vocab, '--out', out,
                    '--clip-config', CLIP_CONFIG, '--top-k', 2], monkeypatch)
    records = [json.loads(line) for line in (out / 'labels.jsonl').read_text().splitlines()]
    assert records and all(r['image'].startswith('shards/train/') and '.tar/' in r['image'] for r in records)

    data_args = dict(ann_file=str(out / 'labels.jsonl'), entity_file=str(out / 'entities.jsonl'),
                     data_root=str(demo_root), data_prefix=dict(img=''))
    with pytest.raises(ValueError, match='names images inside tar shards .*LoadEntityImage'):
        EntityImageDataset(pipeline=[LoadImageFromFile()], **data_args)
    data = EntityImageDataset(pipeline=[LoadEntityImage()], **data_args)
    assert len(data) == len(records)
    load = LoadEntityImage()
    for i in range(len(data)):
        info = data.get_data_info(i)
        assert info['shard'].endswith('.tar') and info['img_id'] == records[i]['key']
        got = load.transform(info)['img']  # the shard member, decoded as LoadImageFromFile decodes files
        np.testing.assert_array_equal(got, mmcv.imread(str(demo_root / 'images/train' / f'{info["img_id"]}.png')))
    # an image file is still read from disk
    file_info = dict(img_path=str(demo_root / 'images/train' / f'{records[0]["key"]}.png'))
    np.testing.assert_array_equal(load.transform(file_info)['img'], mmcv.imread(file_info['img_path']))

    cfg = Config.fromfile(str(MOFI_CONFIG))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.model.num_entities = sum(1 for _ in open(out / 'entities.jsonl'))
    loader = cfg.train_dataloader
    loader.batch_size, loader.num_workers, loader.persistent_workers = 8, 0, False
    loader.dataset.update(data_root=str(demo_root), ann_file=str(out / 'labels.jsonl'),
                          entity_file=str(out / 'entities.jsonl'))
    assert loader.dataset.pipeline[0] == dict(type='LoadEntityImage')  # the config reads shards as they are
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=3, val_interval=100)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.default_hooks.checkpoint.interval = 3
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 3
    losses = runner.message_hub.get_scalar('train/loss_cls').data[0]
    assert len(losses) == 3 and np.isfinite(losses).all()
    # multi-task: the first loss is the cross-entropy of a fresh head over the kept entities (about log(n))
    assert abs(losses[0] - np.log(cfg.model.num_entities)) < 0.2


def test_shard_member_errors(tmp_path):
    # label names of shards: relative inside the image root, else as given
    assert shard_name('/data/root/shards/00000.tar', '/data/root') == 'shards/00000.tar'
    assert shard_name('/elsewhere/00000.tar', '/data/root') == '/elsewhere/00000.tar'
    assert shard_name('https://host/00000.tar', '/data/root') == 'https://host/00000.tar'
    shard = tmp_path / '00000.tar'
    with tarfile.open(shard, 'w') as tar:
        (tmp_path / 'a.png').write_bytes(b'0123456789')
        tar.add(tmp_path / 'a.png', arcname='a.png')
    assert split_shard_path(f'{shard}/a.png') == (str(shard), 'a.png')
    assert split_shard_path(f'{tmp_path}/missing.tar/a.png') is None  # not a shard: read as a file path
    offset, size = index_shard(str(shard))['a.png']
    assert read_member(str(shard), offset, size) == b'0123456789'
    with pytest.raises(ValueError, match='cut short'):
        read_member(str(shard), offset, 10 ** 6)
    (tmp_path / 'entities.jsonl').write_text(json.dumps(dict(id='Q1', name='x')) + '\n')
    (tmp_path / 'labels.jsonl').write_text(json.dumps(dict(image=f'{shard}/b.png', labels=[0])) + '\n')
    with pytest.raises(FileNotFoundError, match=r"labels.jsonl:1 .*has no member 'b.png'"):
        EntityImageDataset(ann_file=str(tmp_path / 'labels.jsonl'), entity_file=str(tmp_path / 'entities.jsonl'),
                           pipeline=[])
    (tmp_path / 'bad.tar').write_bytes(b'not a tar at all' * 64)
    with pytest.raises(ValueError, match='bad.tar is not a readable uncompressed tar'):
        index_shard(str(tmp_path / 'bad.tar'))
