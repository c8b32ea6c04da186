"""MOFI's demo config under ``tools/train.py --launcher pytorch`` on 2 gloo processes: both heads train, the
replicated parameters end equal on both ranks, the entity classifier's shards are disjoint and together cover
every class (uneven: 7 entities over 2 processes), and the checkpoint holds the whole classifier."""
import json
from pathlib import Path

import torch

from conftest import REPO, free_port, run_tool

CONFIG = REPO / 'configs/mofi/mofi_vit-tiny_1xb64-300it_demo-shapes-i2e-64x64.py'
HELPERS = Path(__file__).resolve().parents[2] / 'helpers'


def write_labels(root: Path, out: Path) -> int:
    """Entity labels of the demo training images from their COCO instances (an I2E stand-in) plus one entity that
    labels no image; returns the number of entities."""
    coco = json.loads((root / 'annotations/instances_train.json').read_text())
    names = [c['name'] for c in coco['categories']] + ['purple hexagon']
    labels = {}
    for ann in coco['annotations']:
        labels.setdefault(ann['image_id'], set()).add(ann['category_id'] - 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / 'entities.jsonl').write_text(''.join(json.dumps(dict(id=f'Q{i}', name=n)) + '\n'
                                                for i, n in enumerate(names)))
    (out / 'labels.jsonl').write_text(''.join(
        json.dumps(dict(image=f'images/train/{img["file_name"]}', labels=sorted(labels[img['id']]))) + '\n'
        for img in coco['images'] if img['id'] in labels))
    return len(names)


def test_two_process_training_keeps_replicas_equal_and_shards_disjoint(demo_root, tmp_path):
    num = write_labels(demo_root, tmp_path / 'i2e')
    wrapper = tmp_path / 'ddp_config.py'
    wrapper.write_text(f"_base_ = ['{CONFIG}']\n"
                       "custom_imports = dict(imports=['rank_weights_hook', 'align_core.sharded_checkpoint'], "
                       "allow_failed_imports=False)\n"
                       "custom_hooks = [dict(type='ClampLogitScaleHook'), "
                       "dict(type='ShardedClassifierCheckpointHook'), dict(type='SaveRankWeightsHook')]\n")
    opts = [f'train_dataloader.dataset.data_root={demo_root}/', f'val_dataloader.dataset.data_root={demo_root}/',
            f'train_dataloader.dataset.ann_file={tmp_path}/i2e/labels.jsonl',
            f'train_dataloader.dataset.entity_file={tmp_path}/i2e/entities.jsonl', f'model.num_entities={num}',
            'train_dataloader.batch_size=4', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
            'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1', 'param_scheduler=[]']
    for loader in ('train_dataloader', 'val_dataloader'):
        opts += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    work = tmp_path / 'work'
    result = run_tool(['-m', 'torch.distributed.run', '--nproc_per_node=2', f'--master_port={free_port()}',
                       REPO / 'tools/train.py', wrapper, '--launcher', 'pytorch', '--work-dir', work,
                       '--cfg-options'] + opts, env={'PYTHONPATH': str(HELPERS)})
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-3000:])
    logged = [json.loads(x) for x in next(work.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    assert {'loss_cls', 'loss_con'} <= set(logged[0]) and 'instance_retrieval/mAP' in logged[-1]
    ranks = [torch.load(work / f'rank{r}_of_2.pth', map_location='cpu') for r in range(2)]
    shards = [r.pop('entity_head.weight') for r in ranks]
    for key, value in ranks[0].items():  # DDP kept everything but the shards identical
        assert torch.equal(value, ranks[1][key]), key
    assert [s.shape[0] for s in shards] == [4, 3]  # uneven: [0, 4) and [4, 7)
    checkpoint = torch.load(work / 'iter_2.pth', map_location='cpu', weights_only=False)
    # the saved matrix is rank 0's rows then rank 1's: disjoint shards that cover all 7 entities
    assert torch.equal(checkpoint['state_dict']['entity_head.weight'], torch.cat(shards))
    assert checkpoint['meta']['sharded_classifiers'] == {'entity_head': dict(num_classes=num, world_size=2)}
