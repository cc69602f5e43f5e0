"""``recbole-vagnn COMMAND ...``: every tool of the package from an installed wheel, no checkout needed.

Each command is the module's own command line (``recbole-vagnn run --help``, ...), run through
:func:`recbole_vagnn.cli.base.run_main` (one-line errors, ``--debug``, the flag convention). Only the
chosen command's module is imported, and those modules load RecBole and torch only when they run,
so ``--help`` answers at once.
"""

import importlib
import sys

from recbole_vagnn.cli.base import run_main

COMMANDS = {
    "run": ("recbole_vagnn.cli.run", "train and evaluate a model (python run_recbole.py in a checkout)"),
    "recommend": ("recbole_vagnn.cli.recommend", "top videos and vloggers per user from a trained checkpoint"),
    "benchmark": ("recbole_vagnn.experiments.benchmark", "the paper's Tables 2 and 3 on a dataset"),
    "sweep": ("recbole_vagnn.experiments.sweep", "hyper-parameter sensitivity with Ray Tune"),
    "stopping": ("recbole_vagnn.experiments.stopping", "early-stopping rules replayed on runs recorded once"),
    "speed": ("recbole_vagnn.experiments.speed", "seconds per epoch and memory, VA-GNN next to LightGCN"),
    "scaling": ("recbole_vagnn.experiments.scaling", "epoch time and test Recall@10 of 1 and 2 processes"),
    "parts": ("recbole_vagnn.experiments.parts", "a trained VA-GNN's score split into its video and vlogger parts"),
    "synthetic": ("recbole_vagnn.experiments.synthetic", "write a synthetic tripartite dataset"),
    "upstream": ("recbole_vagnn.upstream.upstream", "write VA-GNN laid out as RecBole's source tree"),
}
CONVERTERS = {
    "wechat": ("recbole_vagnn.dataset_converters.wechat", "WeChat Big Data Challenge 2021: RAW_DIR OUT_DIR"),
    "takatak": ("recbole_vagnn.dataset_converters.takatak", "a TakaTak-style event log: EVENTS_CSV OUT_DIR"),
    "authors": ("recbole_vagnn.dataset_converters.authors", "the VA-GNN authors' released layout: RELEASE_DIR OUT_DIR"),
    "table": (
        "recbole_vagnn.dataset_converters.table",
        "any user-item-creator tables: OUT_DIR --name --interactions --items",
    ),
}


def usage():
    lines = ["usage: recbole-vagnn [--version] COMMAND [ARGS ...]   (recbole-vagnn COMMAND --help for its flags)", ""]
    lines += [f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items()]
    lines.append(f"  {'convert':<10} raw data to atomic files: recbole-vagnn convert CONVERTER ... (convert --help)")
    return "\n".join(lines)


def convert_usage():
    lines = [
        "usage: recbole-vagnn convert CONVERTER ARGS ...   (recbole-vagnn convert CONVERTER --help for its flags)",
        "",
    ]
    lines += [f"  {name:<8} {text}" for name, (_, text) in CONVERTERS.items()]
    return "\n".join(lines)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return
    if argv[0] in ("-V", "--version"):
        from recbole_vagnn import __version__

        print(f"recbole-vagnn {__version__}")
        return
    name, rest = argv[0], argv[1:]
    if name == "convert":
        if not rest or rest[0] in ("-h", "--help"):
            print(convert_usage())
            return
        if rest[0] not in CONVERTERS:
            sys.exit(f"error: unknown converter '{rest[0]}'\n\n{convert_usage()}")
        from recbole_vagnn.dataset_converters.common import run_cli

        sys.argv = [f"recbole-vagnn convert {rest[0]}"]
        run_cli(importlib.import_module(CONVERTERS[rest[0]][0]).main, rest[1:])
        return
    if name not in COMMANDS:
        sys.exit(f"error: unknown command '{name}'\n\n{usage()}")
    sys.argv = [f"recbole-vagnn {name}"]
    run_main(importlib.import_module(COMMANDS[name][0]).main, rest)


if __name__ == "__main__":
    main()
