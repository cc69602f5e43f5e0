"""Configuration, as ``recbole.config``: :class:`Config` (RecBole's, with this package's defaults
and dataset look-up, in ``configurator``) and the checks of every config value before a run
(``checks``). ``Config`` loads RecBole on first use, so that ``--help`` does not."""

import importlib

_HOMES = {"Config": "recbole_vagnn.config.configurator", "is_tripartite": "recbole_vagnn.config.configurator"}
__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
