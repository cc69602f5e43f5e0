"""What RecBole's ``Config`` reads from the command line.

RecBole's ``Config`` takes every ``--key=value`` in ``sys.argv`` as a config value. A command of
this package has flags of its own (``--out``, ``--models``, a test runner's, a Ray worker's), which
are no config keys, so each place that builds a ``Config`` under such a command line does it inside
:func:`recbole_command_line`. Plain Python use keeps RecBole's behaviour: ``Config`` reads the
script's own ``sys.argv``. This module imports neither RecBole nor torch.
"""

import sys
from contextlib import contextmanager


@contextmanager
def recbole_command_line(flags=()):
    """Within the block, RecBole's ``Config`` reads only ``flags`` (``--key=value`` strings) from the command line."""
    saved = sys.argv
    sys.argv = saved[:1] + list(flags)
    try:
        yield
    finally:
        sys.argv = saved
