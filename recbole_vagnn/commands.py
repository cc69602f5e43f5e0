"""``recbole-vagnn COMMAND ...``: every tool of the package from an installed wheel, no checkout needed.

Each command is the module's own command line (``recbole-vagnn run --help``, ...), and every
command line of this package (also ``run_recbole.py`` and ``python -m ...``) runs its ``main``
through :func:`run_main`: an :class:`~recbole_vagnn.errors.InputError`, a missing or unreadable
file or bad YAML ends in one line ``error: ...`` on stderr and exit code 1. ``--debug`` on the
command line, or the environment variable ``RECBOLE_VAGNN_DEBUG=1``, shows the full traceback
instead. Anything else is a bug and keeps its traceback.

Warning policy, the same in every command: RecBole 1.2.1's own deprecation notices (pandas
chained assignment, ``torch.sparse.FloatTensor``, ``torch.cuda.amp``) are not actionable for a
user of these commands and are hidden; every other warning is shown.
"""

import argparse
import importlib
import os
import sys
import warnings

import yaml

from recbole_vagnn.errors import InputError

DEBUG_FLAG = "--debug"
DEBUG_VARIABLE = "RECBOLE_VAGNN_DEBUG"


def _one_line(text):
    return " ".join(str(text).split())


def describe(error):
    """The one-line message for an input error, or None if ``error`` is not one (a bug)."""
    if isinstance(error, InputError):
        return _one_line(error)
    if isinstance(error, OSError) and error.filename is not None:
        return _one_line(f"{error.filename}: {error.strerror or error}")
    if isinstance(error, yaml.YAMLError):
        return _one_line(f"bad YAML: {error}")
    if isinstance(error, UnicodeDecodeError):
        return _one_line(f"a file is not UTF-8 text: {error}")
    return None


def hide_recbole_deprecations():
    """Hide the deprecation notices RecBole's own code triggers (module docstring)."""
    for category in (FutureWarning, DeprecationWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category, module=r"recbole\.")


def run_main(main, argv=None):
    """Call ``main(argv)``; report input errors as one line and exit 1 (module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in argv or os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
    argv = [arg for arg in argv if arg != DEBUG_FLAG]
    sys.argv = sys.argv[:1] + argv
    hide_recbole_deprecations()
    try:
        return main(argv)
    except KeyboardInterrupt:
        if debug:
            raise
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except Exception as error:  # classified by describe(); bugs are re-raised
        message = describe(error)
        if debug or message is None:
            raise
        print(f"error: {message} (run with {DEBUG_FLAG} for the traceback)", file=sys.stderr)
        raise SystemExit(1) from None


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
    "wechat": ("dataset_converters.wechat", "WeChat Big Data Challenge 2021: RAW_DIR OUT_DIR"),
    "takatak": ("dataset_converters.takatak", "a TakaTak-style event log: EVENTS_CSV OUT_DIR"),
    "authors": ("dataset_converters.authors", "the VA-GNN authors' released layout: RELEASE_DIR OUT_DIR"),
    "table": ("dataset_converters.table", "any user-item-creator tables: OUT_DIR --name --interactions --items"),
}


def argument_parser(description, epilog=None):
    """The ``ArgumentParser`` every command uses: each flag's help ends with its default; ``--debug`` is listed."""
    parser = argparse.ArgumentParser(
        description=description, epilog=epilog, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        DEBUG_FLAG, action="store_true", help=f"show the full traceback of an error (or set {DEBUG_VARIABLE}=1)"
    )
    return parser


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
        from dataset_converters.common import run_cli

        sys.argv = [f"recbole-vagnn convert {rest[0]}"]
        run_cli(importlib.import_module(CONVERTERS[rest[0]][0]).main, rest[1:])
        return
    if name not in COMMANDS:
        sys.exit(f"error: unknown command '{name}'\n\n{usage()}")
    sys.argv = [f"recbole-vagnn {name}"]
    run_main(importlib.import_module(COMMANDS[name][0]).main, rest)


if __name__ == "__main__":
    main()
