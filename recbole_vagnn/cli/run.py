"""``recbole-vagnn run`` and ``python run_recbole.py``: train and evaluate one model.

``--model VAGNN [--dataset NAME] [--config_files "a.yaml b.yaml"]`` plus any RecBole config key
as ``--key value`` or ``--key=value`` (e.g. ``--epochs 50 --learning_rate=0.001``). Without ``--dataset`` the
embedded synthetic dataset ``vagnn-demo`` is used. The work is :func:`recbole_vagnn.quick_start.run_recbole`.
"""

import textwrap

from recbole_vagnn.cli.base import add_config_files_flag, argument_parser, config_file_list, recbole_flags
from recbole_vagnn.utils.paths import DEFAULT_DATASET, unknown_model_error


def main(argv=None):
    """Command line: parse this command's flags, hand the rest to RecBole's Config as ``--key=value`` flags."""
    parser = argument_parser(
        "Train and evaluate a model; any RecBole config key is passed on as --key value or --key=value.",
        epilog=textwrap.fill(
            "Any RecBole or recbole-vagnn config key works as --key value or --key=value, e.g. --learning_rate 0.002 "
            "--train_batch_size=512 --lambda1 0.5. Every key's type, range or choices, default and description: "
            "python -m recbole_vagnn.config.schema prints the table (--rst for reStructuredText). Each is declared "
            "once, on the key's line in the package's properties/ folder: overall.yaml (every run), training.yaml "
            "(this package's training defaults and convergence rule: tripartite data and VAGNN, SimGCL, GTN), "
            "dataset/tripartite.yaml, protocol/paper.yaml, model/MODEL.yaml, and RecBole's own checked keys in "
            "recbole_keys.yaml; the presets are in presets/."
        ),
    )
    parser.add_argument("--model", "-m", default="VAGNN", help="model name: VAGNN, SimGCL, GTN or any RecBole model")
    parser.add_argument("--dataset", "-d", default=DEFAULT_DATASET, help="dataset name (folder under --data_path)")
    add_config_files_flag(parser)
    parser.add_argument(
        "--epochs",
        default=None,
        help="RecBole's cap on training epochs (None: training.yaml's 500 where it applies, else RecBole's 300)",
    )
    parser.add_argument(
        "--data_path", default=None, help="folder holding the dataset folder (None: dataset/, then the embedded data)"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="log RecBole's full config, dataset and model dump instead of a header"
    )
    parser.add_argument(
        "--resume",
        default=None,
        metavar="FILE",
        help="continue training from this package's checkpoint FILE (saved/MODEL-DATE-PID-RANDOM.pth), with the same flags",
    )
    args, rest = parser.parse_known_args(argv)
    error = unknown_model_error(args.model)  # at once, before torch and RecBole's model zoo load
    if error:
        raise error
    config_files = config_file_list(args.config_files)
    named = {key: getattr(args, key) for key in ("epochs", "data_path") if getattr(args, key) is not None}
    if args.verbose:
        named["verbose"] = True
    if args.resume:
        from recbole_vagnn.trainer.checkpoint import check_model_file

        check_model_file(args.resume)
    from recbole_vagnn.config.command_line import recbole_command_line
    from recbole_vagnn.quick_start import run_recbole

    with recbole_command_line(recbole_flags(rest)):  # what RecBole's Config reads: its keys, and only those
        run_recbole(
            model=args.model,
            dataset=args.dataset,
            config_file_list=config_files,
            config_dict=named or None,
            resume=args.resume,
        )
