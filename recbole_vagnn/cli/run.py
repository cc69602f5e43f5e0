"""``recbole-vagnn run`` and ``python run_recbole.py``: train and evaluate one model.

``--model VAGNN [--dataset NAME] [--config_files "a.yaml b.yaml"]`` plus any RecBole config key
as ``--key value`` or ``--key=value`` (e.g. ``--epochs 50 --learning_rate=0.001``). Without ``--dataset`` the
embedded synthetic dataset ``vagnn-demo`` is used. The work is :func:`recbole_vagnn.quick_start.run_recbole`.

RecBole's distributed flags mean what they mean in RecBole's ``run_recbole.py``: ``--nproc N``
starts N processes on this node (one GPU each, or gloo on the CPU where no GPU is visible);
``--world_size``, ``--ip``, ``--port`` and ``--group_offset`` join several nodes
(:func:`recbole_vagnn.quick_start.run`; the manual's "Scaling" page).
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
    distributed = parser.add_argument_group("several processes (RecBole's distributed data parallel)")
    distributed.add_argument("--nproc", default="1", help="processes on this node, one GPU each (CPU: gloo); default 1")
    distributed.add_argument(
        "--world_size", default="-1", help="processes of every node together (-1: --nproc, this node alone)"
    )
    distributed.add_argument("--ip", default="localhost", help="address of the node with rank 0 (default localhost)")
    distributed.add_argument("--port", default="5678", help="free TCP port there (default 5678)")
    distributed.add_argument("--group_offset", default="0", help="rank of this node's first process (default 0)")
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
    from recbole_vagnn.quick_start.quick_start import check_processes

    nproc, world_size, group_offset = check_processes(args.nproc, args.world_size, args.port, args.group_offset)
    from recbole_vagnn.config.command_line import recbole_command_line
    from recbole_vagnn.quick_start import run_recbole

    with recbole_command_line(recbole_flags(rest)):  # what RecBole's Config reads: its keys, and only those
        if nproc > 1 or world_size > 0:
            from recbole_vagnn.quick_start.quick_start import run_distributed

            return run_distributed(
                args.model,
                args.dataset,
                config_files,
                named or None,
                True,
                nproc,
                world_size,
                args.ip,
                args.port,
                group_offset,
                resume=args.resume,
            )
        run_recbole(
            model=args.model,
            dataset=args.dataset,
            config_file_list=config_files,
            config_dict=named or None,
            resume=args.resume,
        )
