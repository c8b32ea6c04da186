"""The GPR1200 layout reader orders images by category id as the benchmark does and names files that break it."""
import pytest

from dense_align.mofi.gpr1200_dataset import GPR1200Dataset


def test_gpr1200_layout_order_labels_and_bad_names(tmp_path):
    for name in ('10_b.jpg', '2_z.jpg', '10_a.jpg', '2_a.png', 'notes.txt'):
        (tmp_path / name).write_bytes(b'')
    data = GPR1200Dataset(data_prefix=dict(img=str(tmp_path)), lazy_init=False)
    assert [(d['img_id'], d['gt_label']) for d in map(data.get_data_info, range(len(data)))] == [('2_a.png', 2), ('2_z.jpg', 2),
                                                                      ('10_a.jpg', 10), ('10_b.jpg', 10)]
    (tmp_path / 'cat_1.jpg').write_bytes(b'')
    with pytest.raises(ValueError, match='cat_1.jpg does not start with'):
        GPR1200Dataset(data_prefix=dict(img=str(tmp_path)), lazy_init=False)
