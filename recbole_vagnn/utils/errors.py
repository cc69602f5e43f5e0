"""Errors about the user's input, or a run it started. Each message is one line naming the file, line or key and the fix.

The command lines of recbole-vagnn report them in one line, without a traceback.
"""


class InputError(Exception):
    """Input the package cannot use; the message names the file, line or key and the fix."""


class ConfigError(InputError, ValueError):
    """A config value of the wrong type or out of range, an unknown model or a missing dataset."""


class CheckpointError(InputError):
    """A model file that is missing, not this package's, or of another dataset."""


class TrialError(InputError):
    """A run started as a Ray trial failed, or could not be given the resources asked for; the message names it."""


class DistributedError(InputError):
    """A distributed run (``nproc``, ``world_size``) that cannot start, or whose process failed; the message names it."""
