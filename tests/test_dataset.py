"""Tripartite dataset: loading, id remapping, graph matrices, and every bad-input error."""

import logging

import numpy as np
import pandas as pd
import pytest
from recbole.data import data_preparation

from recbole_vagnn.config import EMBEDDED_DATA_DIR
from recbole_vagnn.data import TripartiteDataError, TripartiteDataset, create_dataset
from tests.conftest import TINY_INTER, TINY_ITEM, TINY_UVL, make_config, write_raw


def load(root, name="tiny", model="BPR", **overrides):
    return create_dataset(make_config(model, name, data_path=root, **overrides))


def tokens(ds, field, ids):
    return list(ds.id2token(field, np.asarray(ids)))


def test_tripartite_defaults_follow_the_paper_protocol(tiny_root):
    config = make_config("BPR", "tiny", data_path=tiny_root)
    assert config["tripartite"] is True
    assert config["eval_args"]["split"] == {"LS": "valid_and_test"}
    assert config["eval_args"]["order"] == "TO"
    assert config["eval_args"]["mode"] == {"valid": "full", "test": "full"}
    assert config["topk"] == [10, 20, 50]
    assert config["valid_metric"].lower() == "recall@10"


def test_non_tripartite_dataset_keeps_recbole_defaults(tmp_path):
    write_raw(tmp_path, "plain", uvl=None, item=None)
    config = make_config("BPR", "plain", data_path=tmp_path)
    assert not config["tripartite"]
    assert config["eval_args"]["split"] == {"RS": [0.8, 0.1, 0.1]}


def test_ids_are_remapped_consistently_across_files(tiny_root):
    ds = load(tiny_root)
    assert isinstance(ds, TripartiteDataset)
    assert (ds.user_num, ds.item_num, ds.vlogger_num) == (4, 5, 3)  # + padding id 0
    expected_vlogger = dict(TINY_ITEM)
    for item_id in range(1, ds.item_num):
        video = tokens(ds, "item_id", [item_id])[0]
        assert tokens(ds, "vlogger_id", [ds.item2vlogger[item_id]])[0] == expected_vlogger[video]
    assert ds.item2vlogger[0] == 0
    uvl = ds.user_vlogger_matrix().tocoo()
    pairs = set(zip(tokens(ds, "user_id", uvl.row), tokens(ds, "vlogger_id", uvl.col)))
    assert pairs == set(TINY_UVL)


def test_vlogger_ids_follow_item_file_even_if_uvl_lists_others_first(tmp_path):
    write_raw(tmp_path, "order", uvl=[("u1", "pB"), ("u2", "pA")])
    ds = load(tmp_path, "order")
    assert tokens(ds, "vlogger_id", [1, 2]) == ["pA", "pB"]


def test_graph_matrices_on_the_tiny_graph(tiny_root):
    ds = load(tiny_root)
    X = ds.interaction_matrix().toarray()
    assert X.sum() == len(TINY_INTER) and X[:, 0].sum() == 0
    Z = ds.publish_matrix().toarray()
    assert Z.sum(axis=0).tolist() == [0, 1, 1, 1, 1]  # every real video has exactly one vlogger
    watched = ds.watched_vlogger_matrix().toarray()
    u1 = ds.token2id("user_id", "u1")
    pA, pB = ds.token2id("vlogger_id", ["pA", "pB"])
    assert watched[u1, pA] == 2 and watched[u1, pB] == 2


def test_training_split_matrices_exclude_valid_and_test(tmp_path):
    # An unwatched fifth video leaves RecBole's sampler a negative for u1, who watched v1-v4.
    write_raw(tmp_path, "tiny", item=TINY_ITEM + [("v5", "pB")])
    config = make_config("BPR", "tiny", data_path=tmp_path)
    ds = create_dataset(config)
    train, _, _ = data_preparation(config, ds)
    X = train._dataset.interaction_matrix().toarray()
    assert X.sum() == len(TINY_INTER) - 2 * 3  # leave-one-out removes 2 per user
    u1, v4 = ds.token2id("user_id", "u1"), ds.token2id("item_id", "v4")
    assert X[u1, v4] == 0  # v4 is u1's last (test) video


def test_embedded_dataset_loads_with_its_documented_structure():
    ds = load(None, "vagnn-demo")
    raw_item = pd.read_csv(EMBEDDED_DATA_DIR / "vagnn-demo" / "vagnn-demo.item", sep="\t")
    per_vlogger = raw_item.groupby("vlogger_id:token").size()
    assert per_vlogger.min() >= 3
    assert 7 <= per_vlogger.median() <= 9
    assert 200 <= ds.user_num - 1 <= 1000 and 2000 <= ds.inter_num <= 20000
    assert ds.vlogger_num - 1 == raw_item["vlogger_id:token"].nunique()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"item": TINY_ITEM[:-1]}, "name video(s) with no vlogger"),
        ({"item": TINY_ITEM[:-1] + [("v4", "")]}, "empty"),
        ({"item": TINY_ITEM + [("v4", "pA")]}, "two or more vloggers"),
        ({"uvl": TINY_UVL + [("u9", "pA")]}, "users that have no interaction"),
        ({"uvl": TINY_UVL + [("u1", "pZ")]}, "vloggers that publish no video"),
        ({"uvl": []}, "no rows"),
        ({"item": None}, "tiny.item: file not found"),
        ({"item_header": "item_id:token\tauthor:token"}, "missing column(s) ['vlogger_id']"),
        ({"uvl_header": "user_id:token\tauthor:token"}, "missing column(s) ['vlogger_id']"),
    ],
)
def test_bad_input_raises_a_clear_error_naming_the_file(tmp_path, kwargs, message):
    write_raw(tmp_path, "tiny", **kwargs)
    with pytest.raises(TripartiteDataError) as error:
        load(tmp_path)
    assert message in str(error.value)
    assert "tiny." in str(error.value)


def test_duplicate_rows_are_dropped_with_a_logged_count(tmp_path, caplog):
    write_raw(tmp_path, "tiny", item=TINY_ITEM + [TINY_ITEM[0]], uvl=TINY_UVL + [TINY_UVL[0], TINY_UVL[0]])
    with caplog.at_level(logging.WARNING):
        ds = load(tmp_path)
    assert "dropped 1 duplicate video-vlogger row(s)" in caplog.text
    assert "dropped 2 duplicate user-vlogger row(s)" in caplog.text
    assert ds.user_vlogger_matrix().nnz == len(TINY_UVL)


def test_rows_orphaned_by_recbole_filtering_are_dropped_with_a_count(tmp_path, caplog):
    # u2 and u3 have 3 interactions each: a 4-interaction minimum removes them and their 3 .uvl rows.
    write_raw(tmp_path, "tiny")
    with caplog.at_level(logging.WARNING):
        ds = load(tmp_path, user_inter_num_interval="[4,inf)")
    assert "dropped 3 user-vlogger row(s)" in caplog.text
    assert ds.user_num == 2


def test_unsupported_dataset_caching_is_announced(tiny_root, caplog):
    with caplog.at_level(logging.WARNING):
        load(tiny_root, save_dataset=True)
    assert "save_dataset / dataset_save_path are not supported" in caplog.text
