"""The Image-to-Entities (I2E) pipeline: entity mentions in each image's alt-text, CLIP scores of the candidates,
score filtering, image deduplication and the frequency cut-off, written as a labelled JSONL plus the entity table.

Work is split into parts (``part_size`` images of a caption file, or one webdataset shard); each part's candidates and scores are written to
``<out>/parts/part_NNNNN.jsonl`` (with a ``.done`` marker) before the next starts, so a rerun skips finished parts
(restartable), and the selection thresholds can be changed without scoring again.
"""
import hashlib
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from io import BytesIO
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Union

import numpy as np
from PIL import Image

from .entity_table import Entity, write_entity_table
from .i2e_filter import ScoreFilter, drop_rare_entities
from .i2e_inputs import InputPart, input_parts

#: (RGB uint8 image, candidate texts) -> one CLIP image-text score per text
ScoreFn = Callable[[np.ndarray, List[str]], List[float]]


@dataclass
class I2ESummary:
    """Counts of one I2E run (the whole input, finished parts included)."""
    pairs_read: int = 0
    decode_failures: int = 0
    images_with_mentions: int = 0
    mentions: int = 0
    after_step: Dict[str, int] = field(default_factory=dict)  # labels left after each selection step
    duplicates_removed: int = 0
    images_kept: int = 0
    entities_kept: int = 0
    parts_skipped: int = 0


def _score_part(records: Iterable[dict], recognizer, entities: Dict, score_fn: ScoreFn, template: str) -> dict:
    """Mentions and scores of one part's images (images without a mention are not decoded)."""
    rows, stats = [], dict(pairs_read=0, decode_failures=0, images_with_mentions=0, mentions=0)
    for record in records:
        stats['pairs_read'] += 1
        if record.get('error'):  # a shard sample without a usable caption or image
            stats['decode_failures'] += 1
            print(f'I2E: skipping {record["error"]}')
            continue
        mentions = [m for caption in record['captions'] for m in recognizer(caption)]
        if not mentions:
            continue
        try:
            content = record['content'] if record.get('content') is not None else _read_bytes(record['path'])
            image = np.asarray(Image.open(BytesIO(content)).convert('RGB'))
        except (OSError, ValueError) as err:
            stats['decode_failures'] += 1
            print(f'I2E: skipping {record.get("path", record["file"])}: {err}')
            continue
        candidates = list(dict.fromkeys(e for e, _ in mentions))
        scores = score_fn(image, [template.format(entities[e].name) for e in candidates])
        stats['images_with_mentions'] += 1
        stats['mentions'] += len(mentions)
        rows.append(dict(image=record['file'], key=str(record['img_id']), md5=hashlib.md5(content).hexdigest(),
                         candidates=[[e, float(s)] for e, s in zip(candidates, scores)]))
    return dict(stats=stats, rows=rows)


def _read_bytes(path: str) -> bytes:
    with open(path, 'rb') as f:
        return f.read()


def _read_or_score_parts(parts: List[InputPart], out_dir: str, progress: bool, **score_args) -> Iterator[dict]:
    """Score every part not finished by an earlier run; yield each part's content."""
    parts_dir = osp.join(out_dir, 'parts')
    os.makedirs(parts_dir, exist_ok=True)
    try:
        from tqdm import tqdm
        bar = tqdm(total=len(parts), unit='part', disable=not progress)
    except ImportError:  # no progress bar without tqdm
        bar = None
    for number, part_input in enumerate(parts):
        path = osp.join(parts_dir, f'part_{number:05d}.json')
        if osp.isfile(path + '.done'):
            with open(path) as f:
                part = json.load(f)
            if part.get('source', part_input.source) != part_input.source:
                raise ValueError(f'I2E: {path} was scored from {part["source"]!r}, but part {number} is now '
                                 f'{part_input.source!r}: the input changed; use a new --out folder')
            part['skipped'] = True
        else:
            part = dict(_score_part(part_input.records(), **score_args), source=part_input.source)
            with open(path + '.tmp', 'w') as f:
                json.dump(part, f)
            os.replace(path + '.tmp', path)
            open(path + '.done', 'w').close()
        if bar is not None:
            bar.update(1)
        yield part
    if bar is not None:
        bar.close()


def build_i2e(caption_file: Union[str, Sequence[str]], image_root: str, entities: Sequence[Entity], recognizer,
              score_fn: ScoreFn, out_dir: str, score_filter: ScoreFilter = ScoreFilter(), min_images: int = 1,
              dedup: bool = True, template: str = 'a photo of a {}.', part_size: int = 1000, progress: bool = True,
              caption_keys: Optional[dict] = None,
              image_exts: Sequence[str] = ('jpg', 'jpeg', 'png', 'webp')) -> I2ESummary:
    """Run I2E over one caption file and write ``<out>/labels.jsonl``, ``<out>/entities.jsonl`` and
    ``<out>/summary.json``.

    Args:
        caption_file: image-text pairs in any form the image-text readers take: a caption file (COCO captions
            JSON, record lists, JSONL, CSV/TSV; parts of ``part_size`` images) or webdataset tar shards (a ``.tar``,
            a brace pattern, a ``.txt`` shard list or a list; one part per shard); all captions of an image are
            searched for mentions (see :mod:`.i2e_inputs`).
        image_root: folder the caption file's image paths (or relative shard paths) are relative to; labels name
            images relative to it (shard members as ``<shard>.tar/<key>.<ext>``, see :func:`.i2e_inputs.shard_name`).
        entities: the vocabulary (ids and names; see :mod:`.entity_table`).
        recognizer: text -> ``[(entity id, mention)]`` (:func:`.entity_recognizer.build_recognizer`).
        score_fn: CLIP image-text scores of an image against texts.
        out_dir: output folder (also holds the restartable parts).
        score_filter: which candidates of an image to keep.
        min_images: drop entities labelling fewer images (after deduplication).
        dedup: keep only the first of images with identical bytes.
        template: text scored for an entity name.
        part_size: images per restartable part.
        progress: show a progress bar (tqdm).
        caption_keys: ``img_key`` / ``caption_key`` / ``id_key`` of a caption file's records.
        image_exts: image extensions looked for in a shard sample, in order of preference.

    Returns:
        The run's counts (also written to ``summary.json``).

    Raises:
        ValueError: nothing is left, naming the step (mentions, ``min_score``, ``margin``, ``top_k``,
            ``min_images``) that removed the last labels.
    """
    by_id = {e.id: e for e in entities}
    parts = input_parts(caption_file, image_root, part_size, caption_keys, image_exts)
    summary = I2ESummary()
    steps = ('candidates', 'min_score', 'margin', 'top_k')
    summary.after_step = {s: 0 for s in steps}
    kept_rows, seen = [], set()
    for part in _read_or_score_parts(parts, out_dir, progress, recognizer=recognizer, entities=by_id,
                                     score_fn=score_fn, template=template):
        summary.parts_skipped += int(part.get('skipped', False))
        for key, value in part['stats'].items():
            setattr(summary, key, getattr(summary, key) + value)
        for row in part['rows']:
            if dedup and row['md5'] in seen:
                summary.duplicates_removed += 1
                continue
            seen.add(row['md5'])
            after = score_filter.steps([tuple(c) for c in row['candidates']])
            for step in steps:
                summary.after_step[step] += len(after[step])
            if after['top_k']:
                kept_rows.append(dict(row, labels=after['top_k']))
    labels, counts = drop_rare_entities([[e for e, _ in row['labels']] for row in kept_rows], min_images)
    summary.after_step['min_images'] = sum(map(len, labels))
    _raise_if_empty(summary, score_filter, min_images)
    order = [e.id for e in entities if e.id in counts]  # vocabulary order
    index = {e: i for i, e in enumerate(order)}
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'labels.jsonl'), 'w', encoding='utf-8') as f:
        for row, ids in zip(kept_rows, labels):
            if not ids:
                continue
            score = dict((e, s) for e, s in row['labels'])
            f.write(json.dumps(dict(image=row['image'], key=row['key'], labels=[index[e] for e in ids],
                                    entity_ids=ids, scores=[round(score[e], 4) for e in ids])) + '\n')
            summary.images_kept += 1
    write_entity_table(osp.join(out_dir, 'entities.jsonl'),
                       [Entity(e, by_id[e].name, by_id[e].description, count=counts[e]) for e in order])
    summary.entities_kept = len(order)
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary.__dict__, f, indent=2)
    return summary


def _raise_if_empty(summary: I2ESummary, score_filter: ScoreFilter, min_images: int) -> None:
    """Error naming the step after which no label was left."""
    if summary.after_step['candidates'] == 0:
        raise ValueError(f'I2E: no entity mention in {summary.pairs_read} pairs ({summary.decode_failures} images '
                         f'failed to decode): check the entity vocabulary and the caption key')
    previous = 'candidates'
    for step, value in (('min_score', score_filter.min_score), ('margin', score_filter.margin),
                        ('top_k', score_filter.top_k), ('min_images', min_images)):
        if summary.after_step[step] == 0 and summary.after_step[previous] > 0:
            raise ValueError(f'I2E: the {step} threshold ({value}) removed every label '
                             f'({summary.after_step[previous]} candidate labels before it)')
        previous = step
