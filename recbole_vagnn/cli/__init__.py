"""The command lines: ``recbole-vagnn COMMAND`` (``main``), the shared parser, flag convention and
one-line errors (``base``), ``run`` (``run``, also ``run_recbole.py``), ``recommend``
(``recommend``) and the flags of the experiment commands (``experiment_args``). None of these
modules imports RecBole or torch before a command runs, so ``--help`` answers at once."""
