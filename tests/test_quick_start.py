"""End-to-end runs through our quick-start on the embedded data."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from recbole_vagnn.quick_start import build_data_and_model
from recbole_vagnn.utils.utils import get_model, get_trainer

REPO = Path(__file__).resolve().parents[1]
METRICS = {f"{m}@{k}" for m in ("recall", "ndcg") for k in (10, 20, 50)}


def history_and_targets(dataset, *splits):
    """(user x item history matrix of all but the last split, {user: item} of the last split)."""
    *seen, target = (split.dataset.inter_feat for split in splits)
    history = np.zeros((dataset.user_num, dataset.item_num), dtype=bool)
    for feat in seen:
        history[feat["user_id"].numpy(), feat["item_id"].numpy()] = True
    return history, dict(zip(target["user_id"].tolist(), target["item_id"].tolist()))


@pytest.mark.parametrize("model_name", ["LightGCN", "VAGNN"])
def test_test_metrics_equal_a_ranking_recomputed_from_the_models_scores(model_name):
    config, model, dataset, train_data, valid_data, test_data = build_data_and_model(
        model_name, config_dict={"epochs": 2, "show_progress": False}
    )
    trainer = get_trainer(config["MODEL_TYPE"], model_name)(config, model)
    trainer.fit(train_data, valid_data, saved=True)
    result = trainer.evaluate(test_data, load_best_model=True)  # the best checkpoint, reloaded
    assert set(result) == METRICS and len(trainer.epoch_seconds) == 2
    # Full ranking by hand: every item but padding and the user's training and validation items.
    history, targets = history_and_targets(dataset, train_data, valid_data, test_data)
    users = torch.tensor(sorted(targets))
    model.eval()
    with torch.no_grad():
        scores = model.full_sort_predict({"user_id": users}).view(len(users), -1).numpy()
    scores[:, 0] = -np.inf
    scores[history[users.numpy()]] = -np.inf
    target_scores = scores[np.arange(len(users)), [targets[u] for u in users.tolist()]]
    ranks = (scores > target_scores[:, None]).sum(axis=1)  # 0-based rank of the one test item
    for k in (10, 20, 50):
        assert result[f"recall@{k}"] == pytest.approx(np.mean(ranks < k), abs=1e-4)
        assert result[f"ndcg@{k}"] == pytest.approx(np.mean(np.where(ranks < k, 1 / np.log2(ranks + 2), 0)), abs=1e-4)


def test_lookup_prefers_this_package_and_falls_back_to_recbole():
    assert get_model("VAGNN").__module__.startswith("recbole_vagnn.")
    assert get_model("NGCF").__module__.startswith("recbole.")


def test_importing_the_package_leaves_torch_load_alone():
    assert torch.load.__module__ == "torch.serialization"
    trainer = get_trainer(get_model("LightGCN").type, "LightGCN")
    assert trainer.__name__ == "Trainer" and trainer is get_trainer(get_model("LightGCN").type, "LightGCN")


@pytest.mark.slow
def test_command_line_runs_a_recbole_model_with_recbole_flags(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "run_recbole.py"), "--model=BPR", "--epochs=1", "--show_progress=False"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "test result" in done.stdout + done.stderr


def test_the_log_names_the_losses_and_the_best_epoch_as_the_result_does(caplog):
    import logging

    from recbole_vagnn.quick_start import run_recbole

    with caplog.at_level(logging.INFO):
        result = run_recbole("VAGNN", config_dict={"epochs": 4, "show_progress": False, "use_cl": False})
    assert "video BPR: " in caplog.text and "vlogger BPR: " in caplog.text and "L2: " in caplog.text
    assert "CL: " not in caplog.text and "train_loss" not in caplog.text  # ablation (A): no CL part
    # RecBole saves the checkpoint right after evaluating an epoch that improved: the last save marks the best
    events = re.findall(r"epoch (\d+) evaluating|(Saving current)", caplog.text)
    saved_after = [int(events[i - 1][0]) for i, (_, save) in enumerate(events) if save]
    assert saved_after and saved_after[-1] == result["best_epoch"]


@pytest.mark.slow
def test_the_readme_quotes_what_the_quick_start_command_prints():
    """The README's Quick start names the test Recall@10 that `recbole-vagnn run --model=VAGNN` ends with."""
    from recbole_vagnn.quick_start import run_recbole

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quoted = re.findall(r"ends with test Recall@10 (0\.\d{4})", readme)
    assert quoted, "the README's Quick start must quote the test Recall@10 of its command"
    result = run_recbole("VAGNN", config_dict={"show_progress": False})
    assert {f"{result['test_result']['recall@10']:.4f}"} == set(quoted)
