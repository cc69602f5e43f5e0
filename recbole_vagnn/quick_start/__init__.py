"""Entry points, as ``recbole.quick_start``: :func:`run_recbole` trains and evaluates one model
with this package's look-ups (every RecBole model included); :func:`run`, :func:`run_recboles`
and :func:`objective_function` (for RecBole's ``HyperTuning``) take RecBole's arguments;
:func:`load_data_and_model` loads a saved run and :func:`build_data_and_model` builds a fresh,
untrained one (``quick_start``)."""

from recbole_vagnn.quick_start.quick_start import (
    build_data_and_model,
    load_data_and_model,
    objective_function,
    run,
    run_recbole,
    run_recboles,
)

__all__ = ["build_data_and_model", "load_data_and_model", "objective_function", "run", "run_recbole", "run_recboles"]
