"""Build an Image-to-Entities (I2E) dataset from image-text pairs: entity mentions in the alt-text, CLIP filtering,
deduplication and a frequency cut-off (MOFI, Wu et al. 2024). Input: a caption file or webdataset tar shards.
Restartable: finished parts (blocks of --part-size images of a caption file, or whole shards) are reused.

    python tools/data/build_i2e.py CAPTIONS --image-root DIR --entities VOCAB.jsonl --out OUT \\
        --clip-config CONFIG --clip-checkpoint CKPT [--min-score 0.2] [--top-k 3] [--margin 0.1] [--min-images 5]

Writes OUT/labels.jsonl (image, labels = class indices, entity_ids, scores), OUT/entities.jsonl (id, name,
description, count; line = class index) and OUT/summary.json; prints the summary and the throughput.
"""
import argparse
import json
import os.path as osp
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))

import dense_align  # noqa: E402,F401  (registers the models)
from dense_align.mofi.clip_scorer import ClipScorer  # noqa: E402
from dense_align.mofi.entity_recognizer import build_recognizer  # noqa: E402
from dense_align.mofi.entity_table import read_entity_table  # noqa: E402
from dense_align.mofi.i2e_builder import build_i2e  # noqa: E402
from dense_align.mofi.i2e_filter import ScoreFilter  # noqa: E402


def load_clip(config: str, checkpoint: str):
    """A CLIP-style model of the project built from ``config`` with the weights of ``checkpoint``."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint
    from dense_align.registry import MODELS
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope('dense_align'):
        model = MODELS.build(cfg.model)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=False)
    return model


def main() -> None:
    """Parse the command line, run I2E and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('captions', help='image-text pairs: a caption file (COCO captions JSON, record list, JSONL, '
                        'CSV/TSV) or webdataset shards (a .tar, a brace pattern like "shards/{00000..00099}.tar", '
                        'or a .txt shard list); shards are restartable units, corrupt samples are counted, skipped')
    parser.add_argument('--image-root', required=True, help='folder the image paths (and relative shards) are '
                        'relative to')
    parser.add_argument('--entities', required=True, help='entity vocabulary (JSONL: id, name[, description, '
                        'aliases])')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--clip-config', required=True, help='config of the CLIP model that scores candidates')
    parser.add_argument('--clip-checkpoint', default='', help='its weights')
    parser.add_argument('--recognizer', default='names', choices=['names', 'spacy'],
                        help='names: normalised exact name/alias matcher; spacy: EntityRuler (needs spaCy: the optional extra)')
    parser.add_argument('--spacy-pipeline', default=None, help='installed spaCy pipeline (name or folder) under the EntityRuler; its own entities are linked by '
                        'normalised name (default: a blank English pipeline)')
    parser.add_argument('--min-score', type=float, default=None, help='absolute CLIP cosine threshold')
    parser.add_argument('--top-k', type=int, default=None, help='keep at most the k best candidates per image')
    parser.add_argument('--margin', type=float, default=None, help='keep candidates within this of the best')
    parser.add_argument('--min-images', type=int, default=1, help='drop entities with fewer images')
    parser.add_argument('--no-dedup', action='store_true', help='keep images with identical bytes')
    parser.add_argument('--template', default='a photo of a {}.', help='text scored for an entity name')
    parser.add_argument('--part-size', type=int, default=1000, help='images per restartable part')
    parser.add_argument('--img-key', default='filepath')
    parser.add_argument('--caption-key', default='caption')
    args = parser.parse_args()
    entities = read_entity_table(args.entities)
    model = load_clip(args.clip_config, args.clip_checkpoint)
    image_size = model.image_encoder.arch['image_size']
    start = time.perf_counter()
    summary = build_i2e(args.captions, args.image_root, entities,
                        build_recognizer(args.recognizer, entities, args.spacy_pipeline),
                        ClipScorer(model, image_size), args.out,
                        ScoreFilter(args.min_score, args.top_k, args.margin), args.min_images, not args.no_dedup,
                        args.template, args.part_size,
                        caption_keys=dict(img_key=args.img_key, caption_key=args.caption_key))
    seconds = time.perf_counter() - start
    print(json.dumps(summary.__dict__, indent=2))
    print(f'I2E: {summary.pairs_read} pairs in {seconds:.1f} s ({summary.pairs_read / max(seconds, 1e-9):.1f} '
          f'pairs/s, {summary.parts_skipped} parts reused); {summary.images_kept} images, {summary.entities_kept} '
          f'entities -> {args.out}')


if __name__ == '__main__':
    main()
