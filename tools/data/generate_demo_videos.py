"""Write the embedded demo video dataset (shapes moving left/right/up/down, growing, shrinking).

    python tools/data/generate_demo_videos.py [--out data/demo_videos] [--num-train 96] [--num-val 120]
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))

from dense_align.datasets.demo_videos import DemoVideosSpec, generate_demo_videos  # noqa: E402


def main() -> None:
    """Parse the command line and generate the videos."""
    defaults = DemoVideosSpec()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='data/demo_videos', help='output folder')
    parser.add_argument('--num-train', type=int, default=defaults.num_train)
    parser.add_argument('--num-val', type=int, default=defaults.num_val)
    parser.add_argument('--size', type=int, default=defaults.size)
    parser.add_argument('--num-frames', type=int, default=defaults.num_frames)
    parser.add_argument('--seed', type=int, default=defaults.seed)
    args = parser.parse_args()
    spec = DemoVideosSpec(args.num_train, args.num_val, args.size, args.num_frames, args.seed)
    start = time.time()
    counts = generate_demo_videos(args.out, spec)
    print(f'wrote {counts} videos to {args.out} in {time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
