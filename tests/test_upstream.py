"""The upstream copy runs inside a copy of the installed RecBole, without this package."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import recbole

from recbole_vagnn.upstream import INIT_LINES, PATCH_NAME, main


def test_the_upstream_copy_trains_through_recboles_own_run_recbole(tmp_path, capsys):
    out = tmp_path / "out"
    main([str(out)])
    assert "see" in capsys.readouterr().out and (out / "UPSTREAM.md").is_file()
    for path in out.rglob("*.py"):
        assert "recbole_vagnn" not in path.read_text(), path
    site = tmp_path / "site"
    shutil_copy(Path(recbole.__file__).parent, site / "recbole")
    shutil_copy(out / "recbole", site / "recbole")
    # RecBole's own fixes for NumPy 2, SciPy >= 1.13 and pandas 3, as a patch a maintainer applies
    subprocess.run(["git", "apply", "-p1", str(out / PATCH_NAME)], cwd=site, check=True, capture_output=True)
    assert "np.float = np.float64" in (site / "recbole" / "config" / "configurator.py").read_text()
    assert "from ray import tune\n" not in (site / "recbole" / "quick_start" / "quick_start.py").read_text()[:2000]
    for file, line in INIT_LINES.items():
        with open(site / file, "a") as handle:
            handle.write(f"\n{line}\n")
    blocked = site / "recbole_vagnn"  # any import of this package from the copy fails loudly
    blocked.mkdir()
    (blocked / "__init__.py").write_text("raise ImportError('the upstream copy imported recbole_vagnn')\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import recbole; print(recbole.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert where.stdout.strip() == str(site / "recbole" / "__init__.py")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(out / "tests" / "model" / "test_vagnn.py"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 passed" in done.stdout


def shutil_copy(source, target):
    import shutil

    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))


@pytest.mark.parametrize("model_name", ["VAGNN", "GTN"])
def test_models_with_sparse_csr_graphs_survive_recboles_flop_count(model_name):
    import copy
    from logging import getLogger

    import torch
    from recbole.data.transform import construct_transform
    from recbole.utils import get_flops

    from recbole_vagnn.quick_start import load_data_and_model

    config, model, dataset, train_data, _, _ = load_data_and_model(model_name, config_dict={"show_progress": False})
    twin = copy.deepcopy(model)  # run_recbole's get_flops deep-copies the model first
    assert twin.state_dict().keys() == model.state_dict().keys()
    graphs = [k for k, v in vars(model).items() if isinstance(v, torch.Tensor) and v.layout == torch.sparse_csr]
    assert graphs and all(getattr(twin, k) is not getattr(model, k) for k in graphs)
    assert all(torch.equal(getattr(twin, k).to_dense(), getattr(model, k).to_dense()) for k in graphs)
    # it raised NotImplementedError ("Cannot access storage of SparseCsrTensorImpl") before the mixin
    assert get_flops(model, dataset, config["device"], getLogger(), construct_transform(config)) >= 0
