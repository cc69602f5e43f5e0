"""Training, as ``recbole.trainer``: RecBole's trainers with this package's additions mixed in
(``trainer``), the convergence rule (early stopping and the training schedule, ``convergence``)
and the checkpoints that load without unpickling code (``checkpoint``). The trainer classes load
RecBole and torch on first use."""

import importlib

_HOMES = {name: "recbole_vagnn.trainer.trainer" for name in ("PluginTrainerMixin", "Trainer", "get_trainer")}
__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
