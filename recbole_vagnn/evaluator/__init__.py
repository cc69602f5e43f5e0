"""Evaluation, as ``recbole.evaluator``: :class:`PerUserEvaluator` (``evaluator``) is RecBole's
evaluator that also keeps each user's value of every per-user metric, for significance tests.
It loads RecBole on first use."""

import importlib

__all__ = ["PerUserEvaluator"]


def __getattr__(name):
    if name in __all__:
        return getattr(importlib.import_module("recbole_vagnn.evaluator.evaluator"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
