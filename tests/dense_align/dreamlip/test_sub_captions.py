"""DreamLIP sub-caption sampling: splitting, counts, merging, determinism, the no-sentence fallback."""
from dense_align.dreamlip import SampleSubCaptions, split_sentences

LONG = 'A red circle on the left. A blue square\nin the middle</s> a green star on the right. Nothing else.'
SENTENCES = ['A red circle on the left', 'A blue square', 'in the middle', 'a green star on the right',
             'Nothing else']


def test_split_on_period_newline_and_eos():
    assert split_sentences(LONG) == SENTENCES
    assert split_sentences(' . \n</s>  ') == []


def test_counts_distinct_when_enough_and_merging_adjacent():
    one = SampleSubCaptions(num_text=4, seed=0)(dict(caption='short', long_caption=LONG, sample_idx=3))
    assert len(one['sub_captions']) == 4 and len(set(one['sub_captions'])) == 4  # 5 sentences >= 4: no repeats
    assert set(one['sub_captions']) <= set(SENTENCES)
    merged = SampleSubCaptions(num_text=6, merged_num=2, seed=0)(dict(caption='s', long_caption=LONG))
    windows = ['. '.join(SENTENCES[i:i + 2]) for i in range(4)]
    assert len(merged['sub_captions']) == 6 and set(merged['sub_captions']) <= set(windows)
    assert len(set(merged['sub_captions'])) <= 4  # only 4 windows: drawn with replacement
    pooled = SampleSubCaptions(num_text=2, long_keys=('long_a', 'long_b'), seed=1)(
        dict(caption='s', long_a='only a.', long_b=['only b']))
    assert set(pooled['sub_captions']) == {'only a', 'only b'}


def test_deterministic_under_a_seed_and_varies_across_visits():
    def draws(seed):
        t = SampleSubCaptions(num_text=2, seed=seed)
        return [tuple(t(dict(caption='s', long_caption=LONG, sample_idx=i % 3))['sub_captions']) for i in range(9)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert len(set(draws(7)[0::3])) > 1  # the same sample gets new sub-captions on its next visit


def test_no_sentence_gives_the_short_caption_and_is_counted():
    t = SampleSubCaptions(num_text=3, merged_num=2, seed=0)
    out = t(dict(caption='a photo', long_caption=' .\n'))
    assert out['sub_captions'] == ['a photo'] * 3 and t.num_without_sentences == 1
    t(dict(caption='a photo', long_caption='one sentence only.'))  # fewer sentences than merged_num
    assert t.num_without_sentences == 2


def test_demo_long_captions_read_sampled_and_packed(demo_root):
    import json

    from mmengine.registry import DefaultScope

    from dense_align.dreamlip import LongCaptionDataset
    instances = json.loads((demo_root / 'annotations/instances_train.json').read_text())
    per_image = {}
    for ann in instances['annotations']:
        per_image[ann['image_id']] = per_image.get(ann['image_id'], 0) + 1
    with DefaultScope.overwrite_default_scope('dense_align'):
        data = LongCaptionDataset(data_root=str(demo_root), ann_file='annotations/captions_train.json',
                                  long_caption_file='annotations/long_captions_train.json',
                                  data_prefix=dict(img='images/train'),
                                  pipeline=[dict(type='LoadImageFromFile'), dict(type='SampleCaption'),
                                            dict(type='SampleSubCaptions', num_text=6, seed=0),
                                            dict(type='PackImageSubCaptions')])
        info = data.get_data_info(0)
        # one sentence per object (colour/texture, shape, position) + 2 distractor sentences
        assert len(split_sentences(info['long_caption'])) == per_image[info['img_id']] + 2
        sample = data[0]['data_samples']
    assert len(sample.sub_captions) == 6 and set(sample.sub_captions) <= set(split_sentences(info['long_caption']))
    rows = json.loads((demo_root / 'annotations/multilingual/captions_de_val.json').read_text())
    assert set(rows[0]) == {'filename', 'captions_en', 'captions_translated'}
    assert rows[0]['captions_translated'].startswith('ein Foto mit')
