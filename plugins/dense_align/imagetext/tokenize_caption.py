"""Tokenises captions in the data pipeline (in the dataloader workers), not in the model's forward."""
from typing import Optional

from mmcv.transforms import BaseTransform

from ..clip import ClipBPETokenizer
from ..registry import TRANSFORMS


@TRANSFORMS.register_module()
class TokenizeCaption(BaseTransform):
    """``caption`` -> ``text_tokens`` (L, ); without a single ``caption``, ``captions`` -> ``captions_tokens`` (n, L).

    Training pipelines put it after the transform that picks one caption (``SampleCaption``); evaluation pipelines
    keep every caption and get one row per caption. Texts longer than the context are truncated and end with EOT
    (open_clip's tokenizer does the same).

    Args:
        context_length: token length; must equal the text encoder's ``context_length``.
        vocab_path: BPE vocabulary; default the one shipped with the package.
    """

    def __init__(self, context_length: int = 77, vocab_path: Optional[str] = None) -> None:
        self.context_length = context_length
        self.tokenizer = ClipBPETokenizer(vocab_path, context_length=context_length)

    def transform(self, results: dict) -> dict:
        """Args:
            results: pipeline results with ``caption`` (str) or ``captions`` (list of str).

        Returns:
            ``results`` with ``text_tokens`` or ``captions_tokens`` (LongTensor).
        """
        if isinstance(results.get('caption'), str):
            results['text_tokens'] = self.tokenizer(results['caption'])[0]
        elif results.get('captions'):
            results['captions_tokens'] = self.tokenizer(list(results['captions']))
        else:
            raise KeyError(f'TokenizeCaption: {results.get("img_path", "the sample")} has neither a "caption" string '
                           f'nor a non-empty "captions" list')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(context_length={self.context_length})'
