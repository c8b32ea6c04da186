"""CLIP's byte-level BPE tokenizer, reading the vocabulary file open_clip installs (no network)."""
import gzip
import html
import importlib.util
import os
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple, Union

import ftfy
import regex
import torch

SOT, EOT = '<start_of_text>', '<end_of_text>'
#: Number of BPE merges CLIP uses from the vocabulary file.
NUM_MERGES = 49152 - 256 - 2


def default_vocab_path() -> str:
    """Path of ``bpe_simple_vocab_16e6.txt.gz`` shipped inside the installed ``open_clip`` package.

    Returns:
        The file path.
    """
    spec = importlib.util.find_spec('open_clip')
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError('the CLIP BPE vocabulary ships with open_clip_torch; install it or pass vocab_path')
    return os.path.join(list(spec.submodule_search_locations)[0], 'bpe_simple_vocab_16e6.txt.gz')


@lru_cache()
def byte_symbols() -> Dict[int, str]:
    """Reversible map from the 256 byte values to printable unicode symbols (GPT-2 / CLIP convention).

    Returns:
        byte value -> single-character string, printable bytes first (this order defines the first 256 ids).
    """
    printable = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(
        range(ord('®'), ord('ÿ') + 1))
    symbols = {byte: chr(byte) for byte in printable}
    others = [byte for byte in range(256) if byte not in symbols]
    symbols.update({byte: chr(256 + i) for i, byte in enumerate(others)})
    return symbols


def clean_text(text: str) -> str:
    """Fix mojibake, unescape HTML twice, collapse whitespace and lower-case, as CLIP does before tokenising."""
    text = html.unescape(html.unescape(ftfy.fix_text(text)))
    return regex.sub(r'\s+', ' ', text).strip().lower()


class ClipBPETokenizer:
    """Tokenises text into CLIP token ids: ``[SOT] tokens [EOT] 0 ...`` of a fixed context length.

    Args:
        vocab_path: the gzipped merges file; default: the one inside open_clip.
        context_length: default output length (77 for every CLIP model).
    """

    _PATTERN = regex.compile(
        rf"""{SOT}|{EOT}|'s|'t|'re|'ve|'m|'ll|'d|[\p{{L}}]+|[\p{{N}}]|[^\s\p{{L}}\p{{N}}]+""", regex.IGNORECASE)

    def __init__(self, vocab_path: Optional[str] = None, context_length: int = 77) -> None:
        path = vocab_path or default_vocab_path()
        if not os.path.isfile(path):
            raise FileNotFoundError(f'BPE vocabulary {path} does not exist')
        with gzip.open(path, 'rt', encoding='utf-8') as f:
            lines = f.read().split('\n')[1:NUM_MERGES + 1]
        merges = [tuple(line.split()) for line in lines]
        base = list(byte_symbols().values())
        vocab = base + [s + '</w>' for s in base] + [a + b for a, b in merges] + [SOT, EOT]
        self.encoder: Dict[str, int] = {token: i for i, token in enumerate(vocab)}
        self.decoder: Dict[int, str] = {i: token for token, i in self.encoder.items()}
        self.merge_rank: Dict[Tuple[str, str], int] = {pair: i for i, pair in enumerate(merges)}
        self.byte_decoder = {s: b for b, s in byte_symbols().items()}
        self.sot_token_id, self.eot_token_id = self.encoder[SOT], self.encoder[EOT]
        self.vocab_size = len(vocab)
        self.context_length = context_length
        self._cache: Dict[str, List[str]] = {SOT: [SOT], EOT: [EOT]}

    def _bpe(self, word: str) -> List[str]:
        """Merge the symbols of one pre-token, always applying the lowest-ranked adjacent pair first."""
        if word in self._cache:
            return self._cache[word]
        parts = list(word[:-1]) + [word[-1] + '</w>']
        while len(parts) > 1:
            ranks = [self.merge_rank.get(pair, NUM_MERGES) for pair in zip(parts, parts[1:])]
            best = min(ranks)
            if best == NUM_MERGES:
                break
            first, second = parts[ranks.index(best)], parts[ranks.index(best) + 1]
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == first and parts[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        self._cache[word] = parts
        return parts

    def encode(self, text: str) -> List[int]:
        """Token ids of ``text`` without SOT/EOT.

        Args:
            text: raw text.

        Returns:
            The BPE token ids.
        """
        symbols = byte_symbols()
        ids: List[int] = []
        for piece in self._PATTERN.findall(clean_text(text)):
            word = ''.join(symbols[b] for b in piece.encode('utf-8'))
            ids.extend(self.encoder[p] for p in self._bpe(word))
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """Text of token ids (special tokens included as text, word ends as spaces).

        Args:
            ids: token ids.

        Returns:
            The decoded text.
        """
        text = ''.join(self.decoder[int(i)] for i in ids)
        return bytearray(self.byte_decoder[c] for c in text).decode('utf-8', errors='replace').replace('</w>', ' ')

    def __call__(self, texts: Union[str, Sequence[str]], context_length: Optional[int] = None,
                 truncate: bool = True) -> torch.Tensor:
        """Tokenise texts into a (N, context_length) LongTensor, zero-padded.

        Args:
            texts: one text or a list.
            context_length: output length; default ``self.context_length``.
            truncate: cut texts that are too long and end them with EOT (open_clip's behaviour); if False, raise
                a ValueError naming the text.

        Returns:
            Token ids (N, context_length).
        """
        texts = [texts] if isinstance(texts, str) else list(texts)
        length = context_length or self.context_length
        out = torch.zeros(len(texts), length, dtype=torch.long)
        for row, text in enumerate(texts):
            ids = [self.sot_token_id] + self.encode(text) + [self.eot_token_id]
            if len(ids) > length:
                if not truncate:
                    raise ValueError(f'text {text!r} needs {len(ids)} tokens with SOT/EOT, more than the context '
                                     f'length {length}')
                ids = ids[:length - 1] + [self.eot_token_id]
            out[row, :len(ids)] = torch.tensor(ids)
        return out
