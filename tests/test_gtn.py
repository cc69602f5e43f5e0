"""GTN: the normalised incidence matrix and one unrolled solver step by hand."""

import numpy as np
import pytest
import torch

from recbole_vagnn.data import create_dataset
from recbole_vagnn.model import GTN
from recbole_vagnn.model.general_recommender.gtn import normalised_incidence
from tests.conftest import make_config


def build(tiny_root, **overrides):
    config = make_config("GTN", "tiny", data_path=tiny_root, **{"embedding_size": 3, "prop_dropout": 0.0, **overrides})
    torch.manual_seed(0)
    return GTN(config, create_dataset(config))


def test_incidence_gives_the_normalised_laplacian():
    R = np.array([[1, 1, 0], [0, 1, 1]], dtype=float)  # users u0 u1, items i0 i1 i2
    B = normalised_incidence(R, 2).toarray()
    assert B.shape == (4, 5)
    A = np.zeros((5, 5))
    A[:2, 2:], A[2:, :2] = R, R.T
    degree = A.sum(axis=1)
    scale = np.diag((degree + 1) ** -0.5)
    np.testing.assert_allclose(B.T @ B, scale @ (np.diag(degree) - A) @ scale, atol=1e-12)
    assert (np.count_nonzero(B, axis=1) == 2).all()  # every row is one edge with two ends


def test_zero_lambda_keeps_the_layer_zero_embeddings(tiny_root):
    model = build(tiny_root, trend_lambda=0.0)
    model.eval()
    torch.testing.assert_close(torch.cat(model.forward()), model.get_ego_embeddings())


def test_one_solver_step_by_hand(tiny_root):
    model = build(tiny_root, n_layers=1, trend_lambda=0.05, gtn_beta=0.5, gtn_gamma=1.0)
    model.eval()
    ego = model.get_ego_embeddings().detach().numpy().astype(float)
    B = model.incidence.to_dense().numpy().astype(float)
    # gamma = 1: Y = E; Z = clip(beta * B E, -lambda, lambda); F = E - B^T Z
    Z = np.clip(0.5 * B @ ego, -0.05, 0.05)
    assert (np.abs(0.5 * B @ ego) > 0.05).any() and (np.abs(0.5 * B @ ego) < 0.05).any()  # both regimes
    np.testing.assert_allclose(torch.cat(model.forward()).detach().numpy(), ego - B.T @ Z, rtol=1e-5, atol=1e-6)


def test_gradients_reach_the_embeddings(tiny_root):
    model = build(tiny_root)
    interaction = {
        "user_id": torch.tensor([1, 2]),
        "item_id": torch.tensor([1, 3]),
        "neg_item_id": torch.tensor([4, 2]),
    }
    model.calculate_loss(interaction).backward()
    assert model.user_embedding.weight.grad.abs().sum() > 0 and model.item_embedding.weight.grad.abs().sum() > 0


def test_embeddings_start_from_the_reference_codes_normal_distribution(tiny_root):
    config = make_config("GTN", "tiny", data_path=tiny_root, embedding_size=2000)
    torch.manual_seed(0)
    model = GTN(config, create_dataset(config))
    weights = torch.cat([model.user_embedding.weight.flatten(), model.item_embedding.weight.flatten()])
    assert abs(weights.mean().item()) < 0.005
    assert weights.std().item() == pytest.approx(0.1, rel=0.02)  # xavier-uniform would give ~0.03
