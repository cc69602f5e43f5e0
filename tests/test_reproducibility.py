"""Seeded VA-GNN training repeats bit for bit on CPU with two torch threads (RecBole's ``reproducibility``).

With the gathers' backward through advanced indexing (``index_put_`` with atomic float adds across
threads), two such runs on the embedded data differed in the weights after a few dozen steps.
"""

import pytest
import torch

from recbole_vagnn.quick_start import build_data_and_model
from recbole_vagnn.utils import get_trainer

EPOCHS = 4  # 100 optimizer steps of 256 rows on the embedded data


@pytest.fixture
def two_threads():
    saved = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(saved)


def train_once():
    config, model, _, train_data, valid_data, test_data = build_data_and_model(
        "VAGNN", config_dict={"epochs": EPOCHS, "show_progress": False}
    )
    trainer = get_trainer(config["MODEL_TYPE"], "VAGNN")(config, model)
    trainer.fit(train_data, valid_data, saved=False)
    weights = {name: value.clone() for name, value in model.state_dict().items() if value.layout == torch.strided}
    return weights, trainer.evaluate(test_data, load_best_model=False)


@pytest.mark.slow
def test_seeded_training_gives_bitwise_equal_weights_with_two_threads(two_threads):
    first_weights, first_result = train_once()
    second_weights, second_result = train_once()
    assert first_weights.keys() == second_weights.keys()
    differing = [name for name in first_weights if not torch.equal(first_weights[name], second_weights[name])]
    assert not differing, f"weights differ between two seeded runs: {differing}"
    assert first_result == second_result


def test_gather_rows_backward_is_the_same_every_time_and_equals_indexing(two_threads):
    from recbole_vagnn.model.layers import gather_rows

    generator = torch.Generator().manual_seed(0)
    table = torch.randn(1000, 64, generator=generator)
    ids = torch.randint(0, 1000, (5000,), generator=generator)  # 320,000 elements, many repeated ids
    upstream = torch.randn(5000, 64, generator=generator)

    def gradient(gather):
        leaf = table.clone().requires_grad_()
        gather(leaf).backward(upstream)
        return leaf.grad

    reference = gradient(lambda t: gather_rows(t, ids))
    assert torch.equal(gather_rows(table, ids), table[ids])
    torch.testing.assert_close(reference, gradient(lambda t: t[ids]))
    for _ in range(10):
        assert torch.equal(gradient(lambda t: gather_rows(t, ids)), reference)
