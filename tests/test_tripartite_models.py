"""Every kind of RecBole model on tripartite data: sequential models get their sequences, knowledge-aware ones
are refused in one line, and ``save_dataset`` / ``dataset_save_path`` work as in RecBole."""

import logging
import os
import warnings

import pytest
from recbole.data import data_preparation

from recbole_vagnn.data import create_dataset
from recbole_vagnn.data.atomic import write_tripartite
from recbole_vagnn.data.dataset.tripartite_dataset import (
    TripartiteDataError,
    TripartiteDataset,
    TripartiteSequentialDataset,
)
from recbole_vagnn.experiments.synthetic import generate
from recbole_vagnn.quick_start import run_recbole
from recbole_vagnn.utils.utils import get_model
from tests.conftest import make_config

SMALL_SASREC = {"train_neg_sample_args": None, "hidden_size": 8, "inner_size": 16, "n_layers": 1, "n_heads": 1}
USERS = 40


@pytest.fixture
def root(tmp_path):
    """A small tripartite dataset ``tiny``: 40 users, 64 videos of 8 vloggers."""
    inter, item, uvl = generate(users=USERS, vloggers=8, videos_per_vlogger=8, interactions_per_user=10, seed=3)
    write_tripartite(tmp_path / "data" / "tiny", "tiny", inter, item, uvl)
    return tmp_path / "data"


def split(config):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = create_dataset(config)
        return dataset, data_preparation(config, dataset)


def test_a_sequential_model_gets_its_sequences_and_the_same_user_vlogger_relation(root):
    general, (general_train, _, _) = split(make_config("BPR", "tiny", data_path=root))
    sequential, (train, valid, test) = split(make_config("SASRec", "tiny", data_path=root, **SMALL_SASREC))
    assert type(general) is TripartiteDataset and type(sequential) is TripartiteSequentialDataset
    assert {"item_id_list", "item_length"} <= set(train.dataset.inter_feat.columns)
    relation = train.dataset.user_vlogger_matrix(training=True)
    assert (relation != general_train.dataset.user_vlogger_matrix(training=True)).nnz == 0
    assert sequential.vlogger_num == general.vlogger_num and len(test.dataset.inter_feat) == USERS  # one per user


@pytest.mark.slow
@pytest.mark.parametrize("model, config", [("SASRec", SMALL_SASREC), ("GRU4Rec", {"train_neg_sample_args": None})])
def test_sequential_models_train_and_test_on_tripartite_data(root, model, config):
    result = run_recbole(
        model, "tiny", config_dict={"data_path": str(root), "epochs": 1, "show_progress": False, **config}
    )
    assert result["test_result"] and 0 <= result["test_result"]["recall@10"] <= 1
    assert result["best_epoch"] == 0


def test_a_knowledge_aware_model_is_refused_in_one_line(root):
    with pytest.raises(TripartiteDataError, match="KGAT loads its data as RecBole's KnowledgeBasedDataset"):
        create_dataset(make_config("KGAT", "tiny", data_path=root))


def test_save_dataset_saves_and_the_next_run_loads_it_while_its_settings_and_files_hold(root, tmp_path, caplog):
    saved = tmp_path / "saved"
    config = {"checkpoint_dir": str(saved)}
    with caplog.at_level(logging.INFO):
        first = create_dataset(make_config("BPR", "tiny", data_path=root, save_dataset=True, **config))
    file = saved / "tiny-TripartiteDataset.pth"
    assert file.is_file() and f"Saving filtered dataset into [{file}]" in caplog.text

    caplog.clear()
    with caplog.at_level(logging.INFO):
        again = create_dataset(make_config("BPR", "tiny", data_path=root, uvl_min_links=2, **config))
    assert f"Load filtered dataset from: [{file}]" in caplog.text
    assert again.inter_feat["user_id"].tolist() == first.inter_feat["user_id"].tolist()
    assert again.config["uvl_min_links"] == 2  # this run's split and relation settings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data_preparation(again.config, again)  # splits and builds the relation as a fresh dataset does

    caplog.clear()
    with caplog.at_level(logging.INFO):
        create_dataset(make_config("BPR", "tiny", data_path=root, user_inter_num_interval="[4,inf)", **config))
    assert "was saved with other user_inter_num_interval: the dataset is built from its files again" in caplog.text

    inter = root / "tiny" / "tiny.inter"
    os.utime(inter, ns=(inter.stat().st_atime_ns, inter.stat().st_mtime_ns + 10**9))
    caplog.clear()
    with caplog.at_level(logging.INFO):
        create_dataset(make_config("BPR", "tiny", data_path=root, **config))
    assert "was saved from other atomic files (their size or time differs)" in caplog.text

    other = make_config("BPR", "tiny", data_path=root, dataset_save_path=str(tmp_path / "elsewhere.pth"), **config)
    (tmp_path / "elsewhere.pth").write_bytes(b"no pickle")
    with pytest.raises(TripartiteDataError, match="elsewhere.pth: not a dataset saved by save_dataset"):
        create_dataset(other)


def test_run_with_save_dataset_writes_the_dataset(capsys):
    from recbole_vagnn.cli import run as run_command

    run_command.main(["--model", "BPR", "--epochs", "1", "--show_progress=False", "--save_dataset=True"])
    assert os.path.isfile("saved/vagnn-demo-TripartiteDataset.pth")


@pytest.mark.parametrize("model", ["FM", "DeepFM"])
@pytest.mark.parametrize("cold_items", [0, 0.2])
def test_feature_aware_models_learn_from_sampled_negatives_with_the_vlogger_as_a_feature(root, model, cold_items):
    # tripartite data has no rating to threshold into labels: each positive gets one sampled negative, label 0
    config = make_config(model, "tiny", data_path=root, cold_items=cold_items, embedding_size=8, mlp_hidden_size=[8])
    dataset, (train, _, _) = split(config)
    net = get_model(model)(config, train.dataset)
    assert "vlogger_id" in net.token_field_names
    batch = next(iter(train))
    assert sorted(batch["label"].unique().tolist()) == [0.0, 1.0] and batch["label"].sum() * 2 == len(batch)
    result = run_recbole(
        model,
        "tiny",
        config_dict={"data_path": str(root), "epochs": 1, "show_progress": False, "cold_items": cold_items},
    )
    assert 0 <= result["test_result"]["recall@10"] <= 1
