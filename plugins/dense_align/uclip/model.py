"""uCLIP (AAAI 2026): a multilingual CLIP from English captions only. A frozen CLIP and a frozen multilingual text
encoder; two small heads trained on soft-retrieved pseudo pairs (``uclip/model.py`` of dinyudin203/uCLIP)."""
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Union

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import barrier, get_rank
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.runner import load_checkpoint
from mmengine.structures import BaseDataElement
from mmengine.utils import scandir

from ..registry import MODELS
from .embedding_bank import build_bank, check_width
from .losses import uclip_losses
from .projection_head import UCLIPHead
from .soft_retrieval import NOISE_STD, add_noise, soft_retrieve


def _read_bank_texts(files: Sequence[str], root: str) -> List[str]:
    """Texts of a multilingual bank: ``captions_translated`` of uCLIP-layout JSON files, or lines of text files."""
    import json
    texts: List[str] = []
    for name in files:
        path = name if osp.isabs(name) else osp.join(root, name)
        if not osp.isfile(path):
            raise FileNotFoundError(f'UCLIPModel: text bank file {path} does not exist')
        if path.endswith('.json'):
            with open(path, encoding='utf-8') as f:
                texts += [row['captions_translated'] for row in json.load(f)]
        else:
            with open(path, encoding='utf-8') as f:
                texts += [line.strip() for line in f if line.strip()]
    return texts


@MODELS.register_module()
class UCLIPModel(BaseModel):
    """Frozen CLIP + frozen multilingual encoder + head A (multilingual side) and head B (CLIP side).

    Training (English captions only): English caption -> multilingual encoder (``eng``) and CLIP text encoder
    (``clip_text``); pseudo multilingual text = soft retrieval of ``eng`` from the multilingual text bank, pseudo
    image = soft retrieval of ``clip_text`` from the image bank (softmax(sim / 0.01)); noise std sqrt(0.004) on all
    four, renormalised; heads; :func:`uclip_losses`. The banks are encoded once by the frozen encoders into
    ``.npy`` caches and memory-mapped, so an iteration runs the frozen text encoders on the batch and trains the heads.

    Args:
        clip: config of a CLIP with ``encode_image`` / ``encode_text`` (e.g. ``CLIPPretrainer``).
        text_encoder: config of the multilingual encoder, e.g. ``dict(type='text_align.TextEncoder',
            model_path=...)`` (anything with ``embedding_dim`` and ``embed(texts)``).
        text_dim: the width head A expects; must equal the encoder's (an error names both).
        clip_dim: the width head B expects; must equal the CLIP's.
        joint_dim: the joint width (512).
        clip_checkpoint: weights of the frozen CLIP (our checkpoint, e.g. a ``CLIPPretrainer`` run).
        image_bank: ``dict(cache_file, data_root, image_dir)``: every image in ``image_dir``.
        text_bank: ``dict(cache_file, data_root, files)``: uCLIP-layout JSON or plain text files.
        temperature: InfoNCE temperature (0.01).
        retrieval_temperature: soft-retrieval temperature (0.01).
        noise_std: feature noise (sqrt(0.004)).
        intra_weight: distance-term weight (0.1).
        retrieval_chunk: bank rows scored at once (None: all).
        data_preprocessor: image normalisation of the CLIP.
        init_cfg: mmengine init config.
    """

    def __init__(self, clip: dict, text_encoder: dict, text_dim: int = 384, clip_dim: int = 512,
                 joint_dim: int = 512, clip_checkpoint: Optional[str] = None, image_bank: Optional[dict] = None,
                 text_bank: Optional[dict] = None, temperature: float = 0.01, retrieval_temperature: float = 0.01,
                 noise_std: float = NOISE_STD, intra_weight: float = 0.1, retrieval_chunk: Optional[int] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.clip = MODELS.build(clip)
        if clip_checkpoint:
            load_checkpoint(self.clip, clip_checkpoint, map_location='cpu', strict=True)
        self.text_encoder = MODELS.build(text_encoder)
        width = getattr(self.text_encoder, 'embedding_dim', None)
        if width != text_dim:
            raise ValueError(f'UCLIPModel: the text encoder gives width {width} but head A takes text_dim={text_dim}')
        clip_width = self.clip.text_encoder.output_dim
        if clip_width != clip_dim:
            raise ValueError(f'UCLIPModel: the CLIP gives width {clip_width} but head B takes clip_dim={clip_dim}')
        for module in (self.clip, self.text_encoder):
            module.requires_grad_(False)
        self.head_text = UCLIPHead(text_dim, joint_dim)  # head A
        self.head_clip = UCLIPHead(clip_dim, joint_dim)  # head B
        self.image_bank_cfg, self.text_bank_cfg = image_bank, text_bank
        self.temperature, self.retrieval_temperature = temperature, retrieval_temperature
        self.noise_std, self.intra_weight, self.retrieval_chunk = noise_std, intra_weight, retrieval_chunk
        self._banks: Optional[Dict[str, torch.Tensor]] = None
        print_log(f'UCLIPModel: {self.num_trainable_parameters():,} trainable parameters (head A {text_dim} -> '
                  f'{joint_dim}, head B {clip_dim} -> {joint_dim}); CLIP and text encoder frozen', logger='current')

    def train(self, mode: bool = True) -> 'UCLIPModel':
        """Heads follow ``mode``; the frozen encoders stay in eval mode."""
        super().train(mode)
        self.clip.eval()
        self.text_encoder.eval()
        return self

    def num_trainable_parameters(self) -> int:
        """Parameters the optimiser updates (the two heads)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    @property
    def _device(self) -> torch.device:
        return self.head_clip.layers[0].weight.device

    @torch.no_grad()
    def embed_english(self, captions: Sequence[str]) -> Dict[str, torch.Tensor]:
        """Unit-norm frozen features of captions: ``eng`` (multilingual encoder) and ``clip_text`` (CLIP)."""
        eng = self.text_encoder.embed(list(captions)).to(self._device)
        clip_text = self.clip.encode_text(list(captions)).to(self._device)
        return dict(eng=F.normalize(eng.float(), dim=-1), clip_text=F.normalize(clip_text.float(), dim=-1))

    @torch.no_grad()
    def _encode_image_files(self, paths: Sequence[str]) -> torch.Tensor:
        images = [torch.from_numpy(np.ascontiguousarray(mmcv.imread(p).transpose(2, 0, 1))) for p in paths]
        inputs = self.data_preprocessor(dict(inputs=images), False)['inputs']
        return self.clip.encode_image(inputs)

    def banks(self) -> Dict[str, torch.Tensor]:
        """The image and multilingual text banks, built on rank 0 on first use, then memory-mapped everywhere."""
        if self._banks is not None:
            return self._banks
        if not self.image_bank_cfg or not self.text_bank_cfg:
            raise ValueError('UCLIPModel: training needs image_bank and text_bank configs')
        img_cfg, txt_cfg = self.image_bank_cfg, self.text_bank_cfg
        folder = osp.join(img_cfg.get('data_root', ''), img_cfg['image_dir'])
        paths = sorted(osp.join(folder, n) for n in scandir(folder, ('.png', '.jpg', '.jpeg', '.webp')))
        texts = _read_bank_texts(txt_cfg['files'], txt_cfg.get('data_root', ''))

        def build():
            return (build_bank(img_cfg['cache_file'], paths, self._encode_image_files, extra='clip'),
                    build_bank(txt_cfg['cache_file'], texts, self.text_encoder.embed, extra='text'))

        if get_rank() == 0:  # rank 0 encodes; the others then find the finished caches
            image, text = build()
        barrier()
        if get_rank() != 0:
            image, text = build()
        check_width(image, self.clip.text_encoder.output_dim, 'image bank', 'CLIP')
        check_width(text, self.text_encoder.embedding_dim, 'text bank', 'text encoder')
        with warnings.catch_warnings():  # read-only memory maps: torch warns that they are not writable
            warnings.simplefilter('ignore', UserWarning)
            self._banks = dict(image=torch.from_numpy(image), text=torch.from_numpy(text))
        return self._banks

    def pseudo_pairs(self, feats: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Soft-retrieved pseudo multilingual text (``mul``) and pseudo image (``image``) of a batch."""
        banks = self.banks()
        return dict(mul=soft_retrieve(feats['eng'], banks['text'], self.retrieval_temperature, self.retrieval_chunk),
                    image=soft_retrieve(feats['clip_text'], banks['image'], self.retrieval_temperature,
                                        self.retrieval_chunk))

    def loss(self, captions: Sequence[str]) -> Dict[str, torch.Tensor]:
        """The uCLIP losses of a batch of English captions."""
        feats = self.embed_english(captions)
        feats.update(self.pseudo_pairs(feats))
        feats = {k: add_noise(v, self.noise_std) for k, v in feats.items()}
        return uclip_losses(self.head_text(feats['mul']), self.head_text(feats['eng']),
                            self.head_clip(feats['clip_text']), self.head_clip(feats['image']), self.temperature,
                            self.intra_weight)

    @torch.no_grad()
    def _predict(self, inputs: torch.Tensor, samples: Sequence[BaseDataElement]) -> List[dict]:
        image = self.head_clip(F.normalize(self.clip.encode_image(inputs).float(), dim=-1)).cpu()
        out = []
        for i, sample in enumerate(samples):
            texts = {lang: self.head_text(F.normalize(self.text_encoder.embed(list(caps)).to(self._device).float(),
                                                      dim=-1)).cpu()
                     for lang, caps in sample.captions_by_lang.items()}
            out.append(dict(image_embed=image[i], text_embeds=texts, img_id=sample.get('img_id')))
        return out

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List[dict], torch.Tensor]:
        """Args:
            inputs: (B, 3, H, W) normalised images (unused in training: English captions only).
            data_samples: ``caption`` (training) or ``captions_by_lang`` (evaluation).
            mode: ``'loss'``, ``'predict'`` or ``'tensor'``.

        Returns:
            ``loss``: the three loss terms; ``predict``: per image ``image_embed`` and ``text_embeds`` {lang: (n, D)};
            ``tensor``: projected image embeddings.
        """
        if mode == 'loss':
            if not all(isinstance(s.get('caption'), str) for s in data_samples):
                raise KeyError('UCLIPModel: training samples need an English "caption" (SampleCaption)')
            return self.loss([s.caption for s in data_samples])
        if mode == 'predict':
            return self._predict(inputs, data_samples)
        if mode == 'tensor':
            return self.head_clip(F.normalize(self.clip.encode_image(inputs).float(), dim=-1))
        raise ValueError(f'UCLIPModel: unknown mode {mode!r}')
