"""CCP: window positives, same-language negatives only (batch and bank), BN on one side, whitening (identity
covariance on the fitting set, saved with the model), the bitext retrieval metric, and a few training steps."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tiny_bert import write_tiny_bert


def test_window_pairs_and_short_documents_are_counted(tmp_path):
    from text_align.data import SentenceWindowPairs, window_pairs
    assert window_pairs(['a', 'b', 'c', 'd'], window=2) == [(0, 1), (0, 2), (1, 0), (1, 2), (1, 3), (2, 0), (2, 1),
                                                             (2, 3), (3, 1), (3, 2)]
    assert window_pairs(['a', 'b'], window=2) == []
    corpus = tmp_path / 'docs.txt'
    corpus.write_text('One sentence here. Two sentence here. Three sentence here.\n'
                      'Only one sentence here. And another one.\n')
    rows = SentenceWindowPairs(str(corpus), window=2, min_chars=5)
    assert rows.short_documents == 1 and len(rows) == 6
    assert rows[0] == dict(anchor='One sentence here.', positive='Two sentence here.', document=0, language=0,
                           sample_idx=0)


def test_negatives_come_only_from_the_same_language_in_batch_and_bank():
    from text_align.losses import LanguageMemoryBank, language_infonce
    torch.manual_seed(0)
    b, d, t = 6, 5, 0.1
    q, k = torch.randn(b, d), torch.randn(b, d)
    lang = torch.tensor([0, 1, 0, 1, 1, 0])
    bank = LanguageMemoryBank(2, 4, d)
    bank.enqueue(F.normalize(torch.randn(3, d), dim=-1), torch.tensor([0, 0, 1]))
    assert bank.filled.tolist() == [2, 1] and bank.pointer.tolist() == [2, 1]
    loss = language_infonce(q, k, lang, bank, temperature=t, symmetric=False)
    qn, kn = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
    expected = 0
    for i in range(b):
        same = [j for j in range(b) if lang[j] == lang[i]]
        stored = bank.keys[lang[i], :int(bank.filled[lang[i]])]
        logits = torch.cat([qn[i] @ kn[same].t(), qn[i] @ stored.t()]) / t
        expected = expected - torch.log_softmax(logits, 0)[same.index(i)] / b
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    # the other language's bank rows and the unfilled rows change nothing
    bank.keys[1, 1:] = 100.0
    bank.keys[0, 2:] = 100.0
    assert language_infonce(q, k, lang, bank, t, symmetric=False).item() == pytest.approx(loss.item(), rel=1e-6)
    # ring: 5 more keys of language 1 (pointer at 1) in a bank of 4 keep the last 4, written from the pointer on
    new = torch.arange(5 * d, dtype=torch.float).view(5, d)
    bank.enqueue(new, torch.ones(5, dtype=torch.long))
    assert bank.filled.tolist() == [2, 4] and torch.equal(bank.keys[1][[1, 2, 3, 0]], new[1:])


@pytest.fixture(scope='module')
def tiny_ccp(tmp_path_factory):
    from mmengine.registry import init_default_scope

    from text_align.methods import CCP
    init_default_scope('text_align')
    path = write_tiny_bert(tmp_path_factory.mktemp('tb'))
    torch.manual_seed(0)
    model = CCP(encoder=dict(type='TextEncoder', model_path=path, pooling='mean', normalize=False),
                bank_size=8, asymmetric_bn='anchor')
    return model, path


def test_batch_norm_is_applied_to_the_anchor_side_only(tiny_ccp):
    from text_align.data import tokenize_collate
    model, path = tiny_ccp
    rows = [dict(anchor=f'centre sentence {i}', positive=f'context {i} words', language=0) for i in range(4)]
    batch = tokenize_collate(rows, path, columns=('anchor', 'positive'))
    seen = []
    handle = model.bn.register_forward_hook(lambda m, inp, out: seen.append(inp[0].detach().clone()))
    model.train()
    model.bn.reset_running_stats()
    torch.manual_seed(1)
    model(batch['inputs'], batch['data_samples'], mode='loss')
    handle.remove()
    model.eval()
    with torch.no_grad():
        anchors = model.encoder(**batch['inputs']['anchor'])
    assert len(seen) == 1 and seen[0].shape == anchors.shape
    # running mean after one step (momentum 0.1) is that of the anchors' (dropout-noised) embeddings
    assert torch.allclose(model.bn.running_mean, 0.1 * seen[0].mean(0), atol=1e-6)
    # in eval the anchors' BN input was the encoder output (the hook saw the anchor column, not the positives)
    with torch.no_grad():
        positives = model.encoder(**batch['inputs']['positive'])
    assert (seen[0] - anchors).abs().max() < (seen[0] - positives).abs().max()
    assert model.bank.filled.tolist() == [4]


def test_whitening_gives_identity_covariance_on_the_fitting_set_and_is_saved(tiny_ccp):
    from text_align.evaluation import Whitening, fit_whitening
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6)) + 3.0)
    mu, w = fit_whitening(x)
    z = (x - mu) @ w
    assert torch.allclose(z.t() @ z / 200, torch.eye(6, dtype=torch.float64), atol=1e-9)
    few = x[:4]  # fewer points than dimensions: 3 directions kept
    mu4, w4 = fit_whitening(few)
    z4 = (few - mu4) @ w4
    assert w4.shape == (6, 3) and torch.allclose(z4.t() @ z4 / 4, torch.eye(3, dtype=torch.float64), atol=1e-9)
    model, _ = tiny_ccp
    dim = model.encoder.embedding_dim
    fit_on = torch.tensor(rng.normal(size=(10, dim)), dtype=torch.float32)
    model.fit_whitening(fit_on)
    fresh = Whitening(dim)
    fresh.load_state_dict({k[len('whitening.'):]: v for k, v in model.state_dict().items()
                           if k.startswith('whitening.')})
    out = fresh(fit_on).double()
    assert out.shape == (10, 9) and torch.allclose(out.t() @ out / 10, torch.eye(9, dtype=torch.float64), atol=1e-4)


def test_bitext_accuracy_in_both_directions():
    from text_align.evaluation import BitextRetrievalMetric, bitext_accuracy
    src = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    tgt = np.array([[1.0, 0.1], [0.9, 1.0], [0.0, 2.0]])  # src1 -> tgt2, src2 -> tgt1; tgt2 -> src1
    assert bitext_accuracy(src, tgt) == pytest.approx(dict(src2tgt=100 / 3, tgt2src=100 / 3, mean=100 / 3))
    metric = BitextRetrievalMetric()
    metric.process({}, [dict(side=s, pair=i, embedding=(src if s == 'src' else tgt)[i])
                        for s in ('tgt', 'src') for i in (2, 0, 1)])
    assert metric.compute_metrics(metric.results)['src2tgt'] == pytest.approx(100 / 3)


def test_ccp_trains_under_tools_train_then_whitening_and_bitext_tools_use_the_checkpoint(tmp_path, monkeypatch,
                                                                                         capsys):
    """tools/train.py (3 iterations, Lee-similarity validation) -> tools/text/fit_whitening.py -> eval_bitext.py;
    the printed accuracy equals the whitened embeddings' accuracy computed here, and the whitened covariance of the
    fitting corpus is the identity."""
    import json
    import re
    import runpy
    import sys

    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from conftest import REPO
    from text_align.evaluation import bitext_accuracy
    from text_align.registry import MODELS
    model_path = write_tiny_bert(tmp_path / 'tb')
    config = REPO / 'configs/text/ccp/ccp_minilm-l6_1xb32-100it_lee-windows.py'
    corpus = tmp_path / 'corpus.txt'
    corpus.write_text(''.join(' '.join(f'Sentence number {i} of document {d} is about topic {d * i % 7} and more.'
                                       for i in range(5)) + '\n' for d in range(12)))
    options = [f'model.encoder.model_path={model_path}', f'train_dataloader.collate_fn.model_path={model_path}',
               f'val_dataloader.collate_fn.model_path={model_path}', 'val_dataloader.collate_fn.max_length=128',
               'val_dataloader.dataset.indices=8', f'train_dataloader.dataset.ann_file={corpus}',
               'train_dataloader.batch_size=8', 'model.bank_size=16', 'optim_wrapper.optimizer.lr=1e-3',
               'train_cfg.max_iters=3', 'train_cfg.val_interval=3', 'param_scheduler.0.end=3',
               'default_hooks.checkpoint.interval=3', 'default_hooks.logger.interval=1', 'log_processor.window_size=1']
    work = tmp_path / 'work'
    monkeypatch.setattr(sys, 'argv', ['train.py', str(config), '--work-dir', str(work), '--cfg-options'] + options)
    runpy.run_path(str(REPO / 'tools/train.py'), run_name='__main__')
    log = next(work.glob('*/*.log')).read_text()
    assert len(re.findall(r'loss_contrastive: [0-9.]+', log)) == 3 and re.search(r'spearman', log, re.I), log[-1500:]
    cfg_file = tmp_path / 'ccp_tiny.py'  # the config as trained, for the tools
    cfg = Config.fromfile(str(config), lazy_import=False)
    cfg.merge_from_dict({'model.encoder.model_path': model_path, 'model.bank_size': 16})
    cfg.dump(str(cfg_file))
    whitened = tmp_path / 'whitened.pth'
    monkeypatch.setattr(sys, 'argv', ['fit_whitening.py', str(cfg_file), str(work / 'iter_3.pth'), str(whitened),
                                      '--corpus', str(corpus), '--min-chars', '10'])
    runpy.run_path(str(REPO / 'tools/text/fit_whitening.py'), run_name='__main__')
    src, tgt = tmp_path / 'src.txt', tmp_path / 'tgt.txt'
    pairs = [(f'the storm number {i} hit the coast', f'coast hit storm {i} the') for i in range(12)]
    src.write_text(''.join(a + '\n' for a, _ in pairs))
    tgt.write_text(''.join(b + '\n' for _, b in pairs))
    capsys.readouterr()
    monkeypatch.setattr(sys, 'argv', ['eval_bitext.py', str(src), str(tgt), '--config', str(cfg_file),
                                      '--checkpoint', str(whitened)])
    runpy.run_path(str(REPO / 'tools/text/eval_bitext.py'), run_name='__main__')
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    init_default_scope('text_align')
    model = MODELS.build(cfg.model)
    model.load_state_dict(torch.load(whitened, weights_only=False)['state_dict'])
    model.eval()
    with torch.no_grad():
        emb = [model.whitening(torch.from_numpy(model.encoder.encode(t))) for t in ([a for a, _ in pairs],
                                                                                    [b for _, b in pairs])]
    assert printed == pytest.approx(bitext_accuracy(emb[0].numpy(), emb[1].numpy()))
    from text_align.data import split_sentences
    fitting = [s for line in corpus.read_text().splitlines() for s in split_sentences(line, 10)]
    with torch.no_grad():
        w = model.whitening(torch.from_numpy(model.encoder.encode(fitting))).double()
    cov = (w - w.mean(0)).T @ (w - w.mean(0)) / w.shape[0]
    assert torch.allclose(cov, torch.eye(cov.shape[0], dtype=cov.dtype), atol=1e-3)
