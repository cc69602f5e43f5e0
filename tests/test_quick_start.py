"""End-to-end runs through our quick-start on the embedded data."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from recbole_vagnn.quick_start import run_recbole
from recbole_vagnn.utils import get_model, get_trainer

REPO = Path(__file__).resolve().parents[1]
METRICS = {f"{m}@{k}" for m in ("recall", "ndcg") for k in (10, 20, 50)}


@pytest.mark.parametrize("model", ["LightGCN", "VAGNN"])
def test_model_trains_and_reloads_its_best_checkpoint(model):
    result = run_recbole(model=model, config_dict={"epochs": 1, "show_progress": False})
    assert set(result["test_result"]) == METRICS
    assert result["epochs"] == 1 and result["seconds_per_epoch"] > 0
    assert all(0.0 <= value <= 1.0 for value in result["test_result"].values())


def test_lookup_prefers_this_package_and_falls_back_to_recbole():
    assert get_model("VAGNN").__module__.startswith("recbole_vagnn.")
    assert get_model("NGCF").__module__.startswith("recbole.")


def test_importing_the_package_leaves_torch_load_alone():
    assert torch.load.__module__ == "torch.serialization"
    trainer = get_trainer(get_model("LightGCN").type, "LightGCN")
    assert trainer.__name__ == "Trainer" and trainer is get_trainer(get_model("LightGCN").type, "LightGCN")


def test_command_line_runs_a_recbole_model_with_recbole_flags(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "run_recbole.py"), "--model=BPR", "--epochs=1", "--show_progress=False"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "test result" in done.stdout + done.stderr
