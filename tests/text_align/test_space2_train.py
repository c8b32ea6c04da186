"""SPACE-2 model: its loss terms on a tiny BERT (mean over the chosen views with each view's score matrix, identity
scores = the self-supervised loss), a few iterations under tools/train.py (0.1 x token-level MLM), and a 2-process
gloo run whose ranks end with identical weights."""
import re

import pytest
import torch

from conftest import REPO, equal_rank_states, run_tool, train_two_processes
from text_align.data import DialogTurnDataset, dialog_collate, write_dialogs
from text_align.data.dialog_demo_corpus import generate_dialogs
from tiny_bert import tiny_bert  # noqa: F401 (a pytest fixture)

CONFIG = REPO / 'configs/text/space2/space2_minilm-l6_1xb8+8-60it_demo-dialogs.py'


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp('dialogs') / 'pretrain.jsonl'
    write_dialogs(generate_dialogs(30, seed=0, labelled_fraction=0.4), str(path))
    return str(path)


def build(tiny_bert, **kwargs):
    from text_align.registry import MODELS
    return MODELS.build(dict(type='SPACE2', encoder=dict(type='TextEncoder', model_path=tiny_bert, pooling='cls'),
                             dropout=0.0, **kwargs))


def test_contrastive_term_is_the_mean_over_the_chosen_views(tiny_bert, corpus):
    from text_align.losses import SoftSupConLoss
    data = DialogTurnDataset(corpus, context_turns=1)
    rows = [data[i] for i in data.labelled_indices[:6]] + [data[i] for i in data.unlabelled_indices[:4]]
    inputs = dialog_collate(rows, model_path=tiny_bert, max_length=32)['inputs']
    torch.manual_seed(0)
    model = build(tiny_bert, views=['SV', 'D'], mlm_weight=0.1)
    losses = model.loss(inputs)
    assert sorted(losses) == ['loss_con_labelled', 'loss_con_unlabelled', 'loss_mlm_labelled', 'loss_mlm_unlabelled']
    with torch.no_grad():
        features = model.features(inputs['labelled'])  # dropout 0: the two views are equal, as in model.loss
    criterion = SoftSupConLoss(0.07, 0.07)
    expected = (criterion(features[:, :, 0], inputs['scores'][6]) + criterion(features[:, :, 1], inputs['scores'][0])) / 2
    assert losses['loss_con_labelled'].item() == pytest.approx(expected.item(), rel=1e-5)
    assert not torch.equal(inputs['scores'][6], torch.eye(6))  # the batch has related trees
    unlabelled = criterion(features[:, :, 0]) / 2 + criterion(features[:, :, 1]) / 2
    ablation = build(tiny_bert, views=['SV', 'D'], mlm_weight=0.0, use_labels=False)
    ablation.load_state_dict(model.state_dict(), strict=False)
    assert ablation.loss(inputs)['loss_con_labelled'].item() == pytest.approx(unlabelled.item(), rel=1e-5)


def test_a_few_iterations_under_tools_train(tiny_bert, corpus, tmp_path):
    options = [f'model.encoder.model_path={tiny_bert}', f'train_dataloader.collate_fn.model_path={tiny_bert}',
               f'train_dataloader.dataset.ann_file={corpus}', 'train_dataloader.batch_size=4',
               'train_dataloader.batch_sampler.unlabelled_batch_size=4', 'train_cfg.max_iters=3',
               'default_hooks.logger.interval=1', 'log_processor.window_size=1', 'default_hooks.checkpoint.interval=3']
    result = run_tool(['tools/train.py', CONFIG, '--work-dir', tmp_path, '--cfg-options'] + options)
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    terms = {k: [float(v) for v in re.findall(rf'{k}: ([0-9.]+)', log)]
             for k in ('loss_con_labelled', 'loss_mlm_labelled', 'loss_con_unlabelled', 'loss_mlm_unlabelled')}
    assert all(len(v) == 3 for v in terms.values()), terms
    # a fresh MLM head predicts uniformly over the 30522-token vocabulary: 0.1 x ln(30522) = 1.03 per masked token
    assert terms['loss_mlm_labelled'][0] == pytest.approx(0.1 * torch.log(torch.tensor(30522.)).item(), abs=0.05)
    from align_core.checkpoint import safe_load
    state = safe_load(tmp_path / 'iter_3.pth')['state_dict']
    assert state['subspace.projection.0.weight'].shape == (320, 32)  # Linear(32, 32 x 10)


def test_two_processes_end_in_sync(tiny_bert, corpus, tmp_path):
    options = [f'model.encoder.model_path={tiny_bert}', f'train_dataloader.collate_fn.model_path={tiny_bert}',
               f'train_dataloader.dataset.ann_file={corpus}', 'train_dataloader.batch_size=2',
               'train_dataloader.batch_sampler.unlabelled_batch_size=2', 'train_cfg.max_iters=2',
               'optim_wrapper.optimizer.lr=1e-3', 'default_hooks.checkpoint.interval=2']
    work = train_two_processes(CONFIG, options, tmp_path)
    rank0 = equal_rank_states(work)
    from transformers import BertModel
    start = BertModel.from_pretrained(tiny_bert).state_dict()['embeddings.word_embeddings.weight']
    assert not torch.equal(rank0['encoder.backbone.embeddings.word_embeddings.weight'], start)
