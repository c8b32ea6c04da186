"""Caption annotation files keep every caption of an image, whatever their form."""
import csv
import json

import pytest

from dense_align.datasets.image_text import CaptionFileDataset, read_caption_file


def _write_json(path, payload):
    path.write_text(json.dumps(payload))
    return str(path)


def test_coco_captions_keep_all_five_in_order(tmp_path):
    images = [dict(id=7, file_name='a.jpg'), dict(id=3, file_name='b.jpg'), dict(id=9, file_name='no_caption.jpg')]
    anns = [dict(id=i, image_id=7 if i % 2 else 3, caption=f'c{i}') for i in range(10)]
    path = _write_json(tmp_path / 'captions.json', dict(images=images, annotations=anns))
    dataset = CaptionFileDataset(ann_file=path, data_prefix=dict(img='imgs'), lazy_init=False)
    assert len(dataset) == 2  # the image without captions is left out
    assert dataset.get_data_info(0)['img_path'].endswith('imgs/a.jpg')
    assert dataset.get_data_info(0)['img_id'] == 7
    assert dataset.get_data_info(0)['captions'] == ['c1', 'c3', 'c5', 'c7', 'c9']
    assert dataset.get_data_info(1)['captions'] == ['c0', 'c2', 'c4', 'c6', 'c8']


def test_blip_lists_and_one_record_per_caption_group_by_image(tmp_path):
    test_file = _write_json(tmp_path / 'coco_karpathy_test.json', [
        dict(image='val2014/x.jpg', caption=['x1', 'x2', 'x3']), dict(image='val2014/y.jpg', caption=['y1'])])
    assert read_caption_file(test_file) == [
        dict(file='val2014/x.jpg', img_id='val2014/x.jpg', captions=['x1', 'x2', 'x3']),
        dict(file='val2014/y.jpg', img_id='val2014/y.jpg', captions=['y1'])]
    train_file = _write_json(tmp_path / 'coco_karpathy_train.json', [
        dict(image='x.jpg', caption='x1', image_id='coco_1'), dict(image='y.jpg', caption='y1', image_id='coco_2'),
        dict(image='x.jpg', caption='x2', image_id='coco_1')])
    assert read_caption_file(train_file) == [dict(file='x.jpg', img_id='coco_1', captions=['x1', 'x2']),
                                             dict(file='y.jpg', img_id='coco_2', captions=['y1'])]


def test_csv_and_jsonl_rows_group_by_image(tmp_path):
    rows = [('p/1.jpg', 'one, with a comma'), ('p/2.jpg', 'two'), ('p/1.jpg', 'uno')]
    csv_path = tmp_path / 'train.csv'
    with open(csv_path, 'w', newline='') as f:
        csv.writer(f).writerows([('filepath', 'caption')] + rows)
    jsonl_path = tmp_path / 'train.jsonl'
    jsonl_path.write_text(''.join(json.dumps(dict(filepath=p, caption=c)) + '\n' for p, c in rows))
    expected = [dict(file='p/1.jpg', img_id='p/1.jpg', captions=['one, with a comma', 'uno']),
                dict(file='p/2.jpg', img_id='p/2.jpg', captions=['two'])]
    assert read_caption_file(str(csv_path)) == expected
    assert read_caption_file(str(jsonl_path)) == expected


def test_bad_files_are_named(tmp_path):
    csv_path = tmp_path / 'bad.csv'
    csv_path.write_text('image,text\na.jpg,hello\n')
    with pytest.raises(KeyError, match=r"bad.csv: row 0 needs the keys 'filepath' and 'caption'"):
        read_caption_file(str(csv_path))
    clash = _write_json(tmp_path / 'clash.json', [dict(image='a.jpg', caption='x', image_id=1),
                                                   dict(image='a.jpg', caption='y', image_id=2)])
    with pytest.raises(ValueError, match=r"clash.json: row 1: image 'a.jpg' has the id 2"):
        read_caption_file(clash)
    empty = _write_json(tmp_path / 'empty.json', [dict(image='a.jpg', caption=[])])
    with pytest.raises(ValueError, match='empty.json: row 0: the caption must be'):
        read_caption_file(empty)
    orphan = _write_json(tmp_path / 'orphan.json', dict(images=[], annotations=[dict(image_id=5, caption='c')]))
    with pytest.raises(ValueError, match=r'orphan.json: captions of image ids missing from "images": \[5\]'):
        read_caption_file(orphan)
    with pytest.raises(ValueError, match=r"unknown caption file type '.txt'"):
        (tmp_path / 'a.txt').write_text('x')
        read_caption_file(str(tmp_path / 'a.txt'))
    with pytest.raises(FileNotFoundError, match='missing.json'):
        read_caption_file(str(tmp_path / 'missing.json'))
