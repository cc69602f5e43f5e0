"""Command-line arguments shared by the experiment commands (benchmark, sweep)."""

import sys

from recbole_vagnn.cli import add_config_files_flag, config_file_list
from recbole_vagnn.paths import DEFAULT_DATASET


def add_experiment_arguments(parser):
    """--dataset, --out, --config_files, --data_path and --epochs."""
    parser.add_argument("--dataset", default=DEFAULT_DATASET, help="dataset name (a folder under --data_path)")
    parser.add_argument("--out", default="benchmark_results", help="output folder")
    add_config_files_flag(parser, help="YAML config files applied to every run")
    parser.add_argument(
        "--data_path", default=None, help="folder holding the dataset folder (None: dataset/, then the embedded data)"
    )
    parser.add_argument("--epochs", type=int, default=None, help="cap on training epochs (None: the config's)")


def parse_experiment_arguments(parser, argv):
    """Parse ``argv``; return ``(args, base RecBole config dict)``.

    ``sys.argv`` is cut to the program name afterwards: RecBole's ``Config`` reads ``--key=value``
    flags from it and would take this command's own flags as config.
    """
    args = parser.parse_args(argv)
    args.config_files = config_file_list(args.config_files)
    sys.argv = sys.argv[:1]
    base_config = {}
    if args.data_path:
        base_config["data_path"] = args.data_path
    if args.epochs is not None:
        base_config["epochs"] = args.epochs
    return args, base_config
