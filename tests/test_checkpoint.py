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


def test_other_parameters_of_numpy_and_scipy_round_trip_through_a_weights_only_file(tmp_path):
    import numpy as np
    import scipy.sparse as sp

    from recbole_vagnn.trainer.checkpoint import plain_other_parameter, restore_other_parameter

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(2, 2)
            self.other_parameter_name = list(values) + ["layer"]

        def other_parameter(self):
            return {**values, "layer": self.layer}

    values = {
        "csr": sp.random(5, 4, density=0.4, format="csr", random_state=0),
        "csc": sp.random(5, 4, density=0.4, format="csc", random_state=1),
        "dok": sp.random(5, 4, density=0.4, format="dok", random_state=2),  # a dict too
        "coo_array": sp.coo_array(np.eye(3)),
        "dense": np.arange(6, dtype=np.float32).reshape(2, 3),
        "words": np.array(["a", "bc"]),
        "objects": np.array([[1, "a"], [None, 2.0]], dtype=object),
        "scalar": np.float64(2.5),
        "nested": {np.int64(1): [(np.array([1, 2]), [3])]},
        "tensor": torch.ones(2),
        "none": None,
    }
    torch.save(plain_other_parameter(Model()), tmp_path / "other.pth")
    restored = restore_other_parameter(torch.load(tmp_path / "other.pth", weights_only=True))
    assert "layer" not in restored  # the model's own module: its weights are in state_dict
    for key, value in values.items():
        got = restored[key]
        if sp.issparse(value):
            assert type(got) is type(value) and (got != value).nnz == 0, key
        elif isinstance(value, np.ndarray):
            assert got.dtype == value.dtype and got.shape == value.shape and (got == value).all(), key
        elif isinstance(value, torch.Tensor):
            assert torch.equal(got, value)
        elif key != "nested":
            assert got == value and type(got) is not np.float64, key
    ((array, three),) = restored["nested"][1]  # int keys, tuples and lists kept; the array restored inside
    assert list(restored["nested"]) == [1] and array.tolist() == [1, 2] and three == [3]


def test_an_other_parameter_no_checkpoint_can_hold_is_one_clear_error():
    from recbole_vagnn.trainer.checkpoint import plain_other_parameter

    class Model(torch.nn.Module):
        def other_parameter(self):
            return {"handle": object()}

    with pytest.raises(CheckpointError, match="the model keeps handle as a builtins.object, which this package"):
        plain_other_parameter(Model())


@pytest.mark.parametrize("model_name", ["ItemKNN", "EASE", "SLIMElastic", "Pop"])
def test_traditional_models_save_loadable_checkpoints_that_restore_their_matrices(tiny_root, tmp_path, model_name):
    import numpy as np
    import scipy.sparse as sp

    _, model, trainer, valid_data = trained(tiny_root, tmp_path, model_name)
    checkpoint = torch.load(trainer.saved_model_file, weights_only=True)  # raises on any pickled object
    kept = model.other_parameter()
    assert set(checkpoint["other_parameter"]) == set(kept)
    for name in kept:  # forget what training computed; evaluating from the checkpoint restores it
        setattr(model, name, None)
    trainer.evaluate(valid_data, load_best_model=True)
    for name, value in kept.items():
        restored = getattr(model, name)
        assert type(restored) is type(value), name
        if sp.issparse(value):
            assert (restored != value).nnz == 0
        else:
            assert np.array_equal(np.asarray(restored), np.asarray(value))


def test_a_pretraining_run_saves_its_model_in_this_packages_format(tiny_root, tmp_path):
    config = make_config(
        "RaCT", "tiny", data_path=tiny_root, checkpoint_dir=str(tmp_path / "saved"), pretrain_epochs=1, save_step=10
    )
    dataset = create_dataset(config)
    train_data, valid_data, _ = data_preparation(config, dataset)
    model = get_model("RaCT")(config, train_data.dataset)
    trainer = get_trainer(config["MODEL_TYPE"], "RaCT")(config, model)
    trainer.fit(train_data, valid_data, saved=True)
    # save_step 10 saves no epoch of 1: the last one is saved too, RecBole's name, this package's format
    assert trainer.saved_model_file == str(tmp_path / "saved" / "RaCT-tiny-1.pth")
    pretrained = torch.load(trainer.saved_model_file, weights_only=True)  # what RaCT's next stage loads
    assert pretrained["format"] == FORMAT and pretrained["epoch"] == 0
    finetune = get_model("RaCT")(
        make_config(
            "RaCT", "tiny", data_path=tiny_root, train_stage="finetune", pre_model_path=trainer.saved_model_file
        ),
        train_data.dataset,
    )
    assert all(torch.equal(finetune.state_dict()[k], v) for k, v in pretrained["state_dict"].items())
