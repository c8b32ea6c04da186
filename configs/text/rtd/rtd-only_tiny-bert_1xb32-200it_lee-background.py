# The RTD-only ablation of rtd-contrastive_tiny-bert_1xb32-200it_lee-background.py: ELECTRA's objective alone
# (Vega v1's first phase), everything else equal.
_base_ = './rtd-contrastive_tiny-bert_1xb32-200it_lee-background.py'
model = dict(contrastive_weight=0.0)
