"""Command-line arguments shared by the experiment commands (benchmark, sweep); the cold-video flags (benchmark)."""

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
    base_config = {"data_path": str(folder.parent.resolve()) + os.sep, "training_defaults": True, "head_tail": True}
    if args.epochs is not None:
        base_config["epochs"] = args.epochs
    return args, base_config


def add_cold_video_arguments(parser):
    """--cold_items, --cold_split and --cold_candidates: the cold-video setting of every run (manual: Running)."""
    parser.add_argument(
        "--cold_items",
        type=float,
        default=0.0,
        help="share of the videos held out of training with all their interactions, half for validation and half "
        "for test (0: the warm protocol)",
    )
    parser.add_argument(
        "--cold_split", default=None, help="with --cold_items: which videos, random (seeded, the default) or time"
    )
    parser.add_argument(
        "--cold_candidates",
        default=None,
        help="with --cold_items: what a user's ranking holds, cold (the split's held-out videos, the default) or all",
    )


def cold_video_config(args):
    """The config values of the cold-video flags (empty for a warm run); a bad value is a one-line :class:`ConfigError`."""
    from recbole_vagnn.data.cold_items import COLD_CANDIDATES, COLD_SPLITS

    share = args.cold_items
    if not 0 <= share < 1:  # NaN too
        raise ConfigError(
            f"--cold_items {share}: must be a share in [0, 1), e.g. 0.1 (10% of the videos held out); 0: warm"
        )
    for flag, value, choices in (
        ("--cold_split", args.cold_split, COLD_SPLITS),
        ("--cold_candidates", args.cold_candidates, COLD_CANDIDATES),
    ):
        if value is None:
            continue
        if value not in choices:
            raise ConfigError(f"{flag} {value}: use one of {', '.join(choices)}")
        if not share:
            raise ConfigError(
                f"{flag} {value} needs --cold_items (the share of videos held out), e.g. --cold_items 0.1"
            )
    if not share:
        return {}
    return {
        "cold_items": share,
        "cold_split": args.cold_split or COLD_SPLITS[0],
        "cold_candidates": args.cold_candidates or COLD_CANDIDATES[0],
    }
