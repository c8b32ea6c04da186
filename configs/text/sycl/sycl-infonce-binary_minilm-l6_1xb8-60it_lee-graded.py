# The binary baseline of the Lee graded demo: the same lists, the top-graded passage as the positive and the query's
# other passages as hard negatives (plus in-batch negatives), InfoNCE on dot products at T = 1 (trove's default).
_base_ = './sycl-ws2_minilm-l6_1xb8-60it_lee-graded.py'
model = dict(loss=dict(_delete_=True, type='InBatchInfoNCELoss', temperature=1.0, similarity='dot'))
