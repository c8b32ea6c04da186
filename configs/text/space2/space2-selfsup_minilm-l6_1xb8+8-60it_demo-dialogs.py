# The self-supervised-only baseline of the SPACE-2 demo: the same model, data, batches and schedule, but the trees are
# ignored, so the labelled batch also gets the SimCSE-style loss (each turn's other dropout view is its one positive,
# every other turn a negative) in every view subspace, + 0.1 x MLM.
_base_ = './space2_minilm-l6_1xb8+8-60it_demo-dialogs.py'
model = dict(use_labels=False)
