"""SimGCL: the noise of Eq. (7) of its paper, the layer mean without layer 0, and the loss."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from recbole_vagnn.data import create_dataset
from recbole_vagnn.model import SimGCL
from tests.conftest import make_config


def build(tiny_root, **overrides):
    config = make_config("SimGCL", "tiny", data_path=tiny_root, **{"embedding_size": 4, **overrides})
    torch.manual_seed(0)
    return SimGCL(config, create_dataset(config))


def test_noise_has_length_eps_and_keeps_each_coordinate_in_its_orthant(tiny_root):
    model = build(tiny_root, n_layers=1, eps=0.1)
    clean = torch.cat(model.forward()).detach()
    noisy = torch.cat(model.forward(perturbed=True)).detach()
    difference = noisy - clean
    live = (clean != 0).all(dim=1)  # rows of padding ids propagate to zero and get no noise
    assert live.sum() == 7  # 3 users + 4 videos
    torch.testing.assert_close(difference[live].norm(dim=1), torch.full((7,), 0.1))
    assert (difference * clean >= 0).all()
    assert (difference[~live] == 0).all()


def test_final_embedding_is_the_mean_of_layers_one_to_L(tiny_root):
    model = build(tiny_root, n_layers=2)
    ego = model.get_ego_embeddings()
    first = torch.sparse.mm(model.norm_adj_matrix, ego)
    second = torch.sparse.mm(model.norm_adj_matrix, first)
    torch.testing.assert_close(torch.cat(model.forward()), (first + second) / 2)


def test_loss_terms_and_infonce_by_hand(tiny_root):
    model = build(tiny_root, cl_weight=0.2, cl_temperature=0.2, reg_weight=0.1)
    users, pos, neg = [1, 2, 1], [1, 3, 2], [4, 2, 4]
    interaction = {"user_id": torch.tensor(users), "item_id": torch.tensor(pos), "neg_item_id": torch.tensor(neg)}
    torch.manual_seed(9)
    bpr, reg, cl = model.calculate_loss(interaction)
    torch.manual_seed(9)
    model.forward()  # the clean forward draws no noise; replay the two noisy ones
    users_a, items_a = model.forward(perturbed=True)
    users_b, items_b = model.forward(perturbed=True)
    expected = 0.0
    for ids, a, b in (([1, 2], users_a, users_b), ([1, 2, 3], items_a, items_b)):
        for i in ids:
            sims = {j: F.cosine_similarity(a[i], b[j], dim=0).item() / 0.2 for j in ids}
            expected += (-(sims[i] - math.log(sum(math.exp(s) for s in sims.values())))) / len(ids)
    assert cl.item() == pytest.approx(0.2 * expected, rel=1e-4)
    # BPR and the reference code's regulariser on the propagated (layer 1..L mean) embeddings
    ego = model.get_ego_embeddings().detach().numpy().astype(np.float64)
    A = model.norm_adj_matrix.to_dense().numpy().astype(np.float64)
    final = (A @ ego + A @ A @ ego) / 2
    eu, ei = final[: model.n_users], final[model.n_users :]
    margins = [eu[u] @ ei[p] - eu[u] @ ei[n] for u, p, n in zip(users, pos, neg)]
    assert bpr.item() == pytest.approx(np.mean([-math.log(1 / (1 + math.exp(-m))) for m in margins]), rel=1e-4)
    expected_reg = (np.linalg.norm(eu[users]) + np.linalg.norm(ei[pos])) / len(users)
    assert reg.item() == pytest.approx(0.1 * expected_reg, rel=1e-4)
    (bpr + reg + cl).backward()
    assert model.user_embedding.weight.grad.abs().sum() > 0 and model.item_embedding.weight.grad.abs().sum() > 0
