"""Zero-shot classification: template-ensemble class embeddings equal clip-benchmark's
(``clip_benchmark.metrics.zeroshot_classification``); top-k accuracy and mean per-class recall equal scikit-learn's
(CLIP_benchmark's own ``accuracy`` fails on numpy 2; its mean per-class recall is sklearn's balanced accuracy);
open_clip's template lists are read from the installed package;
labelled images are read from a folder per class, a list file or an mmpretrain JSON."""
import json

import pytest
import torch
from clip_benchmark.metrics.zeroshot_classification import zero_shot_classifier as reference_classifier
from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES, OPENAI_IMAGENET_TEMPLATES
from sklearn.metrics import balanced_accuracy_score, top_k_accuracy_score

from dense_align.evaluation import ZeroShotAccuracy, resolve_class_names, resolve_templates, zero_shot_classifier
from dense_align.imagetext import ZeroShotClassificationDataset


class HashTextModel(torch.nn.Module):
    """A text 'encoder' with a fixed random embedding per token sequence, for both implementations."""

    def __init__(self) -> None:
        super().__init__()
        self.table = torch.nn.Embedding(1000, 8)
        torch.nn.init.normal_(self.table.weight, generator=torch.Generator().manual_seed(0))

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.table(tokens).sum(dim=1)


def _tokenize(texts):
    return torch.tensor([[sum(map(ord, t)) % 1000, len(t) % 1000] for t in texts])


def test_template_ensemble_matches_clip_benchmark():
    model, names = HashTextModel(), ['cat', 'dog', 'school bus']
    templates = ['a photo of a {c}.', 'a drawing of a {c}.', 'itap of a {c}.']
    with torch.no_grad():
        want = reference_classifier(model, _tokenize, names, templates, 'cpu', amp=False)  # (D, C)
        got = zero_shot_classifier(lambda prompts: model.encode_text(_tokenize(prompts)), names, templates)
    assert torch.allclose(got, want.t(), atol=1e-6)
    assert torch.allclose(got.norm(dim=-1), torch.ones(3))


def test_open_clip_lists_are_read_from_the_package():
    templates = resolve_templates('OPENAI_IMAGENET_TEMPLATES')
    assert len(templates) == 80 and templates[0]('goldfish') == OPENAI_IMAGENET_TEMPLATES[0]('goldfish')
    assert resolve_class_names('IMAGENET_CLASSNAMES') == list(IMAGENET_CLASSNAMES)
    assert len(resolve_templates('SIMPLE_IMAGENET_TEMPLATES')) == 7
    with pytest.raises(ValueError, match='name of a template list in open_clip.zero_shot_metadata'):
        resolve_templates('a photo of a {}.')


def test_topk_accuracy_matches_clip_benchmark():
    torch.manual_seed(0)
    scores, labels = torch.randn(40, 10), torch.randint(0, 10, (40, ))
    metric = ZeroShotAccuracy(ks=(1, 5))
    metric.process({}, [dict(zero_shot_scores=s, gt_label=int(l)) for s, l in zip(scores, labels)])
    metric.process({}, [dict(zero_shot_scores=None, gt_label=1), dict(zero_shot_scores=scores[0], gt_label=-1)])
    result = metric.evaluate(42)
    for k in (1, 5):
        want = top_k_accuracy_score(labels.numpy(), scores.numpy(), k=k, labels=list(range(10)))
        assert result[f'zero_shot/top{k}'] == pytest.approx(100 * want)
    want = balanced_accuracy_score(labels.numpy(), scores.argmax(dim=1).numpy())
    assert result['zero_shot/mean_per_class_recall'] == pytest.approx(100 * want)
    with pytest.raises(ValueError, match='no prediction has zero_shot_scores'):
        ZeroShotAccuracy().compute_metrics([])


def test_classification_dataset_forms(tmp_path):
    for name in ('cat', 'dog'):
        (tmp_path / 'imgs' / name).mkdir(parents=True)
        (tmp_path / 'imgs' / name / f'{name}1.png').write_bytes(b'')
    (tmp_path / 'imgs' / 'dog' / 'notes.txt').write_text('not an image')
    folders = ZeroShotClassificationDataset(data_prefix=dict(img=str(tmp_path / 'imgs')))
    assert folders.metainfo['classes'] == ('cat', 'dog')
    assert [(d['img_path'].split('imgs/')[1], d['gt_label']) for d in folders] == [('cat/cat1.png', 0),
                                                                                   ('dog/dog1.png', 1)]
    (tmp_path / 'list.txt').write_text('dog/dog1.png 1\ncat/cat1.png 0\n')
    listed = ZeroShotClassificationDataset(ann_file=str(tmp_path / 'list.txt'), classes=['cat', 'dog'],
                                           data_prefix=dict(img=str(tmp_path / 'imgs')))
    assert [d['gt_label'] for d in listed] == [1, 0]
    (tmp_path / 'ann.json').write_text(json.dumps(dict(metainfo=dict(classes=['cat', 'dog']), data_list=[
        dict(img_path='cat/cat1.png', gt_label=0)])))
    mmpretrain = ZeroShotClassificationDataset(ann_file=str(tmp_path / 'ann.json'), data_prefix=dict(img='x'))
    assert mmpretrain.metainfo['classes'] == ('cat', 'dog') and mmpretrain[0]['img_path'] == 'x/cat/cat1.png'
    with pytest.raises(ValueError, match='names no classes'):
        ZeroShotClassificationDataset(ann_file=str(tmp_path / 'list.txt'))
    with pytest.raises(ValueError, match='label 1 outside'):
        ZeroShotClassificationDataset(ann_file=str(tmp_path / 'list.txt'), classes=['cat'])
    (tmp_path / 'bad.txt').write_text('only_a_path.png\n')
    with pytest.raises(ValueError, match='bad.txt:1: expected "<image path> <integer label>"'):
        ZeroShotClassificationDataset(ann_file=str(tmp_path / 'bad.txt'), classes=['cat'])
