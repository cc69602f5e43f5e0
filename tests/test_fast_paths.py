"""The faster paths compute what the plain ones did: sparse_mm's backward, InfoNCE's scaling, a VA-GNN step."""

import numpy as np
import scipy.sparse as sp
import torch

from recbole_vagnn.model import layers
from recbole_vagnn.model.layers import bipartite_norm_adj, sparse_mm, to_torch_sparse, transpose_csr


def _gradient(product, matrix, dense, weights):
    dense = dense.clone().requires_grad_(True)
    (product(matrix, dense) * weights).sum().backward()
    return dense.grad


def test_sparse_mm_matches_torch_for_symmetric_and_general_matrices():
    rng = np.random.default_rng(0)
    R = sp.random(30, 20, density=0.2, random_state=1, format="csr")
    symmetric = bipartite_norm_adj(R)
    general = to_torch_sparse(R)
    for matrix, transpose in ((symmetric, None), (general, transpose_csr(general))):
        dense = torch.as_tensor(rng.normal(size=(matrix.shape[1], 4)), dtype=torch.float32)
        weights = torch.as_tensor(rng.normal(size=(matrix.shape[0], 4)), dtype=torch.float32)
        ours = _gradient(lambda m, d, t=transpose: sparse_mm(m, d, t), matrix, dense, weights)
        theirs = _gradient(torch.sparse.mm, matrix, dense, weights)
        assert torch.allclose(sparse_mm(matrix, dense, transpose), torch.sparse.mm(matrix, dense))
        assert torch.allclose(ours, theirs, atol=1e-6)
        assert torch.allclose(ours, matrix.to_dense().T @ weights, atol=1e-6)  # the math, not just torch


def test_a_seeded_vagnn_step_gives_the_same_losses_and_gradients_as_torch_sparse_mm(monkeypatch):
    from recbole.utils import init_seed

    from recbole_vagnn.quick_start import build_data_and_model

    def step():
        config, model, _, train_data, _, _ = build_data_and_model(
            "VAGNN", config_dict={"show_progress": False, "state": "WARNING"}
        )
        init_seed(config["seed"], True)
        batch = next(iter(train_data))
        losses = model.calculate_loss(batch)
        sum(losses).backward()
        return [float(loss) for loss in losses], {n: p.grad.clone() for n, p in model.named_parameters()}

    fast_losses, fast_grads = step()
    monkeypatch.setattr(layers, "_SparseMM", None)  # any use of the fast path would now fail
    monkeypatch.setattr(layers, "sparse_mm", lambda matrix, dense, transpose=None: torch.sparse.mm(matrix, dense))
    import recbole_vagnn.model.general_recommender.vagnn as vagnn_module

    monkeypatch.setattr(vagnn_module, "sparse_mm", layers.sparse_mm)
    slow_losses, slow_grads = step()
    assert np.allclose(fast_losses, slow_losses, rtol=1e-6, atol=0)
    for name, grad in fast_grads.items():
        assert torch.allclose(grad, slow_grads[name], rtol=1e-5, atol=1e-7), name


def test_info_nce_gives_the_loss_and_gradients_of_cross_entropy_over_cosine_logits_over_tau():
    import torch.nn.functional as F

    from recbole_vagnn.model.loss import info_nce

    generator = torch.Generator().manual_seed(3)
    for n, m, tau in ((50, 60, 0.05), (40, 40, 0.5), (7, 300, 5.0), (30, 30, 0.01)):  # 0.01: the row-max shift
        anchors = torch.randn(n, 8, generator=generator, requires_grad=True)
        candidates = torch.randn(m, 8, generator=generator, requires_grad=True)
        target = torch.randint(m, (n,), generator=generator)
        ours = info_nce(anchors, candidates, target, tau)
        ours_grads = torch.autograd.grad(3 * ours, (anchors, candidates))
        cosine = F.cosine_similarity(anchors[:, None, :], candidates[None, :, :], dim=-1)
        reference = F.cross_entropy(cosine / tau, target)
        reference_grads = torch.autograd.grad(3 * reference, (anchors, candidates))
        assert torch.allclose(ours, reference, rtol=1e-5)
        for mine, theirs in zip(ours_grads, reference_grads):
            assert torch.allclose(mine, theirs, rtol=1e-4, atol=1e-5 * float(theirs.abs().max()))  # float rounding
