"""Webdataset shards: disjoint full split over ranks x workers, resume by sample count, corrupt samples counted."""
import io
import logging
import tarfile
from collections import Counter
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmengine.runner.loops import _InfiniteDataloaderIterator
from torch.utils.data import DataLoader

from dense_align.datasets.image_text import CaptionShardDataset, expand_shards, slot_shards
from dense_align.registry import DATASETS, HOOKS


def _png(value: int) -> bytes:
    return cv2.imencode('.png', np.full((4, 5, 3), value, np.uint8))[1].tobytes()


def _write_shard(path, samples):
    """samples: (key, {ext: bytes})."""
    with tarfile.open(path, 'w') as tar:
        for key, files in samples:
            for ext, data in files.items():
                info = tarfile.TarInfo(f'{key}.{ext}')
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return str(path)


@pytest.fixture(scope='module')
def shard_dir(tmp_path_factory):
    """8 shards of 5 samples: keys s{shard}_{i}, images whose grey value is 8 * shard + i."""
    root = tmp_path_factory.mktemp('shards')
    for shard in range(8):
        _write_shard(root / f'{shard:03d}.tar', [(f's{shard}_{i}', dict(png=_png(8 * shard + i),
                                                                         txt=f'caption {shard} {i}'.encode()))
                                                 for i in range(5)])
    return root


def _keys(items):
    return [item['img_id'] for item in items]


def test_ranks_by_workers_read_disjoint_sets_that_cover_everything(shard_dir):
    dataset = DATASETS.build(dict(type='CaptionShardDataset', shards='{000..007}.tar', data_root=str(shard_dir),
                                  seed=1, shuffle_buffer=4))
    per_reader = [_keys(dataset.iter_slot(rank, 2, worker, 2)) for rank in range(2) for worker in range(2)]
    everything = [k for keys in per_reader for k in keys]
    assert sorted(everything) == sorted(f's{s}_{i}' for s in range(8) for i in range(5))  # no duplicate, none lost
    assert [len(keys) for keys in per_reader] == [10, 10, 10, 10]
    # the split is by shard: each reader reads two whole shards
    assert all(len({k.split('_')[0] for k in keys}) == 2 for keys in per_reader)
    item = next(iter(dataset.iter_slot(0, 1, 0, 1)))
    shard, i = map(int, item['img_id'][1:].split('_'))
    assert item['img'].shape == (4, 5, 3) and (item['img'] == 8 * shard + i).all()
    assert item['captions'] == [f'caption {shard} {i}']
    assert item['img_path'].endswith(f'{shard:03d}.tar/{item["img_id"]}.png')


def _collate(batch):
    return batch


def test_real_dataloader_workers_split_without_duplicates(shard_dir):
    dataset = CaptionShardDataset(shards=[str(shard_dir / f'{s:03d}.tar') for s in range(8)], shuffle_shards=False)
    loader = DataLoader(dataset, batch_size=3, num_workers=2, collate_fn=_collate)
    keys = [item['img_id'] for batch in loader for item in batch]
    assert Counter(keys) == Counter(f's{s}_{i}' for s in range(8) for i in range(5))


def _round_robin(dataset, rank, world, workers, batch_size, num_batches):
    """The batches a torch DataLoader delivers on one rank: batch b from worker b % workers."""
    streams = [dataset.iter_slot(rank, world, w, workers) for w in range(workers)]
    return [_keys(next(streams[b % workers]) for _ in range(batch_size)) for b in range(num_batches)]


@pytest.mark.parametrize('rank', [0, 1])
def test_resume_by_sample_count_continues_exactly(shard_dir, rank):
    cfg = dict(shards=str(shard_dir / '{000..007}.tar'), repeat=True, seed=5, shuffle_buffer=3, batch_size=2)
    full = _round_robin(CaptionShardDataset(**cfg), rank, 2, 2, 2, 14)
    # a pass gives each of the 4 readers 10 samples: 7 batches of 2 on a rank cross into the second pass
    resumed = _round_robin(CaptionShardDataset(skip_samples=7 * 2, **cfg), rank, 2, 2, 2, 7)
    assert resumed == full[7:]
    first_pass = {k for batch in full[:10] for k in batch}
    assert len(first_pass) == 20  # the rank's 20 samples of pass 0, each once
    assert full[10:] != full[:4]  # the second pass is shuffled differently
    with pytest.raises(ValueError, match='skip_samples=3 is not a whole number of batches of batch_size=2'):
        next(iter(CaptionShardDataset(skip_samples=3, **cfg).iter_slot(0, 1, 0, 2)))


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_corrupt_samples_and_shards_are_counted_logged_and_skipped(tmp_path):
    good = dict(png=_png(1), txt=b'fine')
    shards = [
        _write_shard(tmp_path / 'a.tar', [('ok1', good), ('bad_image', dict(png=b'not a png', txt=b'x')),
                                          ('no_caption', dict(png=_png(2))),
                                          ('bad_text', dict(png=_png(2), txt=b'\xff')),
                                          ('ok2', good)]),
        str(tmp_path / 'missing.tar'),
    ]
    healthy = (tmp_path / 'a.tar').read_bytes()
    truncated = tmp_path / 'truncated.tar'
    truncated.write_bytes(healthy[:512 * 5 + 10])  # ok1 (2 x header + data), then bad_image's data is cut short
    dataset = CaptionShardDataset(shards=shards + [str(truncated)], shuffle_shards=False)
    logger, records = MMLogger.get_current_instance(), _Records()
    logger.addHandler(records)
    try:
        assert _keys(dataset.iter_slot(0, 1, 0, 1)) == ['ok1', 'ok2', 'ok1']
    finally:
        logger.removeHandler(records)
    assert dataset.num_corrupt == 4  # three in a.tar, and the truncated shard's partial last sample
    assert dataset.num_shard_errors == 2  # the missing shard and the truncated one
    log = '\n'.join(records.messages)
    assert "skipped a corrupt sample (1 on this reader so far):" in log and "'bad_image': the .png image does not " \
        "decode" in log
    assert "'no_caption': no caption" in log and "'bad_text': .txt is not UTF-8" in log
    assert 'missing.tar' in log and "ReadError('unexpected end of data'" in log


def test_bad_configurations_are_explained(shard_dir, tmp_path):
    with pytest.raises(ValueError, match=r'8 shards cannot be split over 9 readers'):
        slot_shards(expand_shards('{000..007}.tar', str(shard_dir)), 0, 9)
    with pytest.raises(ValueError, match='remove LoadImageFromFile'):
        CaptionShardDataset(shards=str(shard_dir / '000.tar'), pipeline=[dict(type='LoadImageFromFile')])
    with pytest.raises(ValueError, match=r'names these shards more than once: \[.*000.tar'):
        expand_shards(['{000..001}.tar', '000.tar'], str(shard_dir))
    with pytest.raises(FileNotFoundError, match='shard list file .*nolist.txt does not exist'):
        expand_shards('nolist.txt', str(tmp_path))
    with pytest.raises(TypeError, match='set num_samples'):
        len(CaptionShardDataset(shards=str(shard_dir / '000.tar')))
    assert len(CaptionShardDataset(shards=str(shard_dir / '000.tar'), num_samples=40)) == 40
    empty = _write_shard(tmp_path / 'only_bad.tar', [('x', dict(png=b'junk', txt=b'y'))])
    with pytest.raises(RuntimeError, match='found no usable sample in its shards'):
        list(CaptionShardDataset(shards=empty, repeat=True).iter_slot(0, 1, 0, 1))


def test_shard_list_file_and_patterns(shard_dir, tmp_path):
    (tmp_path / 'list.txt').write_text(f'# two shards\n{shard_dir}/{{000..001}}.tar\n\nsub/x.tar\n')
    assert expand_shards('list.txt', str(tmp_path)) == [f'{shard_dir}/000.tar', f'{shard_dir}/001.tar',
                                                          f'{tmp_path}/sub/x.tar']
    assert expand_shards('a/{0..1}.tar::pipe:cat b.tar', 'root') == ['root/a/0.tar', 'root/a/1.tar', 'pipe:cat b.tar']


def test_resume_hook_answers_mmengines_replay_and_continues_exactly(shard_dir):
    cfg = dict(shards=str(shard_dir / '{000..007}.tar'), repeat=True, seed=5, shuffle_buffer=3)

    def loader():
        return DataLoader(CaptionShardDataset(**cfg), batch_size=2, num_workers=2, persistent_workers=True,
                          collate_fn=_collate)

    reference = _InfiniteDataloaderIterator(loader())
    uninterrupted = [_keys(next(reference)) for _ in range(13)]
    dataloader = loader()
    loop = SimpleNamespace(dataloader=dataloader, dataloader_iterator=_InfiniteDataloaderIterator(dataloader))
    HOOKS.build(dict(type='ShardResumeHook')).before_train(SimpleNamespace(iter=9, train_loop=loop))
    assert [next(loop.dataloader_iterator) for _ in range(9)] == [None] * 9  # what IterBasedTrainLoop discards
    assert [_keys(next(loop.dataloader_iterator)) for _ in range(4)] == uninterrupted[9:]
    assert loop.dataloader.dataset.skip_samples == 18


def test_runner_builds_a_dataloader_for_it(shard_dir):
    with DefaultScope.overwrite_default_scope('dense_align'):
        dataloader = Runner.build_dataloader(dict(
            batch_size=4, num_workers=0, sampler=None, collate_fn=dict(type='pseudo_collate'),
            dataset=dict(type='CaptionShardDataset', shards=str(shard_dir / '{000..007}.tar'),
                         pipeline=[dict(type='SampleCaption', seed=0)])))
    batches = list(dataloader)
    assert [len(b['caption']) for b in batches] == [4] * 10
    assert sorted(k for b in batches for k in b['img_id']) == sorted(f's{s}_{i}' for s in range(8) for i in range(5))
