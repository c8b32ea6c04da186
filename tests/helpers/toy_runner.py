"""A tiny mmengine model and dataset for engine-level tests (checkpoints, resume) that need a real Runner."""
import torch
from mmengine.model import BaseModel
from torch.utils.data import Dataset


class ToyRegression(BaseModel):
    """Linear regression with a BatchNorm buffer, so checkpoints hold parameters, buffers and optimizer state."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = torch.nn.BatchNorm1d(4)
        self.linear = torch.nn.Linear(4, 1)

    def forward(self, inputs, targets=None, mode='tensor'):
        out = self.linear(self.norm(torch.stack(inputs) if isinstance(inputs, list) else inputs))
        if mode == 'loss':
            return dict(loss=((out.squeeze(1) - targets) ** 2).mean())
        return out


class ToyData(Dataset):
    """32 fixed random samples of y = x . w."""

    def __init__(self) -> None:
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(32, 4, generator=gen)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5, 3.0])

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], targets=self.y[i])


def toy_runner_cfg(work_dir: str, max_iters: int) -> dict:
    """Keyword arguments of an mmengine ``Runner`` training ToyRegression with SGD and a multi-step schedule."""
    return dict(
        model=ToyRegression(),
        work_dir=work_dir,
        train_dataloader=dict(dataset=ToyData(), sampler=dict(type='DefaultSampler', shuffle=True), batch_size=4,
                              collate_fn=dict(type='default_collate'), num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[2, 3], by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=max_iters, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        default_scope='mmengine')
