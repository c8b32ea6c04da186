"""The numpy-2 view given to lvis / cityscapesscripts answers the removed names and nothing changes for numpy."""
import json

import numpy as np
import pytest

from align_core.numpy_compat import _in1d, patch_legacy_numpy_users


def test_numpy_itself_is_untouched_and_in1d_matches_isin():
    patch_legacy_numpy_users()
    assert not hasattr(np, 'float') and not hasattr(np, 'in1d')
    a = np.array([[1, 2], [3, 4]])
    assert _in1d(a, [2, 3]).tolist() == [False, True, True, False]
    assert _in1d(a, [2, 3], invert=True).tolist() == [True, False, False, True]


def test_lvis_evaluation_runs_on_numpy_2(tmp_path):
    from lvis import LVIS, LVISEval, LVISResults
    patch_legacy_numpy_users()
    images = [dict(id=i, width=64, height=64, not_exhaustive_category_ids=[], neg_category_ids=[]) for i in (1, 2)]
    cats = [dict(id=1, name='circle', frequency='r'), dict(id=2, name='square', frequency='f')]
    anns = [dict(id=1, image_id=1, category_id=1, bbox=[4, 4, 20, 20], area=400),
            dict(id=2, image_id=2, category_id=2, bbox=[30, 10, 16, 24], area=384)]
    path = tmp_path / 'lvis.json'
    path.write_text(json.dumps(dict(images=images, categories=cats, annotations=anns)))
    gt = LVIS(str(path))
    dets = [dict(image_id=a['image_id'], category_id=a['category_id'], bbox=a['bbox'], score=0.9) for a in anns]
    evaluator = LVISEval(gt, LVISResults(gt, dets), 'bbox')
    evaluator.run()
    assert evaluator.results['AP'] == pytest.approx(1.0)
    assert evaluator.results['APr'] == pytest.approx(1.0)
