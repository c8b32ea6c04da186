"""Pick the caption of an image for this iteration out of all of its captions."""
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.dist import get_dist_info
from torch.utils.data import get_worker_info

from ...registry import TRANSFORMS


def _reader_id() -> Tuple[int, int]:
    """(rank, dataloader worker) of the calling process."""
    info = get_worker_info()
    return get_dist_info()[0], info.id if info is not None else -1


@TRANSFORMS.register_module()
class SampleCaption(BaseTransform):
    """Set ``caption`` to one of the image's ``captions``: a random one for training, the first for evaluation.

    ``captions`` is kept in both modes, so retrieval evaluation sees every caption of every image.

    Args:
        test_mode: evaluation: ``caption`` is the first caption (no randomness).
        seed: ``None`` draws from numpy's global generator (seeded per rank and worker by mmengine's
            ``randomness.seed``, as other OpenMMLab transforms); an int gives this transform its own generator,
            seeded by ``(seed, rank, worker)``, so the choices are the same in every run.
    """

    def __init__(self, test_mode: bool = False, seed: Optional[int] = None) -> None:
        self.test_mode = test_mode
        self.seed = seed
        self._rng: Optional[np.random.Generator] = None
        self._rng_owner: Optional[Tuple[int, int]] = None

    def _choose(self, num: int) -> int:
        if self.seed is None:
            return int(np.random.randint(num))
        owner = _reader_id()
        if self._rng is None or owner != self._rng_owner:  # a worker starts from its own seed, not a copied state
            self._rng, self._rng_owner = np.random.default_rng([self.seed, owner[0], owner[1] + 1]), owner
        return int(self._rng.integers(num))

    def transform(self, results: dict) -> dict:
        """Args:
            results: a data info with ``captions`` (a non-empty list of strings).

        Returns:
            ``results`` with ``caption`` set.

        Raises:
            KeyError: no ``captions``.
            ValueError: ``captions`` is not a non-empty list of strings.
        """
        where = results.get('img_path', results.get('img_id', '?'))
        if 'captions' not in results:
            raise KeyError(f'SampleCaption: item {where} has no "captions" (keys: {sorted(results)})')
        captions = results['captions']
        if not isinstance(captions, (list, tuple)) or not captions or not all(isinstance(c, str) for c in captions):
            raise ValueError(f'SampleCaption: "captions" of item {where} must be a non-empty list of strings, '
                             f'got {captions!r}')
        results['caption'] = captions[0] if self.test_mode else captions[self._choose(len(captions))]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(test_mode={self.test_mode}, seed={self.seed})'
