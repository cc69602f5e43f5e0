"""RecBole 1.2.1 on current NumPy, SciPy, pandas and Ray: the one place where this package patches RecBole.

RecBole 1.2.1 (February 2025) is the latest release; its breakages on current releases are
reported in RecBole issues #2215 (NumPy 2), #2162 (Colab), #1820 and #2078 (Ray), and fixed in the
unreleased PR #2187. :data:`FIXES` lists them once, one :class:`Fix` each: the run-time patch (the
decorated function), whether the installed stack needs it, and the edits of RecBole 1.2.1's files
that fix the same in RecBole (RecBole's exact text and its replacement). Each fix checks whether
the stack needs it and does nothing otherwise, so on the pinned Python 3.11 stack (NumPy 1.26,
SciPy 1.12, Ray 2.6.3) only the Collector fix, a RecBole 1.2.1 bug on every stack, applies.
:func:`apply` runs every fix; :mod:`recbole_vagnn.config.configurator` calls it before RecBole's
``Config`` runs, which comes before any other RecBole code of a run. ``recbole-vagnn upstream``
writes the edits of the same list as a patch for RecBole itself (``recbole-1.2.1-compat.patch``),
after which this module can go.

Ray needs no run-time fix (:func:`quick_start_without_ray`): RecBole's ``recbole.quick_start``
imports ``ray.tune`` on import (RecBole #1820, #2078), and Ray 2.6.3, RecBole's pin, uses
``np.bool8``, gone in NumPy 2. This package never imports ``recbole.quick_start`` (plain training
runs with Ray absent, tested), the pinned stack has NumPy 1, and Python 3.12+ gets a current Ray
through ``uv-overrides.txt``; the upstream patch moves that import into the one function that
uses it.

Known and left alone: RecBole's ``Dataset._load_feat`` also fills empty cells of sequence fields
(``token_seq``, ``float_seq``) with a chained in-place call (``dataset.py`` line 501), a no-op under
pandas 3, so such a field with an empty cell fails there with an ``AttributeError``; this
package's datasets have no sequence field, so :func:`pandas3_fill_nan` does not patch it at run
time, and its edits (the upstream patch) fix that line too.
"""

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

FIXES = []  # the table: one Fix per breakage, in the order apply() runs them


@dataclass(frozen=True)
class Fix:
    """One breakage of RecBole 1.2.1, and its fix at run time and in RecBole.

    ``edits``: RecBole file (``recbole/...``) -> ``((RecBole 1.2.1's exact text, its replacement), ...)``,
    each text replaced wherever it occurs (the upstream patch). ``needed()``: whether the installed
    stack needs ``patch()``, this package's run-time patch; None: RecBole's edits only. Calling the
    fix patches where needed and returns whether it was.
    """

    patch: Callable[[], None]
    needed: Callable[[], bool] | None
    edits: Mapping[str, tuple[tuple[str, str], ...]]

    @property
    def __name__(self):
        return self.patch.__name__

    def __call__(self):
        if self.needed is None or not self.needed():
            return False
        self.patch()
        return True


def recbole_fix(edits, needed=None):
    """Add the decorated run-time patch to :data:`FIXES` with ``needed`` and RecBole's ``edits``; return the Fix."""

    def register(patch):
        fix = Fix(patch, needed, {path: tuple(pairs) for path, pairs in edits.items()})
        FIXES.append(fix)
        return fix

    return register


@recbole_fix(
    {
        "recbole/config/configurator.py": [
            ("np.float = np.float_", "np.float = np.float64"),
            ("np.complex = np.complex_", "np.complex = np.complex128"),
            ("np.unicode = np.unicode_", "np.unicode = np.str_"),
        ]
    },
    needed=lambda: not hasattr(np, "float_"),
)
def numpy2_aliases():
    """RecBole #2215: ``Config.compatibility_settings`` assigns ``np.float = np.float_`` (and ``np.complex_``,
    ``np.unicode_``), which NumPy 2 removed, so every ``Config`` fails; RecBole's metrics then use
    ``np.float``. Same aliases, to the NumPy 2 names."""
    from recbole.config import configurator

    def compatibility_settings(self):
        np.bool = np.bool_
        np.int = np.int_
        np.float = np.float64
        np.complex = np.complex128
        np.object = np.object_
        np.str = np.str_
        np.long = np.int_
        np.unicode = np.str_

    configurator.Config.compatibility_settings = compatibility_settings


def _dok_has_no_update():
    import scipy.sparse as sp

    return not hasattr(sp.dok_matrix, "_update")


@recbole_fix(
    {
        f"recbole/model/{model}.py": [
            (
                "A._update(data_dict)",
                'A._dict.update(data_dict) if hasattr(A, "_dict") else A._update(data_dict)  # SciPy 1.13',
            )
        ]
        for model in (
            "general_recommender/lightgcn",
            "general_recommender/ngcf",
            "general_recommender/ncl",
            "general_recommender/gcmc",
            "general_recommender/spectralcf",
            "knowledge_aware_recommender/kgin",
            "knowledge_aware_recommender/mcclk",
        )
    },
    needed=_dok_has_no_update,
)
def scipy_dok_update():
    """RecBole's LightGCN, NGCF, NCL, GCMC, SpectralCF, KGIN and MCCLK fill their adjacency with
    ``dok_matrix._update(dict)``, removed in SciPy 1.13 (``recbole/model/general_recommender/lightgcn.py``
    line 111, ...). The same bulk dictionary update, on the dictionary SciPy now keeps in ``_dict``."""
    import scipy.sparse as sp

    def _update(self, data):
        self._dict.update(data)

    sp.dok_matrix._update = _update


def _copy_on_write():
    import pandas as pd

    major = int(pd.__version__.split(".")[0])
    return not (major < 2 or (major == 2 and pd.options.mode.copy_on_write is not True))


@recbole_fix(
    {
        "recbole/data/dataset/dataset.py": [
            ('df[field].fillna(value="", inplace=True)', 'df[field] = df[field].fillna(value="")'),  # _load_feat
            ("feat[field].fillna(value=0, inplace=True)", "feat[field] = feat[field].fillna(value=0)"),
            (
                "feat[field].fillna(value=feat[field].mean(), inplace=True)",
                "feat[field] = feat[field].fillna(value=feat[field].mean())",
            ),
        ]
    },
    needed=_copy_on_write,
)
def pandas3_fill_nan():
    """RecBole's ``Dataset._fill_nan`` fills missing values with chained in-place calls,
    ``feat[field].fillna(..., inplace=True)`` (``recbole/data/dataset/dataset.py`` lines 648-650).
    Under pandas 3's copy-on-write (pandas 2 with ``mode.copy_on_write`` on) they fill a copy and
    leave the frame as it was: the padding row 0 of ``.item`` keeps a NaN vlogger id, which
    ``astype(int64)`` turns into INT64_MIN (the silent id seen with pandas 3.0.6), and float fields
    are not imputed. The same filling, assigned back, then RecBole's own for the sequence fields."""
    import pandas as pd
    from recbole.data.dataset import dataset as recbole_dataset

    recbole_fill_nan = recbole_dataset.Dataset._fill_nan
    if getattr(recbole_fill_nan, "fixed_for_copy_on_write", False):
        return
    token, float_ = recbole_dataset.FeatureType.TOKEN, recbole_dataset.FeatureType.FLOAT

    def _fill_nan(self):
        for feat_name in self.feat_name_list:
            feat = getattr(self, feat_name)
            for field in feat:
                if self.field2type[field] == token:
                    feat[field] = feat[field].fillna(value=0)
                elif self.field2type[field] == float_:
                    feat[field] = feat[field].fillna(value=feat[field].mean())
        with warnings.catch_warnings():  # its own chained calls on tokens and floats now change nothing
            warnings.simplefilter("ignore", getattr(pd.errors, "ChainedAssignmentError", Warning))
            recbole_fill_nan(self)  # the sequence fields

    _fill_nan.fixed_for_copy_on_write = True
    recbole_dataset.Dataset._fill_nan = _fill_nan


def _agg_len_is_the_series_length():
    import pandas as pd

    with warnings.catch_warnings():  # pandas 2 warns that it applies len per row, as RecBole needs
        warnings.simplefilter("ignore", FutureWarning)
        return not isinstance(pd.Series([[1, 2], [3]]).agg(len), pd.Series)


@recbole_fix(
    {
        "recbole/data/dataset/dataset.py": [("feat[field].agg(len)", "feat[field].map(len)")],
        "recbole/data/dataset/kg_dataset.py": [("feat[field].agg(len)", "feat[field].map(len)")],
    },
    needed=_agg_len_is_the_series_length,
)
def pandas3_sequence_lengths():
    """RecBole splits its sequence fields (``token_seq``, ``float_seq``) back into rows at
    ``np.cumsum(feat[field].agg(len))`` (``Dataset._remap``, ``_normalize``, ``_discretization``,
    ``KnowledgeBasedDataset._reset_ent_remapID``). pandas 3 made ``Series.agg(len)`` the length of
    the whole series (pandas 2 warned, then applied ``len`` to each row), so any dataset with a
    sequence field, such as RecBole's own ``ml-100k`` movie genres, fails with "Length of values
    (1) does not match length of index". The same four methods, with ``Series.agg(len)`` taken per
    row while they run."""
    import pandas as pd
    from recbole.data.dataset import dataset as recbole_dataset
    from recbole.data.dataset import kg_dataset

    methods = [(recbole_dataset.Dataset, name) for name in ("_remap", "_normalize", "_discretization")]
    methods.append((kg_dataset.KnowledgeBasedDataset, "_reset_ent_remapID"))
    for owner, name in methods:
        original = getattr(owner, name)
        if getattr(original, "fixed_for_pandas3", False):
            continue

        def per_row_lengths(*args, _original=original, **kwargs):
            aggregate = pd.Series.agg

            def agg(series, func=None, *rest, **options):
                return series.map(len) if func is len else aggregate(series, func, *rest, **options)

            pd.Series.agg = agg
            try:
                return _original(*args, **kwargs)
            finally:
                pd.Series.agg = aggregate

        per_row_lengths.fixed_for_pandas3 = True
        setattr(owner, name, per_row_lengths)


def _collector_moves_plain_values():
    from recbole.evaluator import collector

    probe = collector.Collector.__new__(collector.Collector)
    probe.data_struct = collector.DataStruct()
    probe.data_struct.set("data.num_items", 1)
    try:
        collector.Collector.get_data_struct(probe)
        return False
    except AttributeError:
        return True


@recbole_fix(
    {
        "recbole/evaluator/collector.py": [
            (
                "            self.data_struct._data_dict[key] = self.data_struct._data_dict[key].cpu()",
                "            if isinstance(self.data_struct._data_dict[key], torch.Tensor):\n"
                "                self.data_struct._data_dict[key] = self.data_struct._data_dict[key].cpu()",
            ),
        ]
    },
    needed=_collector_moves_plain_values,
)
def collector_plain_values():
    """RecBole 1.2.1's ``Collector.get_data_struct`` moves every collected value to the CPU with
    ``.cpu()`` (``recbole/evaluator/collector.py`` line 227), including the plain values that
    ``data_collect`` stores: ``data.num_items`` (an int) and ``data.count_items`` (a Counter). So
    ItemCoverage, GiniIndex, AveragePopularity and TailPercentage fail with ``AttributeError: 'int'
    object has no attribute 'cpu'`` on every stack. The same move, for tensors only."""
    import torch
    from recbole.evaluator import collector

    recbole_get_data_struct = collector.Collector.get_data_struct

    def get_data_struct(self):
        plain = {k: v for k, v in self.data_struct._data_dict.items() if not isinstance(v, torch.Tensor)}
        for key in plain:
            del self.data_struct[key]
        try:
            returned = recbole_get_data_struct(self)
        finally:
            self.data_struct._data_dict.update(plain)
        returned._data_dict.update(plain)
        return returned

    collector.Collector.get_data_struct = get_data_struct


@recbole_fix(
    {
        "recbole/quick_start/quick_start.py": [
            ("from ray import tune\n\n", ""),
            ("    tune.report(**test_result)", "    from ray import tune\n\n    tune.report(**test_result)"),
        ]
    }
)
def quick_start_without_ray():
    """RecBole #1820, #2078: ``recbole.quick_start`` imports ``ray.tune`` on import, although only
    ``objective_function`` uses it, and Ray 2.6.3 fails under NumPy 2. RecBole's edit moves the
    import into that function. Nothing at run time: this package never imports ``recbole.quick_start``."""


def apply():
    """Run every fix that the installed stack needs; return the names of those that were."""
    return [fix.__name__ for fix in FIXES if fix()]
