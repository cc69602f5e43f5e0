"""Checkpoints hold only tensors and plain values; anything else is refused unless trusted."""

import pytest
import torch
from recbole.data import data_preparation

from recbole_vagnn.data import create_dataset
from recbole_vagnn.trainer.checkpoint import FORMAT, data_digest, load_checkpoint
from recbole_vagnn.utils.errors import CheckpointError
from recbole_vagnn.utils.utils import get_model, get_trainer
from tests.conftest import TINY_ITEM, make_config, write_raw


@pytest.fixture
def tiny_root(tmp_path):
    # an unwatched fifth video leaves RecBole's sampler a negative for u1, who watched v1-v4
    return write_raw(tmp_path / "data", "tiny", item=TINY_ITEM + [("v5", "pB")])


def trained(tiny_root, tmp_path, model_name="VAGNN"):
    config = make_config(
        model_name,
        "tiny",
        data_path=tiny_root,
        checkpoint_dir=str(tmp_path / "saved"),
        embedding_size=4,
        epochs=1,
        cl_weight=0.1,
        topk=[2],
        valid_metric="Recall@2",
    )
    dataset = create_dataset(config)
    train_data, valid_data, _ = data_preparation(config, dataset)
    model = get_model(model_name)(config, train_data.dataset)
    trainer = get_trainer(config["MODEL_TYPE"], model_name)(config, model)
    trainer.fit(train_data, valid_data, saved=True)
    return config, model, trainer, valid_data


@pytest.mark.parametrize("model_name", ["VAGNN", "LightGCN"])
def test_a_saved_checkpoint_loads_with_weights_only_and_restores_the_model(tiny_root, tmp_path, model_name):
    config, model, trainer, valid_data = trained(tiny_root, tmp_path, model_name)
    checkpoint = torch.load(trainer.saved_model_file, weights_only=True)  # raises on any pickled object
    assert checkpoint["format"] == FORMAT and checkpoint["config"]["model"] == model_name
    assert checkpoint["external_config"]["embedding_size"] == 4
    assert checkpoint["config"]["MODEL_TYPE"] == "GENERAL" and isinstance(checkpoint["best_valid_score"], float)
    assert checkpoint["data_sha256"] == data_digest(tiny_root / "tiny", "tiny")
    saved = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(1.0)
    trainer.evaluate(valid_data, load_best_model=True)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in saved.items())


def test_a_checkpoint_with_python_objects_is_refused_unless_trusted(tiny_root, tmp_path):
    config, model, _, _ = trained(tiny_root, tmp_path)
    path = tmp_path / "recbole.pth"
    torch.save({"config": config, "state_dict": model.state_dict()}, path)  # what RecBole 1.2.1 writes
    with pytest.raises(CheckpointError, match="stores Python objects.*pass --trust_checkpoint"):
        load_checkpoint(path)
    assert load_checkpoint(path, trust=True)["config"]["model"] == "VAGNN"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"certainly not a checkpoint" * 4, "not a model checkpoint"),
        (b"", "not a model checkpoint"),
        (None, "file not found"),
    ],
)
def test_a_file_that_is_no_checkpoint_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "model.pth"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_a_plain_file_without_weights_is_no_checkpoint(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pth")
    with pytest.raises(CheckpointError, match="no state_dict and config"):
        load_checkpoint(tmp_path / "other.pth")
