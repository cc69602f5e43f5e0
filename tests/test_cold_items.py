"""Cold videos (``cold_items``): held out of training entirely, ranked among their split's videos."""

import logging

import numpy as np
import pytest
import torch
from recbole.data import data_preparation

from recbole_vagnn.config.configurator import Config
from recbole_vagnn.data import create_dataset
from recbole_vagnn.data.cold_items import choose_cold_videos
from recbole_vagnn.data.dataloader.device_loader import DeviceTrainLoader, device_loaders
from recbole_vagnn.model.general_recommender.vagnn import VAGNN
from recbole_vagnn.quick_start import build_data_and_model, run_recbole
from recbole_vagnn.utils.errors import ConfigError
from recbole_vagnn.utils.utils import get_model, get_trainer
from tests.conftest import make_config, write_raw

# 10 videos, first watched at times 1..10 in id order; the newest 4 (v7-v10) are held out under
# cold_split: time with cold_items 0.4: v7 v8 for validation, v9 v10 for test. pC (v7) and pD
# (v9, v10) have no training video: 3 doubly cold; v8's vlogger pA has training videos.
COLD_ITEM = [
    ("v1", "pA"),
    ("v2", "pA"),
    ("v3", "pA"),
    ("v4", "pB"),
    ("v5", "pB"),
    ("v6", "pB"),
    ("v7", "pC"),
    ("v8", "pA"),
    ("v9", "pD"),
    ("v10", "pD"),
]
COLD_INTER = [
    ("u1", "v1", 1),
    ("u1", "v2", 2),
    ("u1", "v4", 4),
    ("u1", "v7", 7),  # u1's first held-out interaction
    ("u1", "v9", 9),
    ("u2", "v3", 3),
    ("u2", "v5", 5),
    ("u2", "v8", 8),
    ("u2", "v10", 10),
    ("u2", "v1", 11),
    ("u3", "v6", 6),
    ("u3", "v2", 12),
    ("u3", "v4", 13),
    ("u3", "v7", 14),
    ("u4", "v3", 15),
    ("u4", "v5", 16),
    ("u4", "v6", 17),
    ("u4", "v10", 18),
    ("u5", "v9", 20),  # a user with no training interaction
]
TIMED_UVL_HEADER = "user_id:token\tvlogger_id:token\ttimestamp:float"
# u1 follows pB before its first held-out interaction (t=7) and pD after it; u4 follows pC at 1.
COLD_UVL = [("u1", "pB", 5), ("u1", "pD", 8), ("u4", "pC", 1)]
TIME_SPLIT = {"cold_items": 0.4, "cold_split": "time"}


@pytest.fixture
def cold_root(tmp_path):
    return write_raw(tmp_path / "data", "cold", COLD_INTER, COLD_ITEM, COLD_UVL, uvl_header=TIMED_UVL_HEADER)


def split(root, model="BPR", **overrides):
    config = make_config(model, "cold", data_path=root, **overrides)
    dataset = create_dataset(config)
    return config, dataset, data_preparation(config, dataset)


def videos(dataset, loader):
    return set(dataset.id2token("item_id", loader.dataset.inter_feat["item_id"].numpy()))


def pairs(dataset, matrix, row_field, col_field):
    matrix = matrix.tocoo()
    return set(zip(dataset.id2token(row_field, matrix.row), dataset.id2token(col_field, matrix.col)))


def test_the_time_split_holds_out_the_newest_videos_whole_and_apart(cold_root, caplog):
    with caplog.at_level(logging.INFO):
        _, dataset, (train, valid, test) = split(cold_root, **TIME_SPLIT)
    assert videos(dataset, valid) == {"v7", "v8"} and videos(dataset, test) == {"v9", "v10"}
    assert videos(dataset, train) == {f"v{i}" for i in range(1, 7)}
    assert len(train.dataset.inter_feat) + len(valid.dataset.inter_feat) + len(test.dataset.inter_feat) == len(
        COLD_INTER
    )
    held = dataset.token2id("item_id", ["v7", "v8", "v9", "v10"])
    assert train.dataset.inter_matrix(form="csr")[:, held].nnz == 0
    assert "u5" in set(dataset.id2token("user_id", test.dataset.inter_feat["user_id"].numpy()))
    assert (
        "cold videos: 4 held out (time, the newest): 2 for validation, 2 for test; 3 doubly cold (vlogger without a "
        "training video); candidates: cold"
    ) in caplog.text


def test_the_random_split_is_seeded_disjoint_and_keeps_held_out_videos_from_training(cold_root):
    chosen = []
    for seed in (1, 1, 7):
        _, dataset, (train, valid, test) = split(cold_root, cold_items=0.4, seed=seed)
        in_valid, in_test = videos(dataset, valid), videos(dataset, test)
        assert len(in_valid) == len(in_test) == 2 and not in_valid & in_test
        assert not (in_valid | in_test) & videos(dataset, train)
        chosen.append((in_valid, in_test))
    assert chosen[0] == chosen[1]
    item_ids = np.repeat(np.arange(1, 101), 2)
    draws = {tuple(map(tuple, choose_cold_videos(item_ids, None, 101, 0.1, "random", seed))) for seed in range(5)}
    assert len(draws) > 1  # the seed decides


def test_the_relation_uses_training_interactions_and_follows_before_the_first_cold_interaction(cold_root):
    _, dataset, (train, _, _) = split(cold_root, uvl_min_videos=0, **TIME_SPLIT)
    relation = pairs(dataset, train.dataset.user_vlogger_matrix(training=True), "user_id", "vlogger_id")
    assert relation == {("u1", "pB"), ("u4", "pC")}  # u1's follow of pD at 8 came after its cold v7 at 7
    _, dataset, (train, _, _) = split(cold_root, uvl_min_videos=1, **TIME_SPLIT)
    relation = pairs(dataset, train.dataset.user_vlogger_matrix(training=True), "user_id", "vlogger_id")
    assert ("u1", "pC") not in relation and ("u1", "pA") in relation  # v7 (pC) is held out
    assert ("u1", "pC") in pairs(dataset, dataset.user_vlogger_matrix(), "user_id", "vlogger_id")  # whole data


def test_the_vagnn_views_ignore_held_out_interactions(tmp_path):
    overrides = {"uvl_min_videos": 1, **TIME_SPLIT}
    write_raw(tmp_path / "a", "cold", COLD_INTER, COLD_ITEM, COLD_UVL, uvl_header=TIMED_UVL_HEADER)
    config, dataset, (train, _, _) = split(tmp_path / "a", "VAGNN", walk_q1=0.0, **overrides)
    video_view, vlogger_view = VAGNN._build_views(config, train.dataset)
    held = dataset.token2id("item_id", ["v7", "v8", "v9", "v10"])
    assert video_view[:, held].nnz == 0
    assert (vlogger_view != train.dataset.user_vlogger_matrix(form="csr", training=True)).nnz == 0
    # with the walk: the views are the same when a held-out interaction is gone (u3's v7, u3's only one)
    fewer = [row for row in COLD_INTER if row[:2] != ("u3", "v7")]
    write_raw(tmp_path / "b", "cold", fewer, COLD_ITEM, COLD_UVL, uvl_header=TIMED_UVL_HEADER)
    views = []
    for root in (tmp_path / "a", tmp_path / "b"):
        config, dataset, (train, _, _) = split(root, "VAGNN", **overrides)
        views.append((VAGNN._build_views(config, train.dataset), dataset.field2id_token["item_id"].tolist()))
    assert views[0][1] == views[1][1]
    assert all((a != b).nnz == 0 for a, b in zip(views[0][0], views[1][0]))


class FixedScores:
    """A model's ``full_sort_predict`` that scores video vN with N, whoever the user."""

    def __init__(self, dataset):
        tokens = dataset.field2id_token["item_id"]
        self.scores = torch.tensor([0.0] + [float(token[1:]) for token in tokens[1:]])

    def __call__(self, interaction):
        users = interaction["user_id"]
        return self.scores.repeat(len(users), 1).view(-1)


def recorded_scores(trainer):
    """The list that will hold a copy of every score batch ``trainer`` hands to RecBole's collector."""
    seen, collect = [], trainer.eval_collector.eval_batch_collect

    def record(scores, *rest):
        seen.append(scores.clone())
        return collect(scores, *rest)

    trainer.eval_collector.eval_batch_collect = record
    return seen


@pytest.mark.parametrize("fast_loader", [False, True])
def test_cold_candidates_rank_only_the_split_videos(cold_root, fast_loader):
    settings = {"topk": [1], "metrics": ["Recall"], "valid_metric": "Recall@1", "fast_loader": fast_loader}
    results = {}
    for candidates in ("cold", "all"):
        config, dataset, loaders = split(cold_root, cold_candidates=candidates, **settings, **TIME_SPLIT)
        train, valid, test = device_loaders(config, get_model("BPR"), *loaders)
        model = get_model("BPR")(config, train.dataset)
        model.full_sort_predict = FixedScores(dataset)
        trainer = get_trainer(config["MODEL_TYPE"], "BPR")(config, model)
        seen = recorded_scores(trainer)
        results[candidates] = [trainer.evaluate(data, load_best_model=False)["recall@1"] for data in (valid, test)]
        if candidates == "cold":
            for scores, split_videos in zip(seen, (["v7", "v8"], ["v9", "v10"])):
                outside = np.setdiff1d(np.arange(dataset.item_num), dataset.token2id("item_id", split_videos))
                assert torch.isinf(scores[:, outside]).all() and (scores[:, outside] < 0).all()
    # cold: v8 tops validation (u2 of u1, u2, u3 watched it), v10 tops test (u2, u4 of u1, u2, u4, u5)
    assert results["cold"] == pytest.approx([1 / 3, 1 / 2], abs=1e-4)  # metrics come rounded to 4 places
    # all: v10 tops every validation ranking (no validation positive); test as cold (v10 is the best anyway)
    assert results["all"] == pytest.approx([0, 1 / 2], abs=1e-4)


def test_cold_items_0_leaves_a_run_bitwise_as_before():
    base = {"epochs": 1, "show_progress": False, "train_batch_size": 2048, "checkpoint_dir": "saved"}
    before = run_recbole("BPR", config_dict=base, saved=False)
    with_key = run_recbole("BPR", config_dict={**base, "cold_items": 0, "cold_split": "time"}, saved=False)
    assert before["test_result"] == with_key["test_result"]
    assert before["best_valid_result"] == with_key["best_valid_result"]


UNIFORM = {"distribution": "uniform", "sample_num": 1, "alpha": 1.0, "dynamic": False, "candidate_num": 0}


@pytest.mark.parametrize("fast_loader, distribution", [(True, "uniform"), (False, "uniform"), (False, "popularity")])
def test_no_training_negative_is_a_held_out_video(cold_root, fast_loader, distribution):
    """A held-out video did not exist at training time: neither loader draws it as a negative, under
    either of RecBole's distributions (popularity counts every split's interactions, held-out ones too)."""
    config_dict = {
        "data_path": str(cold_root),
        "fast_loader": fast_loader,
        "train_neg_sample_args": {**UNIFORM, "distribution": distribution},
        **TIME_SPLIT,
    }
    _, _, dataset, train, _, _ = build_data_and_model("BPR", "cold", config_dict=config_dict)
    assert isinstance(train, DeviceTrainLoader) == fast_loader
    drawn = {}
    for _ in range(100):
        for batch in train:
            for user, negative in zip(batch["user_id"].tolist(), batch["neg_item_id"].tolist()):
                drawn.setdefault(dataset.id2token("user_id", user), set()).add(dataset.id2token("item_id", negative))
    # training videos v1-v6 outside each user's training history; v7-v10 are held out
    assert drawn == {
        "u1": {"v3", "v5", "v6"},
        "u2": {"v2", "v4", "v6"},
        "u3": {"v1", "v3", "v5"},
        "u4": {"v1", "v2", "v4"},
    }


@pytest.mark.parametrize("model", ["LightGCN", "VAGNN"])
def test_models_run_under_cold_items_on_the_demo(model):
    config_dict = {"cold_items": 0.2, "epochs": 1, "show_progress": False}
    config, net, dataset, train, valid, test = build_data_and_model(model, config_dict=config_dict)
    held = np.concatenate([valid.dataset.inter_feat["item_id"].numpy(), test.dataset.inter_feat["item_id"].numpy()])
    assert net.item_embedding.num_embeddings == dataset.item_num > held.max()
    assert not np.isin(held, train.dataset.inter_feat["item_id"].numpy()).any()
    result = run_recbole(model, config_dict=config_dict, saved=False)
    assert set(result["test_result"]) == {f"{m}@{k}" for m in ("recall", "ndcg") for k in (10, 20, 50)}
    assert all(np.isfinite(value) for value in result["test_result"].values())


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"cold_items": 1}, "config 'cold_items' must be a number in [0, 1), got 1"),
        ({"cold_items": -0.1}, "config 'cold_items' must be a number in [0, 1), got -0.1"),
        ({"cold_items": "many"}, "config 'cold_items' must be a number in [0, 1), got 'many'"),
        ({"cold_split": "newest"}, "config 'cold_split' must be one of 'random', 'time', got 'newest'"),
        ({"cold_candidates": "warm"}, "config 'cold_candidates' must be one of 'cold', 'all', got 'warm'"),
        (
            {"cold_items": 0.2, "eval_args": {"mode": "uni100"}},
            "cold_items 0.2 cannot hold videos out: evaluation mode uni100 is not full ranking",
        ),
        (
            {"cold_items": 0.2, "model": "GRU4Rec", "train_neg_sample_args": None},
            "cold_items 0.2 cannot hold videos out: GRU4Rec is sequential",
        ),
    ],
)
def test_bad_settings_are_refused_in_one_line(cold_root, overrides, message):
    overrides = dict(overrides)
    model = overrides.pop("model", "BPR")
    with pytest.raises(ConfigError) as error:
        split(cold_root, model, **overrides)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_too_few_videos_and_data_without_vloggers_are_refused(cold_root, tmp_path):
    with pytest.raises(
        ConfigError, match=r"^cold_items 0\.05 holds out 1 of the 10 videos with interactions: at least 2"
    ):
        split(cold_root, cold_items=0.05)
    write_raw(tmp_path, "plain", COLD_INTER, item=None, uvl=None)
    with pytest.raises(ConfigError, match="dataset 'plain' is not tripartite"):
        Config(model="BPR", dataset="plain", config_dict={"data_path": str(tmp_path), "cold_items": 0.2})
