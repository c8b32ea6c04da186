# DebCSE-style debiased SimCSE at CPU scale: the SimCSE demo config (shipped MiniLM, gensim's Lee news sentences)
# with debiased negatives and re-sampled positives.
_base_ = '../simcse/simcse-unsup_minilm-l6_1xb32-150it_lee-news.py'
model = dict(type='DebCSE', debias=dict(bins=10, false_negative_at=0.9, sharpness=0.02, positive_at=0.8))
