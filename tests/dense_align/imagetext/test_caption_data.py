"""The caption dataset keeps every caption of an image (COCO's 5, Karpathy/BLIP caption lists, one row per caption
grouped by image); captions are tokenised in the data pipeline and packed with their tokens."""
import json

import pytest
import torch

from dense_align.clip import ClipBPETokenizer
from dense_align.imagetext import ImageCaptionDataset, PackImageCaption, TokenizeCaption


def test_coco_captions_keep_all_five(demo_root):
    coco = ImageCaptionDataset(ann_file='annotations/captions_val.json', label_file='annotations/instances_val.json',
                               data_root=str(demo_root), data_prefix=dict(img='images/val'), lazy_init=False)
    assert len(coco) == 8
    first = coco.get_data_info(0)
    raw = json.loads((demo_root / 'annotations/captions_val.json').read_text())
    want = [a['caption'] for a in raw['annotations'] if a['image_id'] == first['img_id']]
    assert len(want) == 5 and first['captions'] == want
    assert first['img_path'].endswith('images/val/000000.png') and 0 <= first['gt_label'] < 6


def test_lists_and_one_row_per_caption_are_grouped(tmp_path):
    (tmp_path / 'blip.json').write_text(json.dumps([{'image': 'a.png', 'caption': ['a cat', 'a small cat']},
                                                    {'image': 'b.png', 'caption': 'a dog'}]))
    (tmp_path / 'rows.jsonl').write_text('{"image": "a.png", "caption": "a cat"}\n{"image": "b.png", '
                                         '"caption": "a dog"}\n{"image": "a.png", "caption": "a small cat"}\n')
    (tmp_path / 'rows.csv').write_text('image,caption\na.png,a cat\nb.png,a dog\na.png,a small cat\n')
    for name in ('blip.json', 'rows.jsonl', 'rows.csv'):
        data = ImageCaptionDataset(ann_file=str(tmp_path / name), img_key='image', data_prefix=dict(img='imgs'))
        assert [d['captions'] for d in data] == [['a cat', 'a small cat'], ['a dog']], name
        assert [d['img_id'] for d in data] == ['a.png', 'b.png'] and data[1]['img_path'] == 'imgs/b.png'
        assert data[0]['gt_label'] == -1
    with pytest.raises(FileNotFoundError, match='label_file'):
        ImageCaptionDataset(ann_file=str(tmp_path / 'blip.json'), label_file=str(tmp_path / 'missing.json'))


def test_tokenised_in_the_pipeline_and_packed():
    tokenizer = ClipBPETokenizer(context_length=16)
    image = torch.zeros(4, 4, 3, dtype=torch.uint8).numpy()
    train = PackImageCaption()(TokenizeCaption(16)(dict(img=image, caption='a red circle', captions=['x', 'y'],
                                                       img_id=3, gt_label=1)))
    sample = train['data_samples']
    assert torch.equal(sample.text_tokens, tokenizer('a red circle')[0]) and sample.caption == 'a red circle'
    assert 'captions_tokens' not in sample and sample.gt_label == 1 and train['inputs'].shape == (3, 4, 4)
    test = PackImageCaption()(TokenizeCaption(16)(dict(img=image, captions=['a cat', 'a dog'], img_id=3)))
    assert torch.equal(test['data_samples'].captions_tokens, tokenizer(['a cat', 'a dog']))
    assert test['data_samples'].captions == ['a cat', 'a dog']
    with pytest.raises(KeyError, match='neither a "caption" string nor a non-empty "captions" list'):
        TokenizeCaption(16)(dict(img=image, img_path='x.png'))
