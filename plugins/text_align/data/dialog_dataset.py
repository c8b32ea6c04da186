"""Dialog turns with their context as training rows for SPACE-2 (labelled and unlabelled)."""
from typing import Dict, List, Sequence

from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .dialog_jsonl import read_dialogs


def context_row(turns: Sequence[Dict[str, object]], index: int, context_turns: int,
                separator: str) -> Dict[str, object]:
    """The training row of turn ``index``: the last ``context_turns`` turns up to it, joined by ``separator``.

    Args:
        turns: parsed turns of one dialog (:func:`~.dialog_jsonl.parse_turn`).
        index: the turn.
        context_turns: how many turns the text holds (the turn itself included; SPACE-2: up to 16).
        separator: text between turns (e.g. ``' [SEP] '``).

    Returns:
        ``dict(text, frame, labelled, value_spans, span_turns)``: character spans of slot values in ``text`` (masked
        by MLM) and character ranges of the turns that have such spans (the rest is masked at random).
    """
    parts, value_spans, span_turns, offset = [], [], [], 0
    for turn in turns[max(0, index - context_turns + 1):index + 1]:
        if parts:
            offset += len(separator)
        text = str(turn['text'])
        if turn['spans']:
            span_turns.append((offset, offset + len(text)))
            value_spans += [(offset + s, offset + e) for s, e, _ in turn['spans']]
        parts.append(text)
        offset += len(text)
    current = turns[index]
    return dict(text=separator.join(parts), frame=current['frame'], labelled=bool(current['labelled']),
                value_spans=value_spans, span_turns=span_turns)


@DATASETS.register_module()
class DialogTurnDataset(BaseDataset):
    """Every turn of the chosen speakers in a JSONL dialog file (:mod:`.dialog_jsonl`), with its context; a row is
    labelled when its turn has a semantic tree. ``labelled_indices`` / ``unlabelled_indices`` feed
    ``SemiSupervisedBatchSampler``.

    Args:
        ann_file: the JSONL dialog file.
        context_turns: turns per row, the current one included (SPACE-2's ``max_ctx_turn`` is 16).
        speakers: whose turns become rows (SPACE-2's ``trigger_role``: user).
        separator: text between turns.
        ignore_labels: treat every turn as unlabelled (self-supervised only).
        **kwargs: passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, ann_file: str, context_turns: int = 16, speakers: Sequence[str] = ('user', ),
                 separator: str = ' [SEP] ', ignore_labels: bool = False, **kwargs) -> None:
        if context_turns < 1:
            raise ValueError(f'DialogTurnDataset: context_turns must be >= 1, got {context_turns}')
        self.context_turns, self.speakers, self.separator = context_turns, tuple(speakers), separator
        self.ignore_labels = ignore_labels
        super().__init__(ann_file=ann_file, serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        rows = []
        for dialog in read_dialogs(self.ann_file):
            for index, turn in enumerate(dialog['turns']):
                if turn['speaker'] in self.speakers:
                    row = context_row(dialog['turns'], index, self.context_turns, self.separator)
                    if self.ignore_labels:
                        row.update(frame=None, labelled=False)
                    rows.append(dict(row, dialog_id=dialog['dialog_id'], turn=index))
        if not rows:
            raise ValueError(f'{self.ann_file}: no turn of speakers {self.speakers}')
        return rows

    def _rows_of(self, labelled: bool) -> List[int]:
        self.full_init()
        return [i for i in range(len(self)) if self.get_data_info(i)['labelled'] == labelled]

    @property
    def labelled_indices(self) -> List[int]:
        """Rows whose turn has a tree."""
        return self._rows_of(True)

    @property
    def unlabelled_indices(self) -> List[int]:
        """Rows without a tree."""
        return self._rows_of(False)

    def texts(self, index: int) -> List[str]:
        """The text of one row."""
        return [str(self.get_data_info(index)['text'])]

