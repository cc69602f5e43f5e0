"""RecBole 1.2.1 on current NumPy, SciPy and pandas: each fix of recbole_vagnn.utils.compat, on any stack."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recbole_vagnn.utils import compat
from tests.conftest import make_config, write_raw

REPO = Path(__file__).resolve().parent.parent


def test_recboles_config_runs_and_its_numpy_aliases_point_to_numpy_2_names(tiny_root):
    make_config("LightGCN", "tiny", data_path=tiny_root)  # RecBole's compatibility_settings runs here
    assert np.float is np.float64 and np.complex is np.complex128 and np.unicode is np.str_


def test_the_numpy_fix_changes_nothing_where_numpy_has_float_(monkeypatch):
    from recbole.config import configurator

    current = configurator.Config.compatibility_settings
    monkeypatch.setattr(np, "float_", np.float64, raising=False)
    assert compat.numpy2_aliases() is False
    assert configurator.Config.compatibility_settings is current
    monkeypatch.delattr(np, "float_")
    monkeypatch.setattr(configurator.Config, "compatibility_settings", current)  # restored afterwards
    assert compat.numpy2_aliases() is True
    assert configurator.Config.compatibility_settings is not current


def test_recboles_lightgcn_builds_the_normalised_adjacency_on_any_scipy(tiny_root):
    from recbole_vagnn.data import create_dataset
    from recbole_vagnn.utils.utils import get_model

    config = make_config("LightGCN", "tiny", data_path=tiny_root)
    train = create_dataset(config).build()[0]
    model = get_model("LightGCN")(config, train)  # calls dok_matrix._update
    X = train.inter_matrix(form="csr").astype(np.float64)
    A = sp.bmat([[None, X], [X.T, None]]).toarray()
    degree = A.sum(axis=1) + 1e-7  # RecBole's epsilon
    expected = A / np.sqrt(degree)[:, None] / np.sqrt(degree)[None, :]
    assert np.allclose(model.norm_adj_matrix.to_dense().numpy(), expected, atol=1e-6)


def test_the_scipy_fix_changes_nothing_where_dok_update_exists(monkeypatch):
    sentinel = object()
    monkeypatch.setattr(sp.dok_matrix, "_update", sentinel, raising=False)
    assert compat.scipy_dok_update() is False and sp.dok_matrix._update is sentinel


def test_missing_values_are_filled_on_any_pandas(tmp_path):
    """pandas 3's copy-on-write turned RecBole's fill into a no-op: NaN vlogger ids became INT64_MIN."""
    from recbole_vagnn.data import create_dataset

    inter = [(u, v, t, w) for u, v, t, w in [("u1", "v1", 1, 2.0), ("u1", "v2", 2, ""), ("u2", "v1", 1, 4.0)]]
    inter += [("u2", "v3", 2, 3.0), ("u3", "v2", 1, 1.0), ("u3", "v3", 2, 5.0)]
    write_raw(
        tmp_path,
        "gaps",
        inter=inter,
        item=[("v1", "pA"), ("v2", "pA"), ("v3", "pB")],
        uvl=[("u1", "pA")],
        inter_header="user_id:token\titem_id:token\ttimestamp:float\twatch:float",
    )
    load_col = {"inter": ["user_id", "item_id", "timestamp", "watch"], "item": ["item_id", "vlogger_id"]}
    config = make_config("LightGCN", "gaps", data_path=tmp_path, load_col=load_col)
    dataset = create_dataset(config)
    assert dataset.item2vlogger[0] == 0 and (dataset.item2vlogger >= 0).all()  # the padding video
    watch = np.asarray(dataset.inter_feat["watch"], dtype=float)
    assert not np.isnan(watch).any() and np.isclose(watch, 3.0).sum() == 2  # the gap took the mean 3.0


def test_the_pandas_fix_is_applied_exactly_under_copy_on_write():
    major = int(pd.__version__.split(".")[0])
    expected = major >= 3 or (major == 2 and pd.options.mode.copy_on_write is True)
    assert compat.pandas3_fill_nan() is expected


@pytest.mark.slow
def test_plain_training_never_imports_ray():
    script = """
import sys
sys.modules["ray"] = None  # any import of Ray fails
from recbole_vagnn.quick_start import run_recbole
for model in ("VAGNN", "LightGCN"):
    result = run_recbole(model=model, config_dict={"epochs": 1, "show_progress": False, "state": "WARNING"})
    assert 0 <= result["test_result"]["recall@10"] <= 1
print("trained without Ray")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "trained without Ray" in done.stdout


def test_no_other_module_patches_recbole():
    assigns = re.compile(r"^\s*(recbole\w*|configurator|sp\.dok_matrix|\w+\.Config|\w+\.Dataset)\.[\w.]+\s*=[^=]", re.M)
    for path in (REPO / "recbole_vagnn").rglob("*.py"):
        if path.name != "compat.py":
            assert not assigns.search(path.read_text(encoding="utf-8")), path


def test_each_fix_names_recbole_1_2_1_text_that_it_replaces():
    """The one table of fixes: each with RecBole's edits (the upstream patch) and its run-time patch."""
    import recbole

    root = Path(recbole.__file__).parent.parent
    assert compat.FIXES and len({fix.__name__ for fix in compat.FIXES}) == len(compat.FIXES)
    for fix in compat.FIXES:
        assert fix.edits and callable(fix.patch) and (fix.needed is None or callable(fix.needed))
        for relative, pairs in fix.edits.items():
            source = (root / relative).read_text(encoding="utf-8")
            assert all(old in source and old != new for old, new in pairs), (fix.__name__, relative)
    assert compat.quick_start_without_ray() is False  # RecBole's edit only
    assert set(compat.apply()) <= {fix.__name__ for fix in compat.FIXES}
