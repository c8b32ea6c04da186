"""Write the embedded demo dataset (named shapes: images, mmseg masks, COCO instances, captions).

    python tools/data/generate_demo_shapes.py [--out data/demo_shapes] [--num-train 256] [--num-val 64] [--size 64]
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))

from dense_align.datasets.demo_shapes import DemoShapesSpec, generate_demo_shapes, is_generated  # noqa: E402


def main() -> None:
    """Parse the command line and generate the data (skipped when the same data is already there)."""
    defaults = DemoShapesSpec()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='data/demo_shapes', help='output folder')
    parser.add_argument('--num-train', type=int, default=defaults.num_train)
    parser.add_argument('--num-val', type=int, default=defaults.num_val)
    parser.add_argument('--size', type=int, default=defaults.size, help='image side in pixels')
    parser.add_argument('--max-objects', type=int, default=defaults.max_objects)
    parser.add_argument('--seed', type=int, default=defaults.seed)
    parser.add_argument('--force', action='store_true', help='regenerate even if the folder is up to date')
    args = parser.parse_args()
    spec = DemoShapesSpec(num_train=args.num_train, num_val=args.num_val, size=args.size,
                          max_objects=args.max_objects, seed=args.seed)
    if not args.force and is_generated(args.out, spec):
        print(f'{args.out} already holds the demo data for {spec}; nothing to do (--force regenerates)')
        return
    start = time.time()
    counts = generate_demo_shapes(args.out, spec)
    print(f'wrote {counts} images to {args.out} in {time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
