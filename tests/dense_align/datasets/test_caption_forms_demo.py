"""The demo data's captions in all three forms (COCO JSON, CSV / JSONL, tar shards) read back as the same samples."""
import os.path as osp

import mmcv
import numpy as np
from mmengine.registry import DefaultScope

from dense_align.datasets.demo_shapes import _captions
from dense_align.registry import DATASETS


def _by_file(items):
    return {osp.basename(item['img_path']): item for item in items}


def test_every_form_reads_the_same_samples(demo_root):
    common = dict(data_root=str(demo_root), data_prefix=dict(img='images/val'))
    with DefaultScope.overwrite_default_scope('dense_align'):
        coco = DATASETS.build(dict(type='CaptionFileDataset', ann_file='annotations/captions_val.json', **common))
        csv = DATASETS.build(dict(type='CaptionFileDataset', ann_file='annotations/captions_val.csv', **common))
        jsonl = DATASETS.build(dict(type='CaptionFileDataset', ann_file='annotations/captions_val.jsonl', **common))
        shards = DATASETS.build(dict(type='CaptionShardDataset', shards='shards/val.txt', data_root=str(demo_root),
                                     pipeline=[dict(type='SampleCaption', test_mode=True)]))
    forms = {name: _by_file(ds[i] for i in range(len(ds))) for name, ds in
             (('coco', coco), ('csv', csv), ('jsonl', jsonl))}
    forms['shards'] = _by_file(iter(shards))
    names = [f'{i:06d}.png' for i in range(8)]
    for form, items in forms.items():
        assert sorted(items) == names, form
        for name in names:
            assert len(items[name]['captions']) == 5
            assert items[name]['captions'] == forms['coco'][name]['captions'], (form, name)
            assert items[name]['captions'][0].startswith('a photo of ')
    assert forms['shards']['000003.png']['caption'] == forms['coco']['000003.png']['captions'][0]
    for name in names:  # the shard images are the image files' bytes
        assert np.array_equal(forms['shards'][name]['img'], mmcv.imread(forms['coco'][name]['img_path']))
        assert forms['csv'][name]['img_path'] == forms['coco'][name]['img_path']
    assert forms['coco']['000000.png']['img_id'] == 1 and forms['csv']['000000.png']['img_id'] == '000000.png'
    pattern = DATASETS.build(dict(type='CaptionShardDataset', shards='shards/val/{00000..00003}.tar',
                                  data_root=str(demo_root), shuffle_shards=False))
    assert [item['img_id'] for item in pattern] == [f'{i:06d}' for i in range(8)]


def test_five_distinct_captions_name_the_same_objects():
    captions = _captions([0, 2, 2])
    assert captions == ['a photo of a red circle and two blue squares',
                        'an image with a red circle and two blue squares',
                        'a picture showing two blue squares and a red circle', 'A red circle and two blue squares.',
                        'a synthetic scene containing two blue squares and a red circle']
