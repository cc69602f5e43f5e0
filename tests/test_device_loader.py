"""The device loaders: RecBole's sampling distribution, every pair once per epoch, RecBole's metrics."""

from collections import Counter

import pytest
import torch
from recbole.data import data_preparation
from recbole.data.dataloader import TrainDataLoader

from recbole_vagnn.config.configurator import Config
from recbole_vagnn.data import create_dataset
from recbole_vagnn.data.atomic import write_tripartite
from recbole_vagnn.data.dataloader.device_loader import DeviceFullSortEval, DeviceTrainLoader, device_loaders
from recbole_vagnn.experiments.synthetic import generate
from recbole_vagnn.utils.utils import get_model, get_trainer
from tests.conftest import TINY_ITEM, make_config, write_raw


def recbole_loaders(model, dataset="vagnn-demo", **overrides):
    config = Config(
        model=model, dataset=dataset, config_dict={"show_progress": False, "fast_loader": False, **overrides}
    )
    loaders = data_preparation(config, create_dataset(config))
    return config, loaders


def test_negatives_are_uniform_over_the_items_outside_the_training_history(tmp_path):
    write_raw(tmp_path, "tiny", item=TINY_ITEM + [("v5", "pB"), ("v6", "pA"), ("v7", "pB")])
    config = make_config("BPR", "tiny", data_path=tmp_path, train_batch_size=3)
    train, _, _ = data_preparation(config, create_dataset(config))
    loader = DeviceTrainLoader(config, train)
    dataset = train.dataset
    history = {}
    for user, item in zip(dataset.inter_feat["user_id"].tolist(), dataset.inter_feat["item_id"].tolist()):
        history.setdefault(user, set()).add(item)
    for user, seen in history.items():
        draws = loader.sample_negatives(torch.full((30_000,), user)).tolist()
        allowed = set(range(1, dataset.item_num)) - seen
        counts = Counter(draws)
        assert set(counts) == allowed  # never a training item of the user, never the padding item 0
        expected = len(draws) / len(allowed)
        assert all(abs(count - expected) < 0.05 * expected for count in counts.values())


def test_an_epoch_yields_every_training_pair_once_in_a_seeded_order(tmp_path):
    write_raw(tmp_path, "tiny", item=TINY_ITEM + [("v5", "pB")])
    config = make_config("BPR", "tiny", data_path=tmp_path, train_batch_size=2)
    train, _, _ = data_preparation(config, create_dataset(config))
    loader = DeviceTrainLoader(config, train)
    feat = train.dataset.inter_feat
    pairs = sorted(zip(feat["user_id"].tolist(), feat["item_id"].tolist()))
    epochs = [
        [(u, i) for batch in loader for u, i in zip(batch["user_id"].tolist(), batch["item_id"].tolist())]
        for _ in range(2)
    ]
    assert all(sorted(epoch) == pairs for epoch in epochs)
    assert [len(batch) for batch in loader] == [2] * (len(pairs) // 2) + [len(pairs) % 2] * (len(pairs) % 2)
    assert len(loader) == -(-len(pairs) // 2)
    again = DeviceTrainLoader(config, train)  # same seed, same first epoch
    assert [(u, i) for b in again for u, i in zip(b["user_id"].tolist(), b["item_id"].tolist())] == epochs[0]


@pytest.mark.parametrize("model_name", ["LightGCN", "VAGNN"])
@pytest.mark.parametrize("generated", [False, True])
def test_device_evaluation_equals_recboles_evaluator(tmp_path, model_name, generated):
    dataset, overrides = "vagnn-demo", {"eval_batch_size": 4096}  # RecBole's: a few users per batch
    if generated:  # a second data set, with more users than one evaluation batch holds
        write_tripartite(tmp_path / "gen", "gen", *generate(users=700, vloggers=40, seed=3))
        dataset, overrides = "gen", {"data_path": str(tmp_path), "eval_batch_size": 4096}
    config, (train, valid, test) = recbole_loaders(model_name, dataset, epochs=1, **overrides)
    model = get_model(model_name)(config, train.dataset)
    trainer = get_trainer(config["MODEL_TYPE"], model_name)(config, model)
    trainer.fit(train, valid, saved=False)
    for split in (valid, test):
        expected = trainer.evaluate(split, load_best_model=False)
        device = DeviceFullSortEval(config, split)
        assert len(device) > 1  # several batches
        got = trainer.evaluate(device, load_best_model=False)
        assert got.keys() == expected.keys()
        assert all(got[key] == pytest.approx(expected[key], abs=1e-6) for key in expected)


def test_the_fast_path_is_used_where_it_applies_and_can_be_switched_off():
    config, loaders = recbole_loaders("LightGCN", fast_loader=True)
    fast = device_loaders(config, get_model("LightGCN"), *loaders)
    assert isinstance(fast[0], DeviceTrainLoader) and all(isinstance(d, DeviceFullSortEval) for d in fast[1:])
    config, loaders = recbole_loaders("LightGCN", fast_loader=False)
    assert device_loaders(config, get_model("LightGCN"), *loaders) == loaders
    config, loaders = recbole_loaders("LightGCN", fast_loader=True, metrics=["Recall", "ItemCoverage", "GAUC"])
    fast = device_loaders(config, get_model("LightGCN"), *loaders)  # every ranking metric works on the device path
    assert isinstance(fast[0], DeviceTrainLoader) and all(isinstance(d, DeviceFullSortEval) for d in fast[1:])
    sampled = {"split": {"LS": "valid_and_test"}, "order": "TO", "group_by": "user", "mode": "uni100"}
    config, loaders = recbole_loaders("LightGCN", fast_loader=True, eval_args=sampled)
    kept = device_loaders(config, get_model("LightGCN"), *loaders)
    assert isinstance(kept[0], TrainDataLoader) and not isinstance(kept[1], DeviceFullSortEval)


@pytest.mark.slow
def test_a_seeded_run_on_the_fast_path_repeats():
    from recbole_vagnn.quick_start import run_recbole

    runs = [run_recbole("VAGNN", config_dict={"epochs": 2, "show_progress": False}, saved=False) for _ in range(2)]
    assert runs[0]["test_result"] == runs[1]["test_result"]
