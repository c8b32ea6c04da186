# DebCSE-style debiased unsupervised SimCSE on wiki1m (BERT-base), SimCSE's recipe plus inverse-propensity weighted
# negatives and re-sampled positives. Paper (Miao et al., 2023): STS average 80.33 (BERT-base). The paper's
# propensity model and sampling formula are not public; this is our formulation (text_align/losses/debias_weights.py).
# Not trained here (needs a GPU, BERT-base, wiki1m and SentEval).
_base_ = '../simcse/simcse-unsup_bert-base_1xb64-1e_wiki1m.py'
model = dict(type='DebCSE', debias=dict(bins=10, false_negative_at=0.9, sharpness=0.02, positive_at=0.8))
