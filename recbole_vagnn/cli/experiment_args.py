"""Command-line arguments shared by the experiment commands (benchmark, sweep)."""

import os
from pathlib import Path

from recbole_vagnn.cli.base import add_config_files_flag, config_file_list
from recbole_vagnn.utils.errors import ConfigError
from recbole_vagnn.utils.paths import DEFAULT_DATASET, config_file_path, dataset_dir, missing_dataset_error


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

    Every path is made absolute
    here, on the driver (``data_path`` from ``--data_path`` or the default ``dataset/`` then the
    embedded data, ``--config_files``, ``--out``), and the dataset and config files are checked:
    Ray trials run in working folders of their own, where a relative path finds nothing. A
    command with ``--datasets`` (the stopping study) has its first one checked here, not ``--dataset``.
    """
    args = parser.parse_args(argv)
    several = [name.strip() for name in (getattr(args, "datasets", None) or "").split(",") if name.strip()]
    args.dataset = several[0] if several else args.dataset
    folder = dataset_dir(args.data_path, args.dataset)
    if not folder.is_dir():
        raise missing_dataset_error(args.dataset, folder)
    args.config_files = [str(config_file_path(file).resolve()) for file in config_file_list(args.config_files) or []]
    for file in args.config_files:
        if not Path(file).is_file():
            raise ConfigError(f"--config_files: {file}: file not found")
    args.config_files = args.config_files or None
    args.out = str(Path(args.out).resolve())
    # one protocol for every model of a comparison, on any data: this package's training defaults
    base_config = {"data_path": str(folder.parent.resolve()) + os.sep, "training_defaults": True}
    if args.epochs is not None:
        base_config["epochs"] = args.epochs
    return args, base_config
