"""Train and evaluate a model: ``python run_recbole.py --model=VAGNN [--dataset=NAME] [--config_files=...]``.

Any RecBole model runs too (LightGCN, NGCF, SGL, BPR, ...). Further ``--key=value`` flags are
RecBole's usual command-line config (e.g. ``--epochs=50 --learning_rate=0.001``). Without
``--dataset`` the embedded synthetic dataset ``vagnn-demo`` is used. Bad input ends in one line
``error: ...`` and exit code 1; ``--debug`` shows the traceback.
"""

import argparse

from recbole_vagnn.config import DEFAULT_DATASET
from recbole_vagnn.errors import run_main
from recbole_vagnn.quick_start import run_recbole

def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", "-m", default="VAGNN", help="model name (default: VAGNN)")
    parser.add_argument("--dataset", "-d", default=DEFAULT_DATASET, help=f"dataset name (default: {DEFAULT_DATASET})")
    parser.add_argument("--config_files", default=None, help="space-separated config files (default: none)")
    args, _ = parser.parse_known_args(argv)
    config_files = args.config_files.strip().split(" ") if args.config_files else None
    run_recbole(model=args.model, dataset=args.dataset, config_file_list=config_files)


if __name__ == "__main__":
    run_main(main)
