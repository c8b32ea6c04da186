"""The output contract of a backbone: what each output is called, its channels and its stride."""
from typing import NamedTuple, Optional


class ShapeSpec(NamedTuple):
    """One backbone output, as detectron2's ``ShapeSpec``.

    Attributes:
        name: output name, e.g. ``'res5'`` or ``'dense_embed'``.
        channels: number of channels (or embedding width).
        stride: stride w.r.t. the input image; None for a global (B, D) vector.
    """
    name: str
    channels: int
    stride: Optional[int]
