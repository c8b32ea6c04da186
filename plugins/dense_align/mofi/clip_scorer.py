"""CLIP image-text scores for the I2E filter, from any model of the project with ``encode_image`` /
``encode_text`` and a data preprocessor (``CLIPPretrainer``, ``MOFIPretrainer``)."""
from typing import List

import cv2
import numpy as np
import torch
import torch.nn.functional as F


class ClipScorer:
    """Cosine similarity of an image and texts under a CLIP model.

    Args:
        model: a model with ``encode_image``, ``encode_text`` and ``data_preprocessor`` (mean/std, BGR->RGB).
        image_size: the side images are resized to (the image tower's input size).
    """

    def __init__(self, model: torch.nn.Module, image_size: int) -> None:
        self.model = model.eval()
        self.image_size = image_size
        self._text_cache = {}

    @torch.no_grad()
    def __call__(self, image: np.ndarray, texts: List[str]) -> List[float]:
        """Args:
            image: (H, W, 3) uint8 RGB.
            texts: candidate texts.

        Returns:
            One cosine similarity per text.
        """
        resized = cv2.resize(image, (self.image_size, self.image_size), interpolation=cv2.INTER_CUBIC)
        bgr = torch.from_numpy(np.ascontiguousarray(resized[..., ::-1].transpose(2, 0, 1)))
        inputs = self.model.data_preprocessor(dict(inputs=[bgr]), False)['inputs']
        image_embed = F.normalize(self.model.encode_image(inputs), dim=-1)[0]
        missing = [t for t in dict.fromkeys(texts) if t not in self._text_cache]
        if missing:
            for text, embed in zip(missing, F.normalize(self.model.encode_text(missing), dim=-1)):
                self._text_cache[text] = embed
        return [float(image_embed @ self._text_cache[t]) for t in texts]
