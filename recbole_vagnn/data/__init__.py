"""Datasets and dataset creation for recbole-vagnn.

The names below load RecBole (and torch) on first use, so that the light helpers of this
package (``recbole_vagnn.data.atomic``, ``.signal``, ``.user_vlogger``) and every ``--help`` do not.
"""

import importlib

_HOMES = {
    "TripartiteDataError": "recbole_vagnn.data.dataset.tripartite_dataset",
    "TripartiteDataset": "recbole_vagnn.data.dataset.tripartite_dataset",
    "create_dataset": "recbole_vagnn.data.utils",
}
__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
