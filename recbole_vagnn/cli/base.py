"""Plumbing of every command line of the package: the argument parser, the flag convention, errors.

Every command (``recbole-vagnn COMMAND``, ``run_recbole.py``, ``python -m ...``) builds its parser
with :func:`argument_parser` and runs its ``main`` through :func:`run_main`. This module imports
neither RecBole nor torch, so that ``--help`` answers at once.

Flag convention: flags are spelled ``--snake_case``, as RecBole's own (``--config_files``,
``--data_path``, every ``--config_key=value``). The older ``--kebab-case`` spelling of a flag
(``--model-file``, ``--batch-size``, ...) still works and prints a deprecation note. A flag taking
files (``--config_files``) takes one or more values, each of which may hold several
space-separated files, so RecBole's ``--config_files="a.yaml b.yaml"`` works too.

Errors: an :class:`~recbole_vagnn.utils.errors.InputError`, any ``OSError`` (a missing or unreadable
file, a folder that cannot be written, a full disk), a missing optional package (RecBole's NCL
imports ``faiss`` only when it trains), bad YAML, a file that is not UTF-8, or an error RecBole
raises about its input (:data:`RECBOLE_INPUT_ERRORS`: a ``raise`` statement of RecBole's config
checks, such as ``--topk=abc`` or ``--eval_args="{bad"``, or of its W&B logger) ends in
one line ``error: ...`` on stderr and exit code 1. ``--debug`` on the command line, or the
environment variable ``RECBOLE_VAGNN_DEBUG=1``, shows the full traceback instead. Anything else
is a bug and keeps its traceback.

Warning policy, the same in every command: RecBole 1.2.1's own deprecation notices (pandas
chained assignment, ``torch.sparse.FloatTensor``, ``torch.cuda.amp``) and Ray's import of
``pkg_resources`` are not actionable for a user of these commands and are hidden; every other
warning is shown.
"""

import argparse
import errno
import linecache
import os
import re
import sys
import warnings

import yaml

from recbole_vagnn.config.command_line import recbole_command_line
from recbole_vagnn.utils.errors import InputError

DEBUG_FLAG = "--debug"
DEBUG_VARIABLE = "RECBOLE_VAGNN_DEBUG"
OS_ERROR_HINTS = {
    errno.ENOSPC: "no space left on the device: free space or write elsewhere, then run again",
    errno.EDQUOT: "disk quota exceeded: free space or write elsewhere, then run again",
    errno.EACCES: "permission denied: choose a file or folder you can read and write",
    errno.EPERM: "operation not permitted: choose a file or folder you can read and write",
    errno.EROFS: "read-only file system: write the output elsewhere",
}


_CONFIG_CHECKS = ("_load_cmd_line", "_get_model_and_dataset", "_set_default_parameters")
_CONFIG_CHECKS += ("_set_train_neg_sample_args", "_set_eval_neg_sample_args")
_DATASET_CHECKS = ("_get_field_from_config", "_load_inter_feat", "_load_user_or_item_feat", "_load_additional_feat")
_DATASET_CHECKS += ("_get_load_and_unload_col", "_load_feat", "_init_alias", "_preload_weight_matrix", "_normalize")
_DATASET_CHECKS += ("_discretization", "_filter_by_field_value", "_reset_index", "_set_label_by_threshold")
_DATASET_CHECKS += ("leave_one_out", "time_based_split", "build")
RECBOLE_INPUT_ERRORS = {
    **{("config/configurator.py", function): "config: {}" for function in _CONFIG_CHECKS},
    **{("data/dataset/dataset.py", function): "RecBole's dataset: {}" for function in _DATASET_CHECKS},
    ("data/dataset/sequential_dataset.py", "build"): "RecBole's dataset: {} (a sequential model splits by time)",
    ("sampler/sampler.py", "get_used_ids"): "RecBole's sampler: {}",
    ("utils/wandblogger.py", "setup"): "log_wandb True needs the package 'wandb', which is not installed: "
    "pip install wandb, or set --log_wandb=False",
}
"""RecBole 1.2.1's functions whose ``raise`` statements check the user's config and data: ``(file
under recbole/, function)`` -> the one-line message (``{}``: RecBole's own). Only an error raised
by a ``raise`` statement of one of them is classified so; any other error there is a bug."""


def _one_line(text):
    return " ".join(str(text).split())


def _recbole_input_error(error):
    """The message of :data:`RECBOLE_INPUT_ERRORS` for ``error``, if a ``raise`` line of those functions raised it."""
    traceback = error.__traceback__
    if traceback is None:
        return None
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    code = traceback.tb_frame.f_code
    path = code.co_filename.replace(os.sep, "/")
    for (file, function), message in RECBOLE_INPUT_ERRORS.items():
        if path.endswith(f"/recbole/{file}") and code.co_name == function:
            if linecache.getline(code.co_filename, traceback.tb_lineno).lstrip().startswith("raise "):
                text = error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else str(error)
                return _one_line(message.format(text))
    return None


def describe(error):
    """The one-line message for an input or environment error, or None if ``error`` is a bug."""
    if isinstance(error, InputError):
        return _one_line(error)
    recbole_message = _recbole_input_error(error)
    if recbole_message is not None:
        return recbole_message
    if isinstance(error, ModuleNotFoundError) and error.name:  # e.g. RecBole's NCL imports faiss when it trains
        return (
            f"the package '{error.name}' is not installed, and this run needs it: install it, or choose another model"
        )
    if isinstance(error, OSError):
        what = OS_ERROR_HINTS.get(error.errno) or error.strerror or str(error)
        where = error.filename if error.filename is not None else "writing or reading a file"
        return _one_line(f"{where}: {what}")
    if isinstance(error, yaml.YAMLError):
        return _one_line(f"bad YAML: {error}")
    if isinstance(error, UnicodeDecodeError):
        return _one_line(f"a file is not UTF-8 text: {error}")
    return None


def hide_unactionable_warnings():
    """Hide the deprecation notices of RecBole's and Ray's own code (module docstring)."""
    for category in (FutureWarning, DeprecationWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category, module=r"recbole\.")
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)


def run_main(main, argv=None):
    """Call ``main(argv)``; report input and environment errors as one line and exit 1 (module docstring)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in argv or os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
    argv = [arg for arg in argv if arg != DEBUG_FLAG]
    sys.argv = sys.argv[:1] + argv
    hide_unactionable_warnings()
    try:
        with recbole_command_line():  # this command's flags are no config keys
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


NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$|^-\d+(\.\d*)?[eE][-+]?\d+$")
"""A negative number: a value after a flag, not a flag."""


def refuse_repeated(flags):
    """``flags``: ``(key, flag as given, value)`` in order; a key given twice with different values is an :class:`InputError`.

    RecBole's ``Config`` refuses a ``--key=value`` repeated with another value (``_load_cmd_line``);
    the same value twice is accepted, as there.
    """
    seen = {}
    for key, flag, value in flags:
        if key in seen and seen[key][1] != value:
            raise InputError(
                f"{flag} is given twice, with different values ({seen[key][0]} {seen[key][1]!r}, "
                f"{flag} {value!r}): give it once"
            )
        seen.setdefault(key, (flag, value))


class ArgumentParser(argparse.ArgumentParser):
    """``argparse`` with the package's flag convention (module docstring): ``--kebab-case`` maps to ``--snake_case``.

    A flag given twice with different values (``--epochs=1 --epochs=2``) is refused
    (:func:`refuse_repeated`), where argparse would keep the last; flags meant to repeat
    (``action="append"``, ``"count"``) are not.
    """

    REPEATABLE = (argparse._AppendAction, argparse._CountAction, argparse._HelpAction, argparse._VersionAction)

    def _canonical(self, arg):
        if not arg.startswith("--") or "-" not in arg[2:].partition("=")[0]:
            return arg
        flag, equals, value = arg.partition("=")
        snake = "--" + flag[2:].replace("-", "_")
        if flag in self._option_string_actions or snake not in self._option_string_actions:
            return arg
        print(f"note: {flag} is deprecated, use {snake}", file=sys.stderr)
        return snake + equals + value

    def parse_known_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else args
        args = [self._canonical(arg) for arg in args]
        refuse_repeated(self._flags(args))
        return super().parse_known_args(args, namespace)

    def _flags(self, args):
        """``(key, flag, value)`` of every flag in ``args``: this parser's by destination, any other ``--key`` by name."""
        flags, index = [], 0
        while index < len(args) and args[index] != "--":
            arg = args[index]
            index += 1
            if not arg.startswith("-") or NUMBER.match(arg):
                continue
            flag, equals, value = arg.partition("=")
            action = self._option_string_actions.get(flag)
            if action is None and not flag.startswith("--"):
                continue
            if isinstance(action, self.REPEATABLE):
                continue
            if not equals and (action is None or action.nargs != 0):
                values = []
                while index < len(args) and (not args[index].startswith("-") or NUMBER.match(args[index])):
                    values.append(args[index])
                    index += 1
                    if action is None or action.nargs in (None, "?"):
                        break
                value = " ".join(values)
            flags.append((action.dest if action else flag, flag, value))
        return flags


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Each flag's help ends with its default; the description and epilog keep their line breaks."""


def argument_parser(description, epilog=None):
    """The parser every command uses (:class:`HelpFormatter`); ``--debug`` is listed."""
    parser = ArgumentParser(description=description, epilog=epilog, formatter_class=HelpFormatter)
    parser.add_argument(
        DEBUG_FLAG, action="store_true", help=f"show the full traceback of an error (or set {DEBUG_VARIABLE}=1)"
    )
    return parser


def add_config_files_flag(parser, help="YAML config files"):
    parser.add_argument(
        "--config_files",
        nargs="+",
        default=None,
        help=f"{help}: one or more, or one quoted space-separated list as in RecBole",
    )


def recbole_flags(args):
    """RecBole's ``--key=value`` flags from ``args`` left over by a parser, where ``--key value`` means the same.

    RecBole's ``Config`` reads only ``--key=value`` from ``sys.argv``; a lone ``--key`` or a word
    that belongs to no flag is refused here (:class:`InputError`) instead of being ignored with a warning,
    and so is a key given twice with different values, as RecBole refuses it (:func:`refuse_repeated`).
    """
    flags, index = [], 0
    while index < len(args):
        arg = args[index]
        if not arg.startswith("--") or len(arg) == 2:
            raise InputError(f"unexpected argument '{arg}': config keys are given as --key value or --key=value")
        if "=" in arg:
            flags.append(arg)
        elif index + 1 < len(args) and not args[index + 1].startswith("--"):
            index += 1
            flags.append(f"{arg}={args[index]}")
        else:
            raise InputError(f"{arg} needs a value: --key value or --key=value")
        index += 1
    refuse_repeated([(flag.partition("=")[0], flag.partition("=")[0], flag.partition("=")[2]) for flag in flags])
    return flags


def config_file_list(values):
    """The files of ``--config_files`` (:func:`add_config_files_flag`), or None."""
    files = [file for value in values or () for file in value.split()]
    return files or None
