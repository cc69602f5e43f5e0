"""``recbole-vagnn COMMAND ...``: every tool of the package from an installed wheel, no checkout needed.

Each command is the module's own command line (``recbole-vagnn run --help``, ...), run through
:func:`recbole_vagnn.errors.run_main`: one-line errors, exit code 1, ``--debug`` for tracebacks.
"""

import argparse
import importlib
import sys

from recbole_vagnn.errors import run_main

COMMANDS = {
    "run": ("recbole_vagnn.quick_start", "train and evaluate a model (python run_recbole.py in a checkout)"),
    "recommend": ("recbole_vagnn.recommend", "top videos and vloggers per user from a trained checkpoint"),
    "benchmark": ("recbole_vagnn.experiments.benchmark", "the paper's Tables 2 and 3 on a dataset"),
    "sweep": ("recbole_vagnn.experiments.sweep", "hyper-parameter sensitivity with Ray Tune"),
    "speed": ("recbole_vagnn.experiments.speed", "seconds per epoch and memory, VA-GNN next to LightGCN"),
    "synthetic": ("recbole_vagnn.experiments.synthetic", "write a synthetic tripartite dataset"),
    "upstream": ("recbole_vagnn.upstream", "write VA-GNN laid out as RecBole's source tree"),
}
CONVERTERS = {
    "wechat": "dataset_converters.wechat",
    "takatak": "dataset_converters.takatak",
    "authors": "dataset_converters.authors",
}


def argument_parser(description):
    """The ``ArgumentParser`` every command uses: each flag's help ends with its default."""
    return argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)


def usage():
    lines = ["usage: recbole-vagnn COMMAND [ARGS ...]   (recbole-vagnn COMMAND --help for its flags)", ""]
    lines += [f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items()]
    lines.append(
        f"  {'convert':<10} raw data to atomic files: recbole-vagnn convert {{{','.join(CONVERTERS)}}} RAW OUT_DIR"
    )
    return "\n".join(lines)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return
    name, rest = argv[0], argv[1:]
    if name == "convert":
        if not rest or rest[0] not in CONVERTERS:
            sys.exit(f"error: recbole-vagnn convert needs one of {', '.join(CONVERTERS)}\n\n{usage()}")
        from dataset_converters.common import run_cli

        sys.argv = [f"recbole-vagnn convert {rest[0]}"]
        run_cli(importlib.import_module(CONVERTERS[rest[0]]).main, rest[1:])
        return
    if name not in COMMANDS:
        sys.exit(f"error: unknown command '{name}'\n\n{usage()}")
    sys.argv = [f"recbole-vagnn {name}"]
    run_main(importlib.import_module(COMMANDS[name][0]).main, rest)


if __name__ == "__main__":
    main()
