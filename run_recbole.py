"""Train and evaluate a model from a checkout: ``python run_recbole.py --model=VAGNN [--dataset=NAME]``.

The same as ``recbole-vagnn run`` (see :mod:`recbole_vagnn.cli.run`): any RecBole model runs
too, and further ``--key value`` or ``--key=value`` flags are RecBole's usual command-line config. Bad input ends in
one line ``error: ...`` and exit code 1; ``--debug`` shows the traceback.
"""

from recbole_vagnn.cli.base import run_main
from recbole_vagnn.cli.run import main

if __name__ == "__main__":
    run_main(main)
