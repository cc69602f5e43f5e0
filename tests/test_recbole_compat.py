"""What plain RecBole runs, the plugin runs: every metric, every general model, every evaluation setting.

On small generated data: a plain dataset (user, item, rating, time) and a tripartite one. The
metric walk compares each metric of RecBole's registry, computed by this package's trainer and
evaluator, with the same trained model evaluated by RecBole's own ``Trainer`` and ``Evaluator``
on RecBole's own loaders (``compat.py`` applied, as every run of the package does). Cases where
plain RecBole 1.2.1 itself fails on this stack are asserted as such (manual, "RecBole
compatibility").
"""

import importlib.util
import logging
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from recbole.evaluator import metric_types
from recbole.trainer import Trainer as RecBoleTrainer
from recbole.utils import EvaluatorType

from recbole_vagnn import quick_start
from recbole_vagnn.cli import run as run_command
from recbole_vagnn.cli.base import describe
from recbole_vagnn.data.atomic import write_tripartite
from recbole_vagnn.evaluator.evaluator import PER_USER_METRICS
from recbole_vagnn.experiments.synthetic import generate
from recbole_vagnn.quick_start import build_data_and_model, run_recbole
from recbole_vagnn.utils.errors import ConfigError
from recbole_vagnn.utils.paths import recbole_model_files
from recbole_vagnn.utils.utils import get_trainer
from tests.conftest import fails

GENERAL_MODELS = sorted(name for name, path in recbole_model_files().items() if ".general_recommender." in path)
GENERAL_MODELS += ["VAGNN", "SimGCL", "GTN"]  # this package's
MISSING_PACKAGE = {  # RecBole models whose optional package this stack lacks: plain RecBole fails on them too
    model: package for model, package in {"NCL": "faiss"}.items() if importlib.util.find_spec(package) is None
}  # (NCL imports faiss when it trains, so the run fails there, as RecBole's does; the command says so in one line)
QUIET = {"epochs": 1, "state": "ERROR", "show_progress": False, "pretrain_epochs": 1}  # RaCT pretrains 150 epochs
RANDOM_SCORES = {"Random", "ADMMSLIM"}  # Random's scores are random; ADMMSLIM adds random noise to break ties
MODEL_CONFIG = {"DGCF": {"train_batch_size": 256}}
"""RecBole's DGCF samples max(users, items) / (batches per epoch) users a batch: with RecBole's batch of 2048,
one batch an epoch here, that is more users (93) than there are (60), and plain RecBole fails too."""
RANKING_METRICS = sorted(name for name, kind in metric_types.items() if kind == EvaluatorType.RANKING)
VALUE_METRICS = sorted(name for name, kind in metric_types.items() if kind == EvaluatorType.VALUE)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    """``plain`` (RecBole's usual user, item, rating, time; no .item, no .uvl) and ``tri`` (tripartite)."""
    root = tmp_path_factory.mktemp("compat-data")
    inter, item, uvl = generate(users=60, vloggers=12, videos_per_vlogger=8, interactions_per_user=12, seed=7)
    write_tripartite(root / "tri", "tri", inter, item, uvl)
    rating = np.random.default_rng(0).integers(1, 6, len(inter))
    lines = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"] + [
        f"{u}\t{i}\t{r}\t{t}" for u, i, r, t in zip(inter["user_id"], inter["item_id"], rating, inter["timestamp"])
    ]
    (root / "plain").mkdir()
    (root / "plain" / "plain.inter").write_text("\n".join(lines) + "\n")
    genres = ["item_id:token\tgenre:token_seq"] + [f"{i}\tg{i % 3} g{i % 5}" for i in sorted(set(inter["item_id"]))]
    (root / "plain" / "plain.item").write_text("\n".join(genres) + "\n")  # a sequence field, as ml-100k's genres
    return root


def run(data_root, model, dataset="plain", **config):
    """``run_recbole`` as RecBole's default runs it: ``saved=True``, the test evaluated from the kept checkpoint."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_recbole(model=model, dataset=dataset, config_dict={"data_path": str(data_root), **QUIET, **config})


def assert_per_user_means_are_recboles(result):
    """Each per-user metric averages to RecBole's value (rounded to its 4 decimals)."""
    per_user = result["test_per_user"]
    assert per_user, "no per-user values"
    for key, values in per_user.items():
        if key != "gauc":
            assert np.mean(values) == pytest.approx(result["test_result"][key], abs=6e-5), key
        assert len(values) == len(result["test_users"])


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["plain", "tri"])
@pytest.mark.parametrize("model", GENERAL_MODELS)
def test_every_recbole_general_model_trains_and_evaluates_through_run(data_root, model, dataset):
    if model in MISSING_PACKAGE:
        with pytest.raises(ModuleNotFoundError) as error:
            run(data_root, model, dataset)
        assert describe(error.value) == (
            f"the package '{MISSING_PACKAGE[model]}' is not installed, and this run needs it: install it, or choose "
            "another model"
        )
        return
    if model == "VAGNN" and dataset == "plain":
        with pytest.raises(ConfigError, match="VAGNN needs a tripartite dataset"):
            run(data_root, model, dataset)
        return
    result = run(data_root, model, dataset, **MODEL_CONFIG.get(model, {}))  # RecBole's defaults on plain data
    metrics = {"plain": ["recall", "mrr", "ndcg", "hit", "precision"], "tri": ["recall", "ndcg"]}[dataset]
    assert {key.split("@")[0] for key in result["test_result"]} == set(metrics)
    assert all(0 <= value <= 1 for value in result["test_result"].values())
    assert_per_user_means_are_recboles(result)
    assert_the_checkpoint_gives_the_test_result_again(data_root, model, dataset, result)


def assert_the_checkpoint_gives_the_test_result_again(data_root, model, dataset, result):
    """The run's checkpoint (``saved/MODEL-*.pth``) loads with ``weights_only``, and a fresh model of the same
    run loaded from it scores the test as the run did (:data:`RANDOM_SCORES` only load)."""
    (checkpoint,) = Path("saved").glob(f"{model}-*.pth")
    torch.load(checkpoint, weights_only=True)  # raises on any pickled object
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config, fresh, _, _, _, test_data = build_data_and_model(
            model, dataset, config_dict={"data_path": str(data_root), **QUIET, **MODEL_CONFIG.get(model, {})}
        )
        trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, fresh)
        again = trainer.evaluate(test_data, model_file=str(checkpoint))
    if model not in RANDOM_SCORES:
        assert again == pytest.approx(result["test_result"], abs=1e-9)


def _trained(data_root, model, **config):
    """A model trained one epoch through the plugin (its fast loaders where they apply), its trainer and test
    loader, and RecBole's own loaders."""
    config = {"data_path": str(data_root), **QUIET, "fast_loader": True, **config}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config, model, _, train_data, valid_data, test_data = build_data_and_model(model, "plain", config_dict=config)
        trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
        trainer.fit(train_data, valid_data, saved=False)
        _, _, _, recbole_train, _, recbole_test = build_data_and_model(
            config["model"], "plain", config_dict={**config.external_config_dict, "fast_loader": False}
        )
    return config, model, trainer, test_data, recbole_train, recbole_test


def _recbole_evaluation(config, model, recbole_train, recbole_test):
    recbole_trainer = RecBoleTrainer(config, model)
    recbole_trainer.eval_collector.data_collect(recbole_train)
    return recbole_trainer.evaluate(recbole_test, load_best_model=False)


def test_every_ranking_metric_of_recboles_registry_equals_recboles_own_evaluation(data_root):
    config, model, trainer, test_data, recbole_train, recbole_test = _trained(
        data_root, "BPR", metrics=RANKING_METRICS, topk=[5, 10], valid_metric="recall@10"
    )
    assert type(test_data).__name__ == "DeviceFullSortEval"  # every ranking metric runs on the fast path
    ours = trainer.evaluate(test_data, load_best_model=False)
    recboles = _recbole_evaluation(config, model, recbole_train, recbole_test)
    expected = {name if name == "gauc" else f"{name}@{k}" for name in RANKING_METRICS for k in (5, 10)}
    assert set(ours) == set(recboles) == expected
    for key, value in recboles.items():  # RecBole's GAUC and AUC: a float32 rounded (0.49000000953674316)
        assert ours[key] == round(float(value), config["metric_decimal_place"]), key

    per_user = trainer.evaluator.per_user
    kept = {key.split("@")[0] for key in per_user}
    assert kept == PER_USER_METRICS  # Recall, MRR, NDCG, Hit, Precision, MAP and GAUC
    for key, values in per_user.items():
        if key == "gauc":  # RecBole's GAUC: each user's AUC weighted by the user's positives
            positives = np.array([len(recbole_test.uid2positive_item[u]) for u in trainer.evaluated_users])
            mean = np.nansum(values * positives) / positives[~np.isnan(values)].sum()
            assert mean == pytest.approx(ours["gauc"], abs=6e-5)
        else:
            assert np.mean(values) == pytest.approx(ours[key], abs=6e-5), key


def test_every_value_metric_of_recboles_registry_equals_recboles_own_evaluation(data_root):
    labeled = {
        "eval_args": {"split": {"RS": [0.8, 0.1, 0.1]}, "order": "RO", "mode": "labeled"},
        "threshold": {"rating": 4},
        "load_col": None,  # every column of plain.inter, the rating too
        "metrics": VALUE_METRICS,
        "valid_metric": "AUC",
    }
    config, model, trainer, test_data, recbole_train, recbole_test = _trained(data_root, "FM", **labeled)
    ours = trainer.evaluate(test_data, load_best_model=False)
    recboles = _recbole_evaluation(config, model, recbole_train, recbole_test)
    assert set(ours) == set(recboles) == {name for name in VALUE_METRICS}
    for key, value in recboles.items():  # RecBole's GAUC and AUC: a float32 rounded (0.49000000953674316)
        assert ours[key] == round(float(value), config["metric_decimal_place"]), key
    assert trainer.evaluator.per_user == {}  # value metrics are defined over the whole evaluation


def test_plain_recbole_fails_the_item_statistics_metrics_that_compat_fixes():
    """RecBole 1.2.1's Collector calls .cpu() on the item count it stores: ItemCoverage and friends crash."""
    from recbole.evaluator import collector

    from recbole_vagnn.utils import compat

    assert "collector_plain_values" in [fix.__name__ for fix in compat.FIXES]
    probe = collector.Collector.__new__(collector.Collector)
    probe.data_struct = collector.DataStruct()
    probe.data_struct.set("data.num_items", 7)
    assert collector.Collector.get_data_struct(probe).get("data.num_items") == 7  # fixed (compat applied on import)
    assert probe.data_struct.get("data.num_items") == 7


SETTINGS = [
    (order, split, mode) for order in ("RO", "TO") for split in ("LS", "RS") for mode in ("full", "uni100", "pop100")
]


@pytest.mark.slow
@pytest.mark.parametrize("order, split, mode", SETTINGS)
def test_every_evaluation_setting_runs_with_recboles_default_metrics(data_root, order, split, mode, caplog):
    eval_args = {"split": {"LS": "valid_and_test"} if split == "LS" else {"RS": [0.8, 0.1, 0.1]}, "order": order}
    eval_args["mode"] = mode
    if order == "TO":  # RecBole's default load_col for a new dataset reads user and item only
        with pytest.raises(ConfigError, match="load_col leaves out 'timestamp' .TIME_FIELD."):
            run(data_root, "BPR", eval_args=eval_args)
    with caplog.at_level(logging.INFO):
        result = run(data_root, "BPR", eval_args=eval_args, state="INFO", load_col=None, fast_loader=True)
    assert set(result["test_result"]) == {f"{m}@10" for m in ("recall", "mrr", "ndcg", "hit", "precision")}
    assert_per_user_means_are_recboles(result)
    fast = "fast_loader: RecBole's loaders are used" not in caplog.text
    assert fast == (mode == "full")  # sampled evaluation steps aside for RecBole's loaders, with a note


@pytest.mark.slow
def test_recboles_own_features_step_the_fast_path_aside_with_a_note(data_root, caplog):
    cases = {
        "BPR": (
            {
                "train_neg_sample_args": {
                    "distribution": "uniform",
                    "sample_num": 1,
                    "dynamic": True,
                    "candidate_num": 2,
                }
            },
            "dynamic negative sampling",
        ),
        "ConvNCF": ({}, "ConvNCF has no full_sort_predict"),
        "EASE": ({}, "EASE is a traditional model"),
        "NeuMF": ({}, "NeuMF is not a pairwise model"),
    }
    for model, (config, note) in cases.items():
        with caplog.at_level(logging.INFO):
            caplog.clear()
            result = run(data_root, model, state="INFO", fast_loader=True, **config)
        assert note in caplog.text
        assert_per_user_means_are_recboles(result)


def test_context_aware_and_sequential_models_run_through_recboles_own_loaders(data_root):
    fm = run(
        data_root,
        "FM",
        eval_args={"split": {"RS": [0.8, 0.1, 0.1]}, "order": "RO", "mode": "labeled"},
        threshold={"rating": 4},
        load_col=None,
        metrics=["AUC", "LogLoss"],
        valid_metric="AUC",
    )
    assert 0 <= fm["test_result"]["auc"] <= 1 and fm["test_users"] is None and fm["test_per_user"] == {}
    gru = run(data_root, "GRU4Rec", train_neg_sample_args=None, loss_type="CE", MAX_ITEM_LIST_LENGTH=10, load_col=None)
    assert 0 <= gru["test_result"]["recall@10"] <= 1
    assert_per_user_means_are_recboles(gru)


def test_a_valid_metric_the_metrics_do_not_compute_is_refused_in_one_line(data_root):
    with pytest.raises(ConfigError, match="valid_metric MRR@10 is not computed by metrics .'GAUC'."):
        run(data_root, "BPR", metrics=["GAUC"])  # RecBole's default valid_metric is MRR@10
    assert run(data_root, "BPR", metrics=["GAUC"], valid_metric="GAUC")["test_result"]["gauc"] > 0


def test_a_topk_beyond_the_items_is_refused_in_one_line(data_root):
    with pytest.raises(ConfigError, match="topk .10, 500. asks for more items than the dataset.s"):
        run(data_root, "BPR", topk=[10, 500])


def test_key_space_value_flags_reach_recboles_config(data_root, monkeypatch, capsys):
    from recbole_vagnn.config.configurator import Config

    seen = []

    def build_config(model=None, dataset=None, config_file_list=None, config_dict=None, resume=None):
        seen.append(Config(model=model, dataset=dataset, config_file_list=config_file_list, config_dict=config_dict))

    monkeypatch.setattr(quick_start, "run_recbole", build_config)
    run_command.main(
        [
            "--model",
            "BPR",
            "--dataset",
            "plain",
            "--data_path",
            str(data_root),
            "--epochs",
            "1",
            "--learning_rate",
            "0.01",
            "--topk=[5]",
            "--metrics",
            "['Recall','Hit']",
            "--valid_metric",
            "hit@5",
        ]
    )
    config = seen[0]
    assert (config["learning_rate"], config["epochs"], config["topk"]) == (0.01, 1, [5])
    assert config["metrics"] == ["Recall", "Hit"]
    assert "will not be used in RecBole" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--learning_rate"], "--learning_rate needs a value"),
        (["--epochs", "1", "stray"], "unexpected argument 'stray'"),
    ],
)
def test_malformed_recbole_flags_are_refused_in_one_line(argv, message, capsys):
    assert message in fails(run_command.main, ["--model", "BPR"] + argv, capsys)


def test_a_sequence_feature_field_loads_on_every_stack(data_root):
    """pandas 3 made Series.agg(len) the series' length; RecBole splits sequence fields with it (compat fixes it)."""
    result = run(data_root, "BPR", load_col={"inter": ["user_id", "item_id"], "item": ["item_id", "genre"]})
    assert 0 <= result["test_result"]["recall@10"] <= 1
