"""Which DreamLIP loss term holds the image embeddings together on the demo data: short in-memory training runs of
the demo's tiny CLIP with a chosen set of terms, reporting held-out R@1 and the mean pairwise cosine of the
validation image embeddings (0.9 at initialisation; a trained CLIP spreads them to about 0).

The model is the demo config's (``configs/dreamlip/dreamlip_vit-tiny_1xb64-300it_demo-shapes-64x64.py``), the
training loop a plain one over images held in memory (no data loader: short caption drawn among the five, six
sub-captions by ``SampleSubCaptions``, AdamW with the config's settings and decay on matrices only, linear warm-up
then cosine, logit scales clamped after each step). Not the demo's Runner path, but the same model and losses.

    python tools/analysis/dreamlip_ablation.py --steps 150 --opts '{"use_grouping_loss": false}'
    python tools/analysis/dreamlip_ablation.py --model clip --steps 150
"""
import argparse
import json
import math
import os.path as osp
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'plugins'))

import dense_align  # noqa: E402,F401
from dense_align.dreamlip import SampleSubCaptions  # noqa: E402
from dense_align.evaluation.image_text_metric import retrieval_recalls  # noqa: E402
from dense_align.registry import MODELS  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.structures import BaseDataElement  # noqa: E402

REPO = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..')
CONFIGS = {'dreamlip': 'configs/dreamlip/dreamlip_vit-tiny_1xb64-300it_demo-shapes-64x64.py',
           'clip': 'configs/dreamlip/clip_vit-tiny_1xb64-300it_demo-shapes-64x64.py'}


class CachedTokenizer:
    """Tokenises each distinct text once (the demo's captions repeat)."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer, self.cache = tokenizer, {}

    def __call__(self, texts):
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.tokenizer(missing)))
        return torch.stack([self.cache[t] for t in texts])


def load_split(model, root: str, split: str):
    """(normalised images, captions per image, long caption per image) of one demo split."""
    import mmcv
    with open(osp.join(root, 'annotations', f'captions_{split}.json')) as f:
        coco = json.load(f)
    with open(osp.join(root, 'annotations', f'long_captions_{split}.json')) as f:
        longs = json.load(f)
    captions = {}
    for ann in coco['annotations']:
        captions.setdefault(ann['image_id'], []).append(ann['caption'])
    images = [torch.from_numpy(np.ascontiguousarray(
        mmcv.imread(osp.join(root, 'images', split, img['file_name'])).transpose(2, 0, 1))) for img in coco['images']]
    inputs = model.data_preprocessor(dict(inputs=images), False)['inputs']
    return inputs, [captions[img['id']] for img in coco['images']], [longs[str(img['id'])] for img in coco['images']]


@torch.no_grad()
def evaluate(model, images, captions):
    """(i2t R@1, t2i R@1, mean pairwise cosine of the image embeddings)."""
    model.eval()
    image = F.normalize(model.encode_image(images), dim=-1)
    texts = [c for caps in captions for c in caps]
    text = F.normalize(model.encode_text(model.tokenizer(texts)), dim=-1)
    recalls = retrieval_recalls(image, text, [i for i, caps in enumerate(captions) for _ in caps], ks=(1, ))
    n = len(image)
    spread = ((image @ image.t()).sum().item() - n) / (n * (n - 1))
    model.train()
    return recalls['i2t_R@1'], recalls['t2i_R@1'], spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', default='dreamlip', choices=list(CONFIGS))
    parser.add_argument('--opts', default='{}', help='JSON of model arguments to override, e.g. '
                        '\'{"use_multipos_loss": false}\'')
    parser.add_argument('--steps', type=int, default=150)
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--data', default='data/demo_shapes')
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    model_cfg = Config.fromfile(osp.join(REPO, CONFIGS[args.model])).model.to_dict()
    model_cfg.update(json.loads(args.opts))
    model = MODELS.build(model_cfg)
    model.tokenizer = CachedTokenizer(model.tokenizer)
    train_x, train_caps, train_long = load_split(model, args.data, 'train')
    val_x, val_caps, _ = load_split(model, args.data, 'val')
    sampler = SampleSubCaptions(num_text=6, seed=args.seed)
    params = list(model.named_parameters())
    optim = torch.optim.AdamW([dict(params=[p for _, p in params if p.ndim >= 2], weight_decay=0.1),
                               dict(params=[p for _, p in params if p.ndim < 2], weight_decay=0.0)],
                              lr=1e-3, betas=(0.9, 0.98), eps=1e-6)
    warmup = max(1, args.steps // 10)

    def lr_at(i: int) -> float:
        if i < warmup:
            return 1e-3 * (0.01 + 0.99 * i / warmup)
        return 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + math.cos(math.pi * (i - warmup) / (args.steps - warmup)))

    rng = np.random.default_rng(args.seed)
    start = time.time()
    for i in range(args.steps):
        for group in optim.param_groups:
            group['lr'] = lr_at(i)
        order = rng.permutation(len(train_x))[:args.batch]
        samples = []
        for j in order:
            caption = train_caps[j][rng.integers(len(train_caps[j]))]
            subs = sampler(dict(caption=caption, long_caption=train_long[j], sample_idx=int(j)))['sub_captions']
            samples.append(BaseDataElement(metainfo=dict(caption=caption, text_tokens=model.tokenizer([caption])[0],
                                                         sub_captions=subs)))
        losses = model(train_x[order], samples, mode='loss')
        optim.zero_grad()
        sum(v for k, v in losses.items() if k.startswith('loss')).backward()
        optim.step()
        for module in model.modules():
            if hasattr(module, 'clamp_'):
                module.clamp_()
        if (i + 1) % max(1, args.steps // 5) == 0:
            i2t, t2i, spread = evaluate(model, val_x, val_caps)
            logged = ' '.join(f'{k} {v.item():.3f}' for k, v in losses.items())
            print(f'step {i + 1}: {logged} | val i2t R@1 {i2t:.2f} t2i R@1 {t2i:.2f} image cos {spread:.2f} '
                  f'({time.time() - start:.0f} s)', flush=True)
    i2t, t2i, spread = evaluate(model, val_x, val_caps)
    print(f'FINAL {args.model} {args.opts} seed {args.seed} steps {args.steps}: i2t R@1 {i2t:.2f} t2i R@1 {t2i:.2f} '
          f'mean pairwise image cosine {spread:.2f}')


if __name__ == '__main__':
    main()
