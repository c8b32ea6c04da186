"""RTD + contrastive: ELECTRA's masking, sampling only at masked positions, discriminator labels exactly the replaced
tokens, the discriminator loss by hand, the weighted total against an independent recomputation, the generator
size rules, GLUE metrics against scikit-learn, and a 2-process ``tools/train.py --launcher pytorch`` run."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import REPO, equal_rank_states, train_two_processes
from tiny_bert import tiny_bert  # noqa: F401 (a pytest fixture)

CONFIG = REPO / 'configs/text/rtd/rtd-contrastive_tiny-bert_1xb32-200it_lee-background.py'
CLS, SEP, PAD, MASK = 101, 102, 0, 103


def _ids():
    ids = torch.tensor([[CLS] + list(range(2000, 2038)) + [SEP],
                        [CLS] + list(range(3000, 3017)) + [SEP] + [PAD] * 21])
    return ids, (ids != PAD).long()


def test_electra_mask_chooses_round_15_percent_of_real_tokens_never_special():
    from text_align.losses import electra_mask
    ids, attention = _ids()
    g = torch.Generator().manual_seed(0)
    masked, chosen = electra_mask(ids, attention, [CLS, SEP, MASK, PAD], MASK, 0.15, 0.85, generator=g)
    assert chosen.sum(1).tolist() == [round(40 * 0.15), round(19 * 0.15)]  # ELECTRA: round(real tokens x p)
    assert not chosen[(ids == CLS) | (ids == SEP) | (ids == PAD)].any()
    assert torch.equal(masked[~chosen], ids[~chosen])  # nothing outside the chosen positions changes
    changed = chosen & (masked != ids)
    assert torch.equal(masked[changed], torch.full_like(masked[changed], MASK))
    runs = [electra_mask(ids, attention, [CLS, SEP], MASK, 0.15, 0.85, generator=torch.Generator().manual_seed(s))
            for s in range(300)]
    share = float(torch.cat([(m[c] == MASK).float() for m, c in runs]).mean())
    assert abs(share - 0.85) < 0.03  # 85% of the chosen positions become [MASK], the rest keep their token
    one = electra_mask(ids[:1, :3], attention[:1, :3], [CLS, SEP], MASK, 0.15)[1]
    assert one.sum() == 1  # at least one prediction per sequence


def test_sampling_only_at_masked_positions_and_labels_are_exactly_the_replaced_tokens():
    from text_align.losses import sample_replacements
    ids, _ = _ids()
    chosen = torch.zeros_like(ids, dtype=torch.bool)
    chosen[0, [3, 5, 9]] = True
    chosen[1, [2, 4]] = True
    logits = torch.full((5, 4000), -1e4)
    originals = ids[chosen]
    logits[0, originals[0]] = 1e4  # the generator is sure of the original token at the first position
    logits[1:, 7] = 1e4  # and of token 7 elsewhere
    corrupted, labels = sample_replacements(ids, chosen, logits)
    assert torch.equal(corrupted[~chosen], ids[~chosen])
    assert corrupted[chosen].tolist() == [int(originals[0]), 7, 7, 7, 7]
    expected = torch.zeros_like(labels)
    expected[0, [5, 9]] = 1
    expected[1, [2, 4]] = 1  # a sampled token equal to the original is not "replaced" (ELECTRA)
    assert torch.equal(labels, expected)
    assert torch.equal(labels.bool(), corrupted != ids)
    with pytest.raises(ValueError, match='5 masked positions'):
        sample_replacements(ids, chosen, logits[:4])


def test_sampling_follows_the_generator_distribution():
    from text_align.losses import sample_replacements
    ids = torch.zeros(1, 4000, dtype=torch.long)
    chosen = torch.ones_like(ids, dtype=torch.bool)
    probs = torch.tensor([0.5, 0.3, 0.2])
    torch.manual_seed(0)
    corrupted, _ = sample_replacements(ids, chosen, probs.log().expand(4000, 3).clone())
    counts = torch.bincount(corrupted[0], minlength=3).float() / 4000
    assert torch.allclose(counts, probs, atol=0.03)


def test_discriminator_loss_by_hand():
    from text_align.losses import discriminator_loss
    logits = torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
    labels = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    # sigmoid cross-entropy: label 1 -> log(1 + e^-x), label 0 -> log(1 + e^x); averaged over the 5 real tokens
    by_hand = (math.log1p(math.exp(-2)) + math.log1p(math.exp(-1)) + math.log1p(math.exp(-0.5))
               + math.log1p(math.exp(0)) + math.log1p(math.exp(-3))) / 5
    assert math.isclose(float(discriminator_loss(logits, labels, mask)), by_hand, rel_tol=1e-6)


def test_generator_size_rules_and_a_wider_generator_is_an_error(tiny_bert):
    from text_align.methods import RTDContrastive, generator_size
    # ELECTRA-Base: 768 x 12 with a 1/3 generator; ELECTRA-Small: 256 x 12 with a 1/4 generator
    assert generator_size(768, 12, 1 / 3) == dict(hidden_size=256, num_hidden_layers=12, intermediate_size=1024,
                                                  num_attention_heads=4)
    assert generator_size(256, 12, 0.25) == dict(hidden_size=64, num_hidden_layers=12, intermediate_size=256,
                                                 num_attention_heads=1)
    with pytest.raises(ValueError, match='wider than the discriminator'):
        RTDContrastive(encoder=dict(type='TextEncoder', model_path=tiny_bert), generator_width=1.5)


def test_weighted_losses_equal_an_independent_recomputation(tiny_bert):
    from text_align.losses import discriminator_loss, electra_mask, sample_replacements
    from text_align.methods import RTDContrastive
    model = RTDContrastive(encoder=dict(type='TextEncoder', model_path=tiny_bert, pooling='mean'),
                           contrastive_weight=0.3)
    model.eval()  # no dropout: the two views coincide, so the InfoNCE is that of identical views
    assert model.generator.word_embeddings[0].weight is model.encoder.backbone.get_input_embeddings().weight
    tokens = model.encoder.tokenize(['the cat sat on the mat by the door', 'a dog barked at the moon all night',
                                     'rain fell on the quiet town', 'markets rose after the report'])
    torch.manual_seed(5)
    out = model.loss(tokens)
    torch.manual_seed(5)
    ids, attention = tokens['input_ids'], tokens['attention_mask']
    masked, chosen = electra_mask(ids, attention, model.excluded_ids, model.mask_token_id, 0.15, 0.85)
    gen_logits = model.generator(masked, attention, chosen)
    mlm = F.cross_entropy(gen_logits, ids[chosen])
    corrupted, labels = sample_replacements(ids, chosen, gen_logits)
    hidden = model.encoder.backbone(input_ids=corrupted, attention_mask=attention,
                                    token_type_ids=tokens['token_type_ids']).last_hidden_state
    rtd = discriminator_loss(model.discriminator_head(hidden).squeeze(-1), labels, attention)
    z = F.normalize(model.encoder(**tokens), dim=-1)
    infonce = F.cross_entropy(z @ z.t() / 0.05, torch.arange(4))
    assert torch.allclose(out['loss_generator'], mlm)
    assert torch.allclose(out['loss_discriminator'], 50 * rtd)  # ELECTRA's disc_weight
    assert torch.allclose(out['loss_contrastive'], 0.3 * infonce)
    assert 0 < float(labels.sum()) <= int(chosen.sum())
    out['loss_generator'].backward()  # the MLM loss trains the shared token embeddings
    assert model.encoder.backbone.get_input_embeddings().weight.grad.abs().sum() > 0


def test_glue_metrics_equal_sklearn(tmp_path):
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

    from text_align.evaluation import glue_scores, read_text_label_file
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 50), rng.integers(0, 2, 50)
    assert math.isclose(glue_scores('CoLA', p, y)['matthews'], 100 * matthews_corrcoef(y, p), rel_tol=1e-9)
    mrpc = glue_scores('mrpc', p, y)
    assert math.isclose(mrpc['f1'], 100 * f1_score(y, p), rel_tol=1e-9)
    assert math.isclose(mrpc['accuracy'], 100 * accuracy_score(y, p), rel_tol=1e-9)
    y3, p3 = rng.integers(0, 3, 60), rng.integers(0, 3, 60)
    assert glue_scores('mnli', p3, y3) == {'accuracy': 100 * accuracy_score(y3, p3)}
    path = tmp_path / 'train.tsv'
    path.write_text('sentence\tlabel\ngood film\t1\nbad film\t0\n')
    assert read_text_label_file(str(path)) == (['good film', 'bad film'], [1, 0])
    path.write_text('sentence\tlabel\ngood film\tpositive\n')
    with pytest.raises(ValueError, match=r'train.tsv:2: label .positive. is not an integer'):
        read_text_label_file(str(path))


def test_rtd_trains_on_two_processes_in_sync(tiny_bert, tmp_path):
    """``tools/train.py --launcher pytorch`` on 2 gloo processes: both ranks end with identical weights that moved."""
    from transformers import BertModel
    options = [f'model.encoder.model_path={tiny_bert}', f'train_dataloader.collate_fn.model_path={tiny_bert}',
               'train_dataloader.batch_size=4', 'train_dataloader.dataset.max_items=64', 'train_cfg.max_iters=2',
               'param_scheduler.0.end=1', 'param_scheduler.1.begin=1', 'param_scheduler.1.end=2',
               'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1', 'log_processor.window_size=1']
    work = train_two_processes(CONFIG, options, tmp_path)
    rank0 = equal_rank_states(work)
    start = BertModel.from_pretrained(tiny_bert).state_dict()
    assert not torch.equal(rank0['encoder.backbone.embeddings.word_embeddings.weight'],
                           start['embeddings.word_embeddings.weight'])
    log = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'loss_discriminator' in log and 'loss_contrastive' in log
