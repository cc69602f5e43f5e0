"""Tripartite dataset: loading, id remapping, graph matrices, and every bad-input error."""

import logging

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from recbole.data import data_preparation

from recbole_vagnn.data import TripartiteDataError, TripartiteDataset, create_dataset
from recbole_vagnn.utils.paths import EMBEDDED_DATA_DIR
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
    X = ds.inter_matrix(form="csr").toarray()
    assert X.sum() == len(TINY_INTER) and X[:, 0].sum() == 0
    Z = ds.publish_matrix().toarray()
    assert Z.sum(axis=0).tolist() == [0, 1, 1, 1, 1]  # every real video has exactly one vlogger
    watched = ds.watched_vlogger_matrix().toarray()
    u1 = ds.token2id("user_id", "u1")
    pA, pB = ds.token2id("vlogger_id", ["pA", "pB"])
    assert watched[u1, pA] == 2 and watched[u1, pB] == 2


def test_matrices_come_in_recbole_forms(tiny_root):
    ds = load(tiny_root)
    for matrix in (ds.publish_matrix, ds.user_vlogger_matrix, ds.watched_vlogger_matrix, ds.inter_matrix):
        assert sp.isspmatrix_coo(matrix()) and sp.isspmatrix_csr(matrix(form="csr"))
        assert (matrix().toarray() == matrix(form="csr").toarray()).all()
    with pytest.raises(NotImplementedError):
        ds.publish_matrix(form="dok")


def test_training_split_matrices_exclude_valid_and_test(tmp_path):
    # An unwatched fifth video leaves RecBole's sampler a negative for u1, who watched v1-v4.
    write_raw(tmp_path, "tiny", item=TINY_ITEM + [("v5", "pB")])
    config = make_config("BPR", "tiny", data_path=tmp_path)
    ds = create_dataset(config)
    train, _, _ = data_preparation(config, ds)
    X = train._dataset.inter_matrix(form="csr").toarray()
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
        ({"item": None}, "tiny.item: file not found"),
        (
            {"inter": TINY_INTER[:4] + [("u2", "v1", "")] + TINY_INTER[5:]},
            "without a numeric 'timestamp', first at line 6",
        ),
        ({"item_header": "item_id:token\tauthor:token"}, "missing column(s) ['vlogger_id']"),
        ({"uvl_header": "user_id:token\tauthor:token"}, "missing column(s) ['vlogger_id']"),
        (
            {"inter": TINY_INTER[:2] + [("u1", "v3", "noon")] + TINY_INTER[3:]},
            "tiny.inter: line 4: 'timestamp:float' must be a number, got 'noon'",
        ),
        (
            {"inter": TINY_INTER[:2] + [("u1", "v3", 3, 7)] + TINY_INTER[3:]},
            "tiny.inter: line 4 has 4 fields, the header declares 3",
        ),
        ({"inter_header": "user_id:token,item_id:token,timestamp:float"}, "tiny.inter: line 1 is comma-separated"),
        ({"item_header": "item_id\tvlogger_id"}, "tiny.item: header field 'item_id' has no type"),
        (
            {"item_header": "item_id:token\tvlogger_id:text"},
            "header field 'vlogger_id:text' has the unknown type 'text'",
        ),
    ],
)
def test_bad_input_raises_a_clear_error_naming_the_file(tmp_path, kwargs, message):
    write_raw(tmp_path, "tiny", **kwargs)
    with pytest.raises(TripartiteDataError) as error:
        load(tmp_path)
    assert message in str(error.value)
    assert "tiny." in str(error.value)


def test_an_empty_file_is_an_error_naming_it(tmp_path):
    write_raw(tmp_path, "tiny")
    (tmp_path / "tiny" / "tiny.uvl").write_bytes(b"")
    with pytest.raises(TripartiteDataError, match=r"tiny\.uvl: the file is empty; line 1 must be the typed header"):
        load(tmp_path)


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_field(tmp_path):
    write_raw(tmp_path, "tiny")
    for suffix in ("inter", "item", "uvl"):
        path = tmp_path / "tiny" / f"tiny.{suffix}"
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    ds = load(tmp_path)
    assert (ds.user_num, ds.item_num, ds.vlogger_num) == (4, 5, 3)
    assert ds.inter_num == len(TINY_INTER) and ds.user_vlogger_matrix().nnz == len(TINY_UVL)


def test_a_repeated_user_video_pair_is_one_interaction_at_its_earliest_time(tmp_path, caplog):
    # u1 rewatches v1 after v4 (and twice at t=9): without the rule, v1 would be both u1's
    # validation and test video, and in their training history too.
    repeats = [("u1", "v1", 9), ("u1", "v1", 9), ("u1", "v1", 10)]
    write_raw(tmp_path, "tiny", inter=TINY_INTER + repeats, item=TINY_ITEM + [("v5", "pB")])
    config = make_config("BPR", "tiny", data_path=tmp_path, rm_dup_inter=None)  # RecBole's default: the rule holds
    with caplog.at_level(logging.WARNING):
        ds = create_dataset(config)
    assert "dropped 3 repeated user-video interaction(s), keeping each pair's earliest" in caplog.text
    _, valid, test = data_preparation(config, ds)
    held_out = {}
    for split in (valid, test):
        feat = split.dataset.inter_feat
        for user, item in zip(feat["user_id"].tolist(), feat["item_id"].tolist()):
            held_out.setdefault(user, []).append(item)
    u1 = ds.token2id("user_id", "u1")
    assert tokens(ds, "item_id", held_out[u1]) == ["v3", "v4"]  # v1 stays at t=1
    assert all(len(set(items)) == 2 for items in held_out.values())


def test_keeping_the_last_of_repeated_pairs_is_refused_for_tripartite_data(tiny_root):
    with pytest.raises(TripartiteDataError, match="rm_dup_inter: 'last' is not supported by tripartite datasets"):
        load(tiny_root, rm_dup_inter="last")


def test_a_vlogger_id_outside_the_remapped_range_is_an_error(tiny_root):
    ds = load(tiny_root)
    ds.item_feat.loc[2, "vlogger_id"] = -(2**63)  # what a broken remap produced (pandas 3.0)
    with pytest.raises(TripartiteDataError, match=r"tiny\.item: 1 video\(s\) got no valid vlogger id"):
        ds._check_remapped_ids()


def test_duplicate_rows_are_dropped_with_a_logged_count(tmp_path, caplog):
    write_raw(tmp_path, "tiny", item=TINY_ITEM + [TINY_ITEM[0]], uvl=TINY_UVL + [TINY_UVL[0], TINY_UVL[0]])
    with caplog.at_level(logging.WARNING):
        ds = load(tmp_path)
    assert "dropped 1 duplicate video-vlogger row(s)" in caplog.text
    assert "dropped 2 repeated user-vlogger row(s), keeping each pair's earliest" in caplog.text
    assert ds.user_vlogger_matrix().nnz == len(TINY_UVL)


def test_an_empty_uvl_is_allowed_and_the_rule_alone_links(tmp_path):
    # u1 watches v1 v2 v3; only a user with 3 videos of one vlogger gets a link.
    inter = [("u1", "v1", 1), ("u1", "v2", 2), ("u1", "v3", 3), ("u2", "v1", 1), ("u2", "v3", 2)]
    write_raw(tmp_path, "tiny", inter=inter, item=[("v1", "pA"), ("v2", "pA"), ("v3", "pA")], uvl=[])
    ds = load(tmp_path)
    Y = ds.user_vlogger_matrix().tocoo()
    assert set(zip(tokens(ds, "user_id", Y.row), tokens(ds, "vlogger_id", Y.col))) == {("u1", "pA")}


def test_rows_orphaned_by_recbole_filtering_are_dropped_with_a_count(tmp_path, caplog):
    # u2 and u3 have 3 interactions each: a 4-interaction minimum removes them and their 3 .uvl rows.
    write_raw(tmp_path, "tiny")
    with caplog.at_level(logging.WARNING):
        ds = load(tmp_path, user_inter_num_interval="[4,inf)")
    assert "dropped 3 user-vlogger row(s)" in caplog.text
    assert ds.user_num == 2


# ---- no validation or test interaction may shape what training sees (the .uvl leak) -----------

UVL_TIMED_HEADER = "user_id:token\tvlogger_id:token\ttimestamp:float"
LEAK_ITEM = [
    ("v1", "pA"),
    ("v2", "pA"),
    ("v3", "pA"),
    ("v4", "pB"),
    ("v5", "pB"),
    ("v6", "pC"),
    ("v7", "pC"),
    ("v8", "pD"),
    ("v9", "pD"),
]
# Per user the 4th interaction is the validation one, the 5th the test one.
LEAK_INTER = [
    ("u1", "v1", 1),
    ("u1", "v2", 2),
    ("u1", "v4", 3),
    ("u1", "v3", 4),
    ("u1", "v6", 5),
    ("u2", "v4", 1),
    ("u2", "v5", 2),
    ("u2", "v8", 3),
    ("u2", "v9", 4),
    ("u2", "v1", 5),
    ("u3", "v1", 1),
    ("u3", "v2", 2),
    ("u3", "v3", 3),
    ("u3", "v6", 4),
    ("u3", "v7", 5),
]
LEAK_UVL = [
    ("u1", "pB", 1),  # follow before training ends: kept
    ("u1", "pD", 4),  # follow on u1's validation row: left out
    ("u1", "pC", 5),  # follow on u1's test row: left out
    ("u2", "pD", ""),  # no time: known before training
]
# u1 has 3 videos of pA only with its validation video v3; u3 has 3 of pA in training.
LEAK_FREE = {("u1", "pB"), ("u2", "pD"), ("u3", "pA")}
PAPER = LEAK_FREE | {("u1", "pA"), ("u1", "pC"), ("u1", "pD")}


@pytest.fixture
def leak_root(tmp_path):
    return write_raw(
        tmp_path / "data", "leak", inter=LEAK_INTER, item=LEAK_ITEM, uvl=LEAK_UVL, uvl_header=UVL_TIMED_HEADER
    )


def training_split(root, **overrides):
    config = make_config("VAGNN", "leak", data_path=root, **overrides)
    dataset = create_dataset(config)
    train, _, _ = data_preparation(config, dataset)
    return config, dataset, train._dataset


def pairs(ds, matrix):
    coo = matrix.tocoo()
    return set(zip(tokens(ds, "user_id", coo.row), tokens(ds, "vlogger_id", coo.col)))


@pytest.mark.parametrize("rule, expected", [("leak_free", LEAK_FREE), ("paper", PAPER)])
def test_training_relation_uses_only_training_interactions_and_earlier_events(leak_root, rule, expected):
    _, full, train = training_split(leak_root, uvl_rule=rule)
    assert pairs(full, train.user_vlogger_matrix()) == expected


def test_leak_free_links_reach_no_graph_and_no_bpr_positive_of_the_model(leak_root):
    from recbole_vagnn.model import VAGNN

    config, full, train = training_split(leak_root, walk_q1=0.0)
    model = VAGNN(config, train)
    positives = set(zip(tokens(full, "user_id", model.follow_users), tokens(full, "vlogger_id", model.follow_vloggers)))
    assert positives == LEAK_FREE
    n_users = full.user_num
    vlogger_view = model.vlogger_adj.to_dense()[:n_users, n_users:]
    assert pairs(full, sp.csr_matrix(vlogger_view.numpy())) == LEAK_FREE
    video_view = model.video_adj.to_dense()[:n_users, n_users:]
    u1, v3, v6 = full.token2id("user_id", "u1"), *full.token2id("item_id", ["v3", "v6"])
    assert video_view[u1, v3] == 0 and video_view[u1, v6] == 0  # u1's validation and test videos


def test_walks_cannot_reach_a_held_out_video_through_a_leaked_link(leak_root):
    # q2 = 0: every user walks U-P-V to a video of one of its vloggers. u1's test video v6 belongs
    # to pC, linked to u1 only by the follow on the test row; with the leak the walk can reach it.
    from recbole_vagnn.model.metapath import augment_views

    reached = {}
    for rule in ("leak_free", "paper"):
        _, full, train = training_split(leak_root, uvl_rule=rule)
        u1, v6 = full.token2id("user_id", "u1"), full.token2id("item_id", "v6")
        X, Y, Z = train.inter_matrix(form="csr"), train.user_vlogger_matrix(), train.publish_matrix()
        reached[rule] = sum(augment_views(X, Y, Z, 1.0, 0.0, seed)[0][u1, v6] > 0 for seed in range(30))
    assert reached["leak_free"] == 0
    assert reached["paper"] > 0


def test_vagnn_refuses_the_whole_dataset_whose_relation_holds_held_out_data(leak_root):
    from recbole_vagnn.model import VAGNN

    config, full, train = training_split(leak_root, walk_q1=0.0)
    with pytest.raises(TripartiteDataError, match="whole dataset.*training split"):
        VAGNN(config, full)
    VAGNN(config, train)  # the training split made by build() is fine


def test_quick_start_builds_vagnn_on_the_training_split(leak_root):
    from recbole_vagnn.quick_start import build_data_and_model

    _, model, full, *_ = build_data_and_model(
        "VAGNN", "leak", config_dict={"data_path": str(leak_root), "walk_q1": 0.0, "show_progress": False}
    )
    positives = set(zip(tokens(full, "user_id", model.follow_users), tokens(full, "vlogger_id", model.follow_vloggers)))
    assert positives == LEAK_FREE != PAPER


@pytest.mark.parametrize("setting", [{"normalize_all": True}, {"normalize_field": ["timestamp"]}])
def test_normalising_the_time_of_tripartite_data_is_refused(leak_root, setting):
    config = make_config("VAGNN", "leak", data_path=leak_root, **setting)
    with pytest.raises(TripartiteDataError, match="normalize_all / normalize_field would rescale 'timestamp'"):
        create_dataset(config)


def test_core_filter_runs_to_its_fixed_point_through_a_chain_of_removals():
    from recbole_vagnn.data.user_vlogger import core_filter

    # u0-p0, u1-p0 p1, u2-p1 p2, u3-p2 p3, then a 3 x 3 core u4-u6 x p3-p5 (u4-u6 also link p3).
    # With min_links 2, removing u0 leaves p0 short, which leaves u1 short, ... down to u3:
    # seven passes remove something, an eighth finds the fixed point.
    pairs = [(0, 0), (1, 0), (1, 1), (2, 1), (2, 2), (3, 2), (3, 3)]
    pairs += [(u, p) for u in (4, 5, 6) for p in (3, 4, 5)]
    rows, cols = zip(*pairs)
    links = sp.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(7, 6))
    filtered, passes = core_filter(links, 2)
    coo = filtered.tocoo()
    assert set(zip(coo.row.tolist(), coo.col.tolist())) == {(u, p) for u in (4, 5, 6) for p in (3, 4, 5)}
    assert passes == 8


def test_a_link_filter_that_empties_the_relation_is_named_with_its_counts():
    from recbole_vagnn.quick_start import build_data_and_model
    from recbole_vagnn.utils.errors import ConfigError

    with pytest.raises(
        ConfigError, match=r"\(\d+ user-vlogger link\(s\) before the uvl_min_links: 500 filter, 0 after\)"
    ):
        build_data_and_model("VAGNN", config_dict={"uvl_min_links": 500, "show_progress": False})
    config, model, *_ = build_data_and_model(
        "VAGNN", config_file_list=["properties/presets/small-data.yaml"], config_dict={"show_progress": False}
    )
    assert config["uvl_min_links"] == 1 and len(model.follow_vloggers) > 0
