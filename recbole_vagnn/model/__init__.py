"""Models of recbole-vagnn, looked up by name before RecBole's own.

The model classes load torch on first use, so that the light helpers of this package
(``recbole_vagnn.model.metapath``, ``.ablations``) and every ``--help`` do not.
"""

import importlib

__all__ = ["CreatorAffinity", "CreatorPop", "GTN", "SimGCL", "VAGNN"]


def __getattr__(name):
    if name in __all__:
        return getattr(importlib.import_module("recbole_vagnn.model.general_recommender"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
