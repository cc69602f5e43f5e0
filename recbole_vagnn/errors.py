"""Errors about the user's input, and the one-line reporting every command line of this package uses.

Every front door (``run_recbole.py``, ``python -m recbole_vagnn.experiments.benchmark`` / ``.sweep`` /
``.speed`` / ``.synthetic`` and the dataset converters) runs its ``main`` through
:func:`run_main`: an :class:`InputError`, a missing or unreadable file or bad YAML ends in one line
``error: ...`` on stderr and exit code 1. ``--debug`` on the command line, or the environment
variable ``RECBOLE_VAGNN_DEBUG=1``, shows the full traceback instead. Anything else is a bug and
keeps its traceback.

Warning policy, the same in every command: RecBole 1.2.1's own deprecation notices (pandas
chained assignment, ``torch.sparse.FloatTensor``, ``torch.cuda.amp``) are not actionable for a
user of these commands and are hidden; every other warning is shown.
"""

import os
import sys
import warnings

import yaml

DEBUG_FLAG = "--debug"
DEBUG_VARIABLE = "RECBOLE_VAGNN_DEBUG"


class InputError(Exception):
    """Input the package cannot use; the message names the file, line or key and the fix."""


class ConfigError(InputError, ValueError):
    """A config value of the wrong type or out of range, an unknown model or a missing dataset."""


class CheckpointError(InputError):
    """A model file that is missing, not this package's, or of another dataset."""


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
