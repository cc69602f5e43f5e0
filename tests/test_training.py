"""Training VA-GNN on the embedded data: reproducible, and better than untrained and popularity."""

import pytest

from recbole_vagnn.quick_start import build_data_and_model, run_recbole
from recbole_vagnn.utils.utils import get_trainer

QUIET = {"show_progress": False}


@pytest.mark.slow
def test_seeded_runs_are_reproducible():
    first = run_recbole(model="VAGNN", config_dict={"epochs": 2, **QUIET})
    second = run_recbole(model="VAGNN", config_dict={"epochs": 2, **QUIET})
    assert first["best_valid_result"] == second["best_valid_result"]
    assert first["test_result"] == second["test_result"]


@pytest.mark.slow
def test_training_beats_the_untrained_model_and_popularity():
    config, model, _, train_data, valid_data, _ = build_data_and_model("VAGNN", config_dict=QUIET)
    # the graph trained on is the walk-augmented one: more edges than the training interactions
    assert model.video_adj._nnz() // 2 > train_data._dataset.inter_matrix(form="csr").nnz
    untrained = get_trainer(config["MODEL_TYPE"], "VAGNN")(config, model).evaluate(valid_data, load_best_model=False)
    popularity = run_recbole(model="Pop", config_dict={"epochs": 1, **QUIET})["best_valid_result"]
    trained = run_recbole(model="VAGNN", config_dict={"epochs": 10, **QUIET})["best_valid_result"]
    assert trained["recall@10"] > untrained["recall@10"] + 0.03
    assert trained["recall@10"] > popularity["recall@10"] + 0.03
