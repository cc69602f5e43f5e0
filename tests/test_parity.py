"""Same command, same numbers: RecBole's habits through the plugin give plain RecBole 1.2.1's results.

Each case of :data:`CASES` runs one habit of a RecBole user twice with the same seed, in this
process: through plain RecBole (its ``Config``, ``create_dataset``, ``data_preparation``,
``get_model``, ``get_flops``, ``get_trainer``, ``init_seed``, ``fit`` and ``evaluate``, in the
order of ``recbole.quick_start.run_recbole``, which is not imported because it imports Ray) and
through :func:`recbole_vagnn.quick_start.run_recbole`, on data that is not tripartite, where the
plugin keeps RecBole's defaults, loaders and random streams (``properties/overall.yaml``). RecBole
is deterministic on the CPU here (``reproducibility: True``), so the metrics must be equal, not
close. The last tests pin what stays the plugin's own: its training defaults on tripartite data and
for its models, and the user's explicit values kept under them.
"""

import logging
import math
import warnings
from logging import getLogger
from pathlib import Path

import numpy as np
import pytest
import torch

from recbole_vagnn.config.configurator import Config
from recbole_vagnn.experiments.synthetic import generate
from recbole_vagnn.quick_start import run_recbole
from recbole_vagnn.utils.paths import recbole_dataset_example

QUIET = {"show_progress": False, "state": "ERROR", "metric_decimal_place": 10}  # all the digits: equal, not close
TOY = {"learning_rate": 0.01}  # so that two epochs on the toy data move the model away from its seeded start
FM = {
    "eval_args": {"split": {"RS": [0.8, 0.1, 0.1]}, "order": "RO", "mode": "labeled"},
    "threshold": {"rating": 4},
    "load_col": None,
    "metrics": ["AUC", "LogLoss"],
    "valid_metric": "AUC",
}
SEQUENTIAL = {"train_neg_sample_args": None, "MAX_ITEM_LIST_LENGTH": 10, "load_col": None}

# habit: (model, dataset, settings); "toy" is generated below, ml-100k is RecBole's bundled copy
CASES = {
    "BPR, RecBole's defaults": ("BPR", "toy", {"epochs": 2}),
    "LightGCN": ("LightGCN", "toy", {"epochs": 2}),
    "NeuMF (pointwise)": ("NeuMF", "toy", {"epochs": 2}),
    "FM (context-aware, AUC)": ("FM", "toy", {"epochs": 2, **FM}),
    "SASRec (sequential)": ("SASRec", "toy", {"epochs": 2, **SEQUENTIAL}),
    "ItemKNN (traditional)": ("ItemKNN", "toy", {"epochs": 1}),
    "uni100 evaluation": ("BPR", "toy", {"epochs": 2, "eval_args": {"mode": "uni100"}}),
    "pop100 evaluation": ("BPR", "toy", {"epochs": 2, "eval_args": {"mode": "pop100"}}),
    "partial eval_args: RS 70/15/15": ("BPR", "toy", {"epochs": 2, "eval_args": {"split": {"RS": [0.7, 0.15, 0.15]}}}),
    "leave-one-out by time": (
        "BPR",
        "toy",
        {"epochs": 2, "load_col": None, "eval_args": {"split": {"LS": "valid_and_test"}, "order": "TO"}},
    ),
    "3 negatives a row": (
        "BPR",
        "toy",
        {"epochs": 2, "train_neg_sample_args": {"distribution": "uniform", "sample_num": 3}},
    ),
    "popularity negatives": (
        "BPR",
        "toy",
        {"epochs": 2, "train_neg_sample_args": {"distribution": "popularity", "sample_num": 1}},
    ),
    "dynamic negatives": (
        "BPR",
        "toy",
        {
            "epochs": 2,
            "train_neg_sample_args": {"distribution": "uniform", "sample_num": 1, "dynamic": True, "candidate_num": 3},
        },
    ),
    "explicit stopping_step": ("BPR", "toy", {"epochs": 20, "stopping_step": 2, "learning_rate": 0.5}),
    "train_batch_size 64": ("BPR", "toy", {"epochs": 2, "train_batch_size": 64}),
    "shuffle False": ("BPR", "toy", {"epochs": 2, "shuffle": False}),
    "repeatable True": ("BPR", "toy", {"epochs": 2, "repeatable": True}),
    "eval_step 0 (no validation)": ("BPR", "toy", {"epochs": 2, "eval_step": 0}),
    "eval_step 2": ("BPR", "toy", {"epochs": 4, "eval_step": 2}),
    "seed 7": ("BPR", "toy", {"epochs": 2, "seed": 7}),
    "ml-100k, data_path at RecBole's copy": ("BPR", "ml-100k", {"epochs": 1, "data_path": "RECBOLE"}),
    "ml-100k, no data_path": ("BPR", "ml-100k", {"epochs": 1}),
}
SLOW = {"ml-100k, data_path at RecBole's copy", "ml-100k, no data_path", "SASRec (sequential)"}  # ~3-4 s each


def write_toy(root):
    """``root/toy``: RecBole's usual user, item, rating, timestamp, and no ``.uvl``: not tripartite."""
    inter, _, _ = generate(users=80, vloggers=15, videos_per_vlogger=8, interactions_per_user=14, seed=11)
    rating = np.random.default_rng(0).integers(1, 6, len(inter))
    lines = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"] + [
        f"{u}\t{i}\t{r}\t{t}" for u, i, r, t in zip(inter["user_id"], inter["item_id"], rating, inter["timestamp"])
    ]
    (root / "toy").mkdir()
    (root / "toy" / "toy.inter").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory):
    return write_toy(tmp_path_factory.mktemp("parity-data"))


def _settings(dataset, settings, toy_root):
    settings = {**QUIET, **(TOY if dataset == "toy" else {}), **settings}
    if dataset == "toy":
        settings["data_path"] = str(toy_root)
    elif settings.get("data_path") == "RECBOLE":
        settings["data_path"] = str(recbole_dataset_example())
    return settings


def recbole_run(model, dataset, settings):
    """Plain RecBole 1.2.1's ``run_recbole``, step by step (``recbole.quick_start`` imports Ray)."""
    from recbole.config import Config as RecBoleConfig
    from recbole.data import create_dataset, data_preparation
    from recbole.data.transform import construct_transform
    from recbole.utils import get_flops, get_model, get_trainer, init_seed

    config = RecBoleConfig(model=model, dataset=dataset, config_dict=dict(settings))
    init_seed(config["seed"], config["reproducibility"])
    data = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, data)
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    net = get_model(config["model"])(config, train_data._dataset).to(config["device"])
    get_flops(net, data, config["device"], getLogger(), construct_transform(config))
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, net)
    _, best_valid_result = trainer.fit(train_data, valid_data, saved=True, show_progress=False)
    test_result = trainer.evaluate(test_data, load_best_model=True, show_progress=False)
    kept = torch.load(trainer.saved_model_file)["epoch"]
    return {
        "test_result": dict(test_result),
        "best_valid_result": None if best_valid_result is None else dict(best_valid_result),
        "epochs": len(trainer.train_loss_dict),
        "best_epoch": kept,
        "train_batch_size": config["train_batch_size"],
    }


def plugin_run(model, dataset, settings):
    result = run_recbole(model, dataset, config_dict=dict(settings), saved=True)
    return {
        "test_result": dict(result["test_result"]),
        "best_valid_result": None if result["best_valid_result"] is None else dict(result["best_valid_result"]),
        "epochs": result["epochs"],
        "best_epoch": result["best_epoch"],
        "train_batch_size": result["train_batch_size"],
    }


@pytest.mark.parametrize(
    "habit", [pytest.param(name, marks=[pytest.mark.slow] if name in SLOW else []) for name in CASES]
)
def test_a_recbole_command_gives_recboles_numbers(habit, toy_root, monkeypatch):
    model, dataset, settings = CASES[habit]
    settings = _settings(dataset, settings, toy_root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with monkeypatch.context() as patch:  # RecBole's evaluate loads its own pickled checkpoint (torch >= 2.6)
            patch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
            expected = recbole_run(model, dataset, settings)
        got = plugin_run(model, dataset, settings)
    if settings.get("eval_step") == 0:  # no validation: RecBole keeps the last epoch, the plugin reports none
        assert got["best_valid_result"] is None and got["best_epoch"] is None
        expected.pop("best_epoch"), got.pop("best_epoch")
    assert got == expected


@pytest.mark.slow
def test_the_readmes_command_on_ml_100k_gives_recboles_result(monkeypatch):
    """``recbole-vagnn run --model BPR --dataset ml-100k --epochs 1``: RecBole's bundled copy, RecBole's numbers."""
    from recbole_vagnn import quick_start
    from recbole_vagnn.cli import run as run_command

    results = []
    monkeypatch.setattr(quick_start, "run_recbole", lambda **kwargs: results.append(run_recbole(**kwargs)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_command.main(["--model", "BPR", "--dataset", "ml-100k", "--epochs", "1", "--show_progress=False"])
        with monkeypatch.context() as patch:
            patch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
            expected = recbole_run("BPR", "ml-100k", {"epochs": 1, "show_progress": False})
    assert dict(results[0]["test_result"]) == expected["test_result"]
    assert expected["test_result"]["recall@10"] == 0.0067  # the number the report quotes for plain RecBole


# What stays the plugin's own: its training defaults on tripartite data and for its models, under the user's values.

PLUGIN_TRAINING = {
    "train_batch_size": 4096,
    "learning_rate": 0.001,
    "stopping_step": 10,
    "epochs": 500,
    "eval_batch_size": 4194304,
    "fast_loader": True,
    "min_epoch_steps": 20,
    "patience_steps": 1000,
    "min_train_steps": 2000,
    "stopping_ties_improve": False,
    "stopping_window": 5,
    "stopping_margin_se": 0.0,
    "max_train_steps": 0,
    "record_test_curve": False,
    "verbose": False,
}
RECBOLE_TRAINING = {"train_batch_size": 2048, "epochs": 300, "eval_batch_size": 4096, "fast_loader": False}


def config_of(model, dataset="vagnn-demo", **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Config(model=model, dataset=dataset, config_dict={**QUIET, **settings})


@pytest.mark.parametrize("model", ["VAGNN", "LightGCN", "BPR", "NeuMF"])
def test_tripartite_data_keeps_the_plugins_training_defaults_and_protocol(model):
    config = config_of(model)
    assert {key: config[key] for key in PLUGIN_TRAINING} == PLUGIN_TRAINING
    assert config["eval_args"]["split"] == {"LS": "valid_and_test"} and config["eval_args"]["order"] == "TO"
    if model == "LightGCN":  # the comparison's settings (properties/model/LightGCN.yaml), not RecBole's 1e-05
        assert config["reg_weight"] == 1.0e-04


def test_the_plugins_models_keep_its_defaults_on_any_data_and_recboles_models_keep_recboles(toy_root):
    simgcl = config_of("SimGCL", "toy", data_path=str(toy_root))
    assert {key: simgcl[key] for key in PLUGIN_TRAINING} == PLUGIN_TRAINING and simgcl["cl_weight"] == 0.5
    lightgcn = config_of("LightGCN", "toy", data_path=str(toy_root))
    assert {key: lightgcn[key] for key in RECBOLE_TRAINING} == RECBOLE_TRAINING
    assert (lightgcn["min_epoch_steps"], lightgcn["stopping_window"], lightgcn["reg_weight"]) == (0, 1, 1.0e-05)
    opted_in = config_of("LightGCN", "toy", data_path=str(toy_root), fast_loader=True, min_train_steps=100)
    assert (opted_in["fast_loader"], opted_in["min_train_steps"], opted_in["train_batch_size"]) == (True, 100, 2048)


def test_an_explicit_stopping_step_is_recboles_early_stopping_unless_the_plugins_keys_are_set_too():
    alone = config_of("VAGNN", stopping_step=3)
    assert alone["stopping_step"] == 3
    assert (alone["patience_steps"], alone["min_train_steps"], alone["stopping_window"]) == (0, 0, 1)
    assert alone["stopping_ties_improve"] is True and alone["stopping_margin_se"] == 0.0
    with_window = config_of("VAGNN", stopping_step=3, stopping_window=2)
    assert (with_window["stopping_window"], with_window["min_train_steps"], with_window["patience_steps"]) == (
        2,
        2000,
        1000,
    )  # the other stopping keys keep their defaults, and stopping_step its value (apply_training_schedule)


def test_a_partial_eval_args_merges_into_the_tripartite_protocol():
    config = config_of("BPR", eval_args={"split": {"RS": [0.8, 0.1, 0.1]}})
    assert config["eval_args"] == {
        "split": {"RS": [0.8, 0.1, 0.1]},
        "order": "TO",
        "group_by": "user",
        "mode": {"valid": "full", "test": "full"},
    }
    sampled = config_of("BPR", eval_args={"mode": "uni100"})["eval_args"]
    assert sampled["split"] == {"LS": "valid_and_test"} and sampled["mode"] == {"valid": "uni100", "test": "uni100"}


def test_ml_100k_is_recboles_copy_unless_data_path_holds_one(tmp_path):
    shipped = (recbole_dataset_example() / "ml-100k").resolve()
    assert Path(config_of("BPR", "ml-100k")["data_path"]).resolve() == shipped  # no dataset/ml-100k here
    assert Path(config_of("BPR", "ml-100k", data_path=str(tmp_path))["data_path"]).resolve() == shipped
    own = tmp_path / "ml-100k"
    own.mkdir()
    (own / "ml-100k.inter").write_text("user_id:token\titem_id:token\n1\t1\n1\t2\n2\t1\n2\t3\n")
    assert Path(config_of("BPR", "ml-100k", data_path=str(tmp_path))["data_path"]).resolve() == own.resolve()


def schedule(model="BPR", dataset="vagnn-demo", **settings):
    """The config and RecBole's training loader after the convergence rule, and the rule's log lines."""
    from recbole.data import data_preparation

    from recbole_vagnn.data import create_dataset
    from recbole_vagnn.trainer.convergence import apply_training_schedule

    config = config_of(model, dataset, **settings)
    train_data, _, _ = data_preparation(config, create_dataset(config))
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    getLogger().addHandler(handler)
    try:
        steps = apply_training_schedule(config, train_data)
    finally:
        getLogger().removeHandler(handler)
    return config, train_data, steps, [(r.levelname, r.getMessage()) for r in records if "convergence" in r.msg]


def test_the_rule_says_what_it_changed_in_one_warning_with_the_steps_trained():
    config, train_data, steps, lines = schedule(fast_loader=False)  # 6,195 training interactions
    assert (config["train_batch_size"], config["stopping_step"], steps) == (256, 40, 25)
    assert len(train_data) == 25 and [len(batch) for batch in train_data][:2] == [256, 256]  # trained as logged
    assert len(lines) == 1 and lines[0][0] == "WARNING"
    assert lines[0][1] == (
        "convergence rule: train_batch_size 4096 -> 256 (min_epoch_steps 20), stopping_step 10 -> 40 (patience_steps "
        "1000); 25 optimizer steps per epoch. Set train_batch_size and stopping_step to keep a value of yours, or turn "
        "this off with --min_epoch_steps=0 --patience_steps=0"
    )


def test_the_rule_counts_the_steps_of_recboles_loader_with_several_negatives():
    negatives = {"distribution": "uniform", "sample_num": 3}
    config, train_data, steps, lines = schedule(train_neg_sample_args=negatives)
    # RecBole's loader takes batch // 3 interactions a step: 1024 gives 19 steps, 512 gives 37
    assert (config["train_batch_size"], steps, len(train_data), train_data.step) == (512, 37, 37, 170)
    assert sum(1 for _ in train_data) == 37 and config["stopping_step"] == math.ceil(1000 / 37)
    assert "; 37 optimizer steps per epoch, 170 interactions a step with their negatives." in lines[0][1]


def test_the_rule_never_changes_what_the_user_set():
    config, train_data, steps, lines = schedule(fast_loader=False, train_batch_size=4096, stopping_step=4)
    assert (config["train_batch_size"], config["stopping_step"], steps, len(train_data)) == (4096, 4, 2, 2)
    assert lines == []
    config, _, steps, lines = schedule(eval_step=0)  # no validation: no patience to scale
    assert (config["train_batch_size"], config["stopping_step"], steps) == (256, 10, 25)
    assert lines[0][1].endswith(
        "(min_epoch_steps 20); 25 optimizer steps per epoch. Set train_batch_size to keep a "
        "value of yours, or turn this off with --min_epoch_steps=0"
    )


def test_shuffle_false_and_repeatable_true_step_the_fast_loader_aside():
    from recbole_vagnn.data.dataloader.device_loader import fast_path_refusal
    from recbole_vagnn.utils.utils import get_model

    assert fast_path_refusal(config_of("BPR"), get_model("BPR")) is None
    assert "shuffle: False" in fast_path_refusal(config_of("BPR", shuffle=False), get_model("BPR"))
    assert "repeatable: True" in fast_path_refusal(config_of("BPR", repeatable=True), get_model("BPR"))


def test_eval_step_0_trains_without_validation_on_tripartite_data():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_recbole("BPR", config_dict={**QUIET, "epochs": 1, "eval_step": 0}, saved=True)
    assert result["valid_curve"] == [] and result["best_epoch"] is None and result["epochs"] == 1
    assert set(result["test_result"]) == {f"{m}@{k}" for m in ("recall", "ndcg") for k in (10, 20, 50)}
