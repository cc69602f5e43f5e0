"""RecBole's ``quick_start`` API through the plugin, with RecBole's meanings: loading a saved run,
``run``, ``run_recboles``, and ``objective_function`` under RecBole's own ``HyperTuning``."""

from pathlib import Path

import numpy as np
import pytest
import torch

from recbole_vagnn.quick_start import load_data_and_model, objective_function, run, run_recbole, run_recboles
from recbole_vagnn.utils.errors import DistributedError

QUICK = {"epochs": 2, "show_progress": False, "min_train_steps": 0, "eval_step": 1}


def _only_checkpoint(folder):
    files = list(Path(folder).glob("*.pth"))
    assert len(files) == 1, files
    return files[0]


def test_load_data_and_model_gives_the_saved_run_with_its_trained_weights():
    from recbole.utils.case_study import full_sort_topk

    from recbole_vagnn.utils import get_trainer

    result = run_recbole("VAGNN", config_dict=QUICK)
    model_file = _only_checkpoint("saved")
    config, model, dataset, train_data, valid_data, test_data = load_data_and_model(str(model_file))
    saved = torch.load(model_file, weights_only=True)["state_dict"]
    assert config["model"] == "VAGNN" and config["dataset"] == "vagnn-demo"
    assert all(torch.equal(value, saved[name]) for name, value in model.state_dict().items())
    # evaluating the loaded model with RecBole's own loaders gives the run's test result
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    assert trainer.evaluate(test_data, load_best_model=False) == pytest.approx(result["test_result"])
    # RecBole's case study ranks with it, history masked
    users = np.array([1, 2, 3])
    scores, items = full_sort_topk(users, model, test_data, k=5, device=config["device"])
    assert items.shape == (3, 5) and torch.isfinite(scores).all()
    history = test_data.uid2history_item
    for row, user in enumerate(users):
        assert not set(items[row].tolist()) & set(history[user].tolist())


def test_run_recbole_reports_recboles_best_valid_score_and_the_rules_mean_apart():
    result = run_recbole("BPR", config_dict={**QUICK, "epochs": 6, "stopping_window": 3}, saved=False)
    kept = result["valid_curve"][[step for step, _ in result["valid_curve"]].index(result["best_valid_step"])][1]
    assert result["best_valid_score"] == kept == result["best_valid_result"][result["valid_metric"]]
    scores = [score for _, score in result["valid_curve"]]
    window_end = scores.index(kept) + 1
    assert result["best_valid_mean"] == pytest.approx(np.mean(scores[max(0, window_end - 3) : window_end]))
    assert result["model"] == "BPR"


def test_run_and_run_recboles_take_recboles_arguments():
    config = {**QUICK, "epochs": 1}
    assert run("BPR", "vagnn-demo", config_dict=config, saved=False)["model"] == "BPR"
    with pytest.raises(DistributedError, match="--nproc 0"):  # several processes: tests/test_distributed.py
        run("BPR", "vagnn-demo", config_dict=config, nproc=0)
    with pytest.raises(TypeError, match="dict of keyword arguments"):
        run_recboles(0, "BPR", "vagnn-demo", None, [])


def test_recboles_hyper_tuning_tunes_a_model_through_the_plugin(tmp_path):
    pytest.importorskip("hyperopt")
    from recbole.trainer import HyperTuning

    fixed = tmp_path / "fixed.yaml"
    fixed.write_text("model: BPR\ndataset: vagnn-demo\nepochs: 1\nshow_progress: False\n")
    tuner = HyperTuning(
        objective_function,
        params_dict={"choice": {"embedding_size": [8, 16]}},
        fixed_config_file_list=[str(fixed)],
        algo="exhaustive",
    )
    tuner.run()
    assert sorted(tuner.params2result) == ["embedding_size:16", "embedding_size:8"]
    assert tuner.best_params["embedding_size"] in (8, 16)
    for result in tuner.params2result.values():
        assert result["model"] == "BPR" and set(result) >= {"best_valid_score", "test_result", "valid_score_bigger"}
