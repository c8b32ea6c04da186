"""I2E reads every form of image-text pairs the project's readers take: webdataset tar shards (one restartable part
per shard, corrupt samples counted and skipped), COCO captions JSON and CSV, with the same labels from each."""
import io
import json
import tarfile

import numpy as np
from PIL import Image

from dense_align.datasets.image_text.caption_writers import write_caption_shards
from dense_align.mofi.entity_recognizer import NameMatcher
from dense_align.mofi.entity_table import Entity, read_entity_table
from dense_align.mofi.i2e_builder import build_i2e
from dense_align.mofi.i2e_filter import ScoreFilter

VOCAB = [Entity('Q1', 'Eiffel Tower', 'tower in Paris'), Entity('Q2', 'Paris'), Entity('Q3', 'tower')]
PAIRS = [('0.png', 'eiffel tower at night in Paris'), ('1.png', 'Paris street, EIFFEL TOWER poster'),
         ('2.png', 'a tower'), ('3.png', 'no entity here')]


def stub_scores(image, texts):
    """Q1 scores 0.3, Q2 0.25 on image 1 (pixel value 10) and 0.1 elsewhere, Q3 0.05 (images 0-3: values 0-30, the shard-only image 40)."""
    table = {'Eiffel Tower': 0.3, 'Paris': 0.25 if int(image[0, 0, 0]) == 10 else 0.1}
    return [table.get(t, 0.05) for t in texts]


def _member(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _inputs(tmp_path):
    for i in range(4):
        Image.fromarray(np.full((8, 8, 3), i * 10, np.uint8)).save(tmp_path / f'{i}.png')
    records = [dict(key=f'{i:04d}', image_file=str(tmp_path / f), file=f, captions=[c])
               for i, (f, c) in enumerate(PAIRS)]
    shards = write_caption_shards(str(tmp_path / 'shards'), records, num_shards=2)
    with tarfile.open(tmp_path / 'shards/00002.tar', 'w') as tar:  # a third shard: 2 corrupt samples, 1 good
        _member(tar, 'bad1.png', b'not a png')  # mentions an entity, image does not decode
        _member(tar, 'bad1.txt', b'Paris')
        _member(tar, 'bad2.txt', b'eiffel tower without an image')
        _member(tar, 'good.png', _png(40))
        _member(tar, 'good.txt', b'the Eiffel Tower')
    (tmp_path / 'shards.txt').write_text('\n'.join(shards + [str(tmp_path / 'shards/00002.tar')]) + '\n')
    coco = dict(images=[dict(id=i, file_name=f) for i, (f, _) in enumerate(PAIRS)],
                annotations=[dict(id=i, image_id=i, caption=c) for i, (_, c) in enumerate(PAIRS)])
    (tmp_path / 'captions.json').write_text(json.dumps(coco))
    (tmp_path / 'pairs.csv').write_text('filepath,caption\n' + ''.join(f'{f},"{c}"\n' for f, c in PAIRS))


def _png(value):
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), value, np.uint8)).save(buf, format='PNG')
    return buf.getvalue()


def test_shards_coco_json_and_csv_give_the_same_labels(tmp_path):
    _inputs(tmp_path)
    run = dict(entities=VOCAB, recognizer=NameMatcher(VOCAB), score_fn=stub_scores, image_root=str(tmp_path),
               score_filter=ScoreFilter(min_score=0.2), template='{}', progress=False)
    out = tmp_path / 'from_shards'
    summary = build_i2e(str(tmp_path / 'shards.txt'), out_dir=str(out), **run)
    # 4 + 3 samples; bad1 (image does not decode) and bad2 (no image) counted and skipped
    assert (summary.pairs_read, summary.decode_failures, summary.images_with_mentions) == (7, 2, 4)
    assert summary.parts_skipped == 0 and summary.after_step['min_score'] == 4
    lines = [json.loads(line) for line in (out / 'labels.jsonl').read_text().splitlines()]
    # shards inside image_root are named relative to it, as a caption file's images are
    assert [(r['image'], r['key'], r['entity_ids'], r['labels']) for r in lines] == [
        ('shards/00000.tar/0000.png', '0000', ['Q1'], [0]),
        ('shards/00000.tar/0001.png', '0001', ['Q1', 'Q2'], [0, 1]),
        ('shards/00002.tar/good.png', 'good', ['Q1'], [0])]
    table = read_entity_table(str(out / 'entities.jsonl'))
    assert [(e.id, e.name, e.count) for e in table] == [('Q1', 'Eiffel Tower', 3), ('Q2', 'Paris', 1)]
    # restart: every shard is a finished part, nothing is read or scored again; a new cut-off applies
    again = build_i2e(str(tmp_path / 'shards.txt'), out_dir=str(out), **dict(run, min_images=2,
                                                                               score_fn=None))
    assert again.parts_skipped == 3 and again.entities_kept == 1 and again.decode_failures == 2
    # the same pairs as a COCO captions file and as a CSV: the same labels
    for name in ('captions.json', 'pairs.csv'):
        summary = build_i2e(str(tmp_path / name), out_dir=str(tmp_path / name.replace('.', '_')), **run)
        got = [json.loads(line) for line in (tmp_path / name.replace('.', '_') / 'labels.jsonl').open()]
        assert [(r['image'], r['entity_ids']) for r in got] == [('0.png', ['Q1']), ('1.png', ['Q1', 'Q2'])]
        assert (summary.pairs_read, summary.decode_failures) == (4, 0)
