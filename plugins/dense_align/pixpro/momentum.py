"""The momentum schedule of PixPro / BYOL: 0.99 at the start, 1 at the end, cosine in between."""
import math


def cosine_momentum(step: int, total_steps: int, base: float = 0.99) -> float:
    """``1 - (1 - base) * (cos(pi * step / total) + 1) / 2``.

    Args:
        step: current iteration (0-based).
        total_steps: iterations of the whole training.
        base: momentum at step 0.

    Returns:
        The EMA momentum for this step.
    """
    if total_steps <= 0:
        raise ValueError(f'cosine_momentum: total_steps must be positive, got {total_steps}')
    return 1 - (1 - base) * (math.cos(math.pi * min(step, total_steps) / total_steps) + 1) / 2
