"""X-CLIP on bad inputs: class lists that disagree with the dataset, blank names, blending for another class count,
a checkpoint of another size, frame folders numbered without padding, a container that over-reports its frames."""
import struct
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import load_state_dict

from dense_align.xclip import ClassNamesCheckHook, SampleVideoFrames, VideoDataset, read_class_file
from xclip_tiny import CLASSES, tiny_cfg, tiny_model


def dataset_with(tmp_path, names) -> VideoDataset:
    (tmp_path / 'classes.csv').write_text('id,name\n' + ''.join(f'{i},{n}\n' for i, n in enumerate(names)))
    (tmp_path / 'ann.txt').write_text('a.avi 0\n')
    return VideoDataset(ann_file=str(tmp_path / 'ann.txt'), class_file=str(tmp_path / 'classes.csv'))


@pytest.mark.parametrize('names,message', [
    (CLASSES[:2], r'model.class_names \(a list of 3 names\) and .*classes.csv\) differ: 3 vs 2 classes'),
    ([CLASSES[1], CLASSES[0], CLASSES[2]], "differ at class 0: 'circle moving left' vs 'square moving up' "
                                           r'\(same names, another order\)')])
def test_class_names_must_match_the_dataset_class_file(tmp_path, names, message):
    hook, model = ClassNamesCheckHook(), tiny_model()
    runner = SimpleNamespace(model=model, val_dataloader=SimpleNamespace(dataset=dataset_with(tmp_path, names)))
    with pytest.raises(ValueError, match=message):
        hook.before_val(runner)
    runner.val_dataloader.dataset = dataset_with(tmp_path, CLASSES)
    hook.before_val(runner)  # the same list passes


def test_blank_class_names_are_refused(tmp_path):
    (tmp_path / 'blank.csv').write_text('id,name\n0,run\n1,  \n')
    with pytest.raises(ValueError, match='blank.csv:3: class 1 has a blank name'):
        read_class_file(str(tmp_path / 'blank.csv'))
    with pytest.raises(ValueError, match='index 1 is blank'):
        tiny_model(class_names=['run', ' ', 'jump'])


def test_blending_for_another_class_count_is_refused_before_training():
    model = tiny_model(data_preprocessor=dict(type='VideoDataPreprocessor', blending=dict(num_classes=5)))
    with pytest.raises(ValueError, match=r'blending.num_classes=5 but model.class_names \(a list of 3 names\) has 3'):
        model.train_step(dict(inputs=[], data_samples=[]), optim_wrapper=None)


def test_checkpoint_of_another_size_names_the_first_mismatching_key():
    cfg = tiny_cfg()
    wider = dict(cfg['visual'], arch=dict(cfg['visual']['arch'], width=128, heads=2))
    state = tiny_model(visual=wider).state_dict()
    with pytest.raises(ValueError, match=r"'prompts_visual_proj' has shape \(128, 32\) .* expects \(64, 32\)"):
        load_state_dict(tiny_model(), state, strict=False)  # mmengine's loader would only warn


def test_frame_folders_sort_naturally(tmp_path):
    for i in range(12):  # img_0 ... img_11, no zero padding: name order would put img_10 after img_1
        cv2.imwrite(str(tmp_path / f'img_{i}.png'), np.full((8, 8, 3), 20 * i, np.uint8))
    imgs = SampleVideoFrames(num_frames=12, test_mode=True).transform(dict(filename=str(tmp_path)))['imgs']
    assert [int(img[0, 0, 0]) for img in imgs] == [20 * i for i in range(12)]


def test_over_reported_frame_count_falls_back_to_the_decodable_frames(tmp_path, capsys):
    path = str(tmp_path / 'over.avi')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 8, (32, 32))
    for i in range(16):
        writer.write(np.full((32, 32, 3), 10 * i + 5, np.uint8))
    writer.release()
    data = bytearray(open(path, 'rb').read())
    for chunk, field in ((b'avih', 16), (b'strh', 32)):  # dwTotalFrames / dwLength: claim 24 frames
        start = data.find(chunk) + 8 + field
        data[start:start + 4] = struct.pack('<I', 24)
    open(path, 'wb').write(bytes(data))
    assert int(cv2.VideoCapture(path).get(cv2.CAP_PROP_FRAME_COUNT)) == 24
    MMLogger.get_instance(f'over-reported-{tmp_path.name}')  # a current logger writing to this test's stdout
    results = SampleVideoFrames(num_frames=4, test_mode=True).transform(dict(filename=path))
    assert 'reports 24 frames but only 16 decode' in capsys.readouterr().out
    assert results['total_frames'] == 16 and results['frame_inds'].tolist() == [2, 6, 10, 14]
    assert [int(img[0, 0, 0]) // 10 for img in results['imgs']] == [2, 6, 10, 14]  # frame i is 10 i + 5
