"""Utilities, as ``recbole.utils``: model and trainer look-up by name (``utils``: this package
first, RecBole second), the package's files and names (``paths``), its error classes (``errors``)
and the run-time fixes that let RecBole 1.2.1 run on current NumPy, SciPy and pandas (``compat``).
``get_model`` and ``get_trainer`` load RecBole on first use; the other modules stay light."""

import importlib

__all__ = ["get_model", "get_trainer"]


def __getattr__(name):
    if name in __all__:
        return getattr(importlib.import_module("recbole_vagnn.utils.utils"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
