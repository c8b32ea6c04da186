"""mmseg's CityscapesMetric (cityscapesscripts) runs on this stack, on small generated Cityscapes-format files."""
import numpy as np
import pytest
import torch
from PIL import Image

import dense_align  # noqa: F401  (lets cityscapesscripts run on numpy 2)


def write_ground_truth(folder, name: str, label_ids: np.ndarray) -> str:
    """Write ``<name>_gtFine_labelIds.png`` and the matching instanceIds file; return the trainIds path mmseg uses."""
    base = folder / f'{name}_gtFine_'
    Image.fromarray(label_ids.astype(np.uint8)).save(f'{base}labelIds.png')
    from cityscapesscripts.helpers.labels import id2label
    instances = label_ids.astype(np.uint16)  # stuff: the label id; things: label id * 1000 + instance index
    for label_id in np.unique(label_ids):
        if id2label[int(label_id)].hasInstances:
            instances[label_ids == label_id] = int(label_id) * 1000
    Image.fromarray(instances).save(f'{base}instanceIds.png')
    return f'{base}labelTrainIds.png'


@pytest.mark.parametrize('perfect', [True, False])
def test_cityscapes_metric_on_generated_files(tmp_path, perfect):
    from cityscapesscripts.helpers.labels import name2label
    from mmseg.evaluation import CityscapesMetric
    labels = np.zeros((32, 64), np.uint8)
    labels[:, :32] = name2label['road'].id
    labels[:16, 32:] = name2label['sky'].id
    labels[16:, 32:] = name2label['car'].id
    train_ids = np.vectorize(lambda i: {7: 0, 23: 10, 26: 13}[i])(labels)
    prediction = train_ids.copy()
    if not perfect:
        prediction[16:, 32:48] = 0  # half of the car predicted as road
    gt_path = write_ground_truth(tmp_path, 'frankfurt_000000_000294', labels)
    metric = CityscapesMetric(output_dir=str(tmp_path / 'out'), keep_results=True)
    metric.process({}, [dict(pred_sem_seg=dict(data=torch.from_numpy(prediction)[None]),
                             img_path=str(tmp_path / 'frankfurt_000000_000294_leftImg8bit.png'),
                             seg_map_path=gt_path)])
    result = metric.compute_metrics(metric.results)
    if perfect:
        assert result['averageScoreCategories'] == pytest.approx(1.0)
    else:
        assert 0.5 < result['averageScoreCategories'] < 1.0
