"""CCP's language-specific memory bank and its symmetric InfoNCE: negatives of a sentence come only from its own
language (in the batch and in the bank), so that a language cannot be told apart by its negatives (against collapse
into language clusters)."""
import torch
import torch.nn.functional as F
from torch import nn

from align_core.distributed import rank_and_world_size


class LanguageMemoryBank(nn.Module):
    """One ring buffer of ``size`` keys per language, saved with the model; unfilled rows are never used.

    Args:
        num_languages: number of languages.
        size: keys kept per language.
        dim: key size.
    """

    def __init__(self, num_languages: int, size: int, dim: int) -> None:
        super().__init__()
        if num_languages < 1 or size < 0:
            raise ValueError(f'LanguageMemoryBank: needs num_languages >= 1 and size >= 0, got {num_languages}, {size}')
        self.register_buffer('keys', torch.zeros(num_languages, size, dim))
        self.register_buffer('pointer', torch.zeros(num_languages, dtype=torch.long))
        self.register_buffer('filled', torch.zeros(num_languages, dtype=torch.long))

    def valid_mask(self) -> torch.Tensor:
        """(L, size) True where a row holds an enqueued key."""
        return torch.arange(self.keys.shape[1], device=self.keys.device)[None] < self.filled[:, None]

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor, languages: torch.Tensor) -> None:
        """Add keys (B, D) of the given languages (B,); under DDP those of every process, in rank order."""
        size = self.keys.shape[1]
        if size == 0:
            return
        _, world = rank_and_world_size()
        if world > 1:
            gathered = [torch.empty_like(keys) for _ in range(world)]
            torch.distributed.all_gather(gathered, keys.contiguous())
            langs = [torch.empty_like(languages) for _ in range(world)]
            torch.distributed.all_gather(langs, languages.contiguous())
            keys, languages = torch.cat(gathered), torch.cat(langs)
        for language in languages.unique().tolist():
            new = keys[languages == language].detach().to(self.keys.dtype)[-size:]
            start = int(self.pointer[language])
            index = (torch.arange(new.shape[0], device=new.device) + start) % size
            self.keys[language, index] = new
            self.pointer[language] = (start + new.shape[0]) % size
            self.filled[language] = min(size, int(self.filled[language]) + new.shape[0])


def language_infonce(queries: torch.Tensor, keys: torch.Tensor, languages: torch.Tensor,
                     bank: LanguageMemoryBank, temperature: float = 0.05, symmetric: bool = True) -> torch.Tensor:
    """InfoNCE of (queries[i], keys[i]) against same-language candidates only: the batch's other keys (resp.
    queries) of that language and the language's bank.

    Args:
        queries: (B, D) centre-sentence embeddings (L2-normalised here).
        keys: (B, D) context-sentence embeddings (L2-normalised here).
        languages: (B,) language index of each pair.
        bank: the memory bank (its keys are taken as stored: enqueue normalised keys).
        temperature: softmax temperature.
        symmetric: average with the key -> query direction.

    Returns:
        Scalar loss.
    """
    queries, keys = F.normalize(queries, dim=-1), F.normalize(keys, dim=-1)
    other_language = languages[:, None] != languages[None, :]
    stored = bank.keys[languages].to(queries.dtype)  # (B, size, D): each row's own language's bank
    stored_ok = bank.valid_mask()[languages]
    rows = torch.arange(queries.shape[0], device=queries.device)

    def direction(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        batch = (a @ b.t()).masked_fill(other_language, float('-inf'))
        banked = torch.einsum('bd,bkd->bk', a, stored).masked_fill(~stored_ok, float('-inf'))
        return F.cross_entropy(torch.cat([batch, banked], dim=1) / temperature, rows)

    loss = direction(queries, keys)
    return (loss + direction(keys, queries)) / 2 if symmetric else loss
