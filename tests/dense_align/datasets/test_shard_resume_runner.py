"""Under mmengine's Runner, a resumed shard stream continues with the samples the interrupted run would have seen."""
import io
import tarfile

import cv2
import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner

import dense_align  # noqa: F401  (registration)

SEEN = []


class _RecordIds(BaseModel):
    """A one-parameter model that records the image ids of every training batch."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, img, img_id, mode='loss', **kwargs):
        SEEN.append(list(img_id))
        return dict(loss=(self.w - 1).pow(2).sum())


def _shards(root):
    png = cv2.imencode('.png', np.zeros((2, 2, 3), np.uint8))[1].tobytes()
    for shard in range(4):
        with tarfile.open(root / f'{shard}.tar', 'w') as tar:
            for i in range(6):
                for ext, data in (('png', png), ('txt', b'a caption')):
                    info = tarfile.TarInfo(f's{shard}_{i}.{ext}')
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return str(root / '{0..3}.tar')


def _train(work_dir, shards, max_iters, resume):
    runner = Runner(
        model=_RecordIds(), work_dir=str(work_dir), default_scope='dense_align', resume=resume,
        train_dataloader=dict(batch_size=3, num_workers=0, sampler=None, collate_fn=dict(type='pseudo_collate'),
                              dataset=dict(type='CaptionShardDataset', shards=shards, repeat=True, seed=2,
                                           shuffle_buffer=4)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters), custom_hooks=[dict(type='ShardResumeHook')],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5), logger=None),
        log_processor=dict(by_epoch=False), randomness=dict(seed=0))
    runner.train()


def test_resumed_run_sees_what_the_uninterrupted_run_saw(tmp_path):
    shards = _shards(tmp_path)
    _train(tmp_path / 'full', shards, 12, resume=False)
    uninterrupted = SEEN[:]
    SEEN.clear()
    _train(tmp_path / 'cut', shards, 5, resume=False)
    SEEN.clear()
    _train(tmp_path / 'cut', shards, 12, resume=True)  # resumes from iter_5.pth
    assert SEEN == uninterrupted[5:]  # 12 batches of 3 cross a pass (24 samples): the second pass is reshuffled
