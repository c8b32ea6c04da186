"""Convert dialog annotations into the JSONL dialog format that SPACE-2's ``DialogTurnDataset`` reads.

    python tools/data/convert_dialogs.py multiwoz data/multiwoz21/data.json out/multiwoz.jsonl
    python tools/data/convert_dialogs.py intent data/dialoglue/banking/train.csv out/banking.jsonl [--domain banking]
    python tools/data/convert_dialogs.py intent utterances.tsv out/intents.jsonl      # text<TAB>label lines

Several outputs can be concatenated into one pre-training file (``cat a.jsonl b.jsonl > train.jsonl``).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'plugins'))

from text_align.data.dialog_converters import convert_intent_file, convert_multiwoz  # noqa: E402
from text_align.data.dialog_jsonl import read_dialogs, write_dialogs  # noqa: E402


def main() -> None:
    """Parse the command line, convert, write, and read the output back as a check."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('kind', choices=['multiwoz', 'intent'])
    parser.add_argument('source')
    parser.add_argument('output')
    parser.add_argument('--domain', help='intent files: the domain of every turn (default: the placeholder)')
    args = parser.parse_args()
    try:
        dialogs = convert_multiwoz(args.source) if args.kind == 'multiwoz' else convert_intent_file(args.source,
                                                                                                     args.domain)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f'error: {err}') from None
    write_dialogs(dialogs, args.output)
    turns = [t for d in read_dialogs(args.output) for t in d['turns']]
    print(f'{args.output}: {len(dialogs)} dialogs, {len(turns)} turns, {sum(t["labelled"] for t in turns)} labelled')


if __name__ == '__main__':
    main()
