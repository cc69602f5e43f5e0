"""VA-GNN against the paper's equations on the tiny graph (3 users, 4 videos, 2 vloggers).

Expected values are computed here independently, node by node from the equations (plain loops
over neighbour sets), and compared with the model's sparse-matrix implementation.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from recbole_vagnn.data import create_dataset
from recbole_vagnn.model import VAGNN
from recbole_vagnn.model.general_recommender.vagnn import ABLATIONS
from tests.conftest import TINY_INTER, TINY_ITEM, TINY_UVL, make_config

D = 4


def build(tiny_root, **overrides):
    settings = dict(embedding_size=D, n_layers=2, walk_q1=0.0, seed=7)
    settings.update(overrides)
    torch.manual_seed(0)
    config = make_config("VAGNN", "tiny", data_path=tiny_root, **settings)
    dataset = create_dataset(config)
    torch.manual_seed(0)
    return VAGNN(config, dataset), dataset


def neighbours(dataset, pairs, left_field, right_field):
    """Neighbour sets of both sides from raw (left, right) token pairs."""
    left, right = {}, {}
    for a, b in pairs:
        i, j = dataset.token2id(left_field, a), dataset.token2id(right_field, b)
        left.setdefault(i, set()).add(j)
        right.setdefault(j, set()).add(i)
    return left, right


def lightgcn_by_hand(left_nb, right_nb, left_e, right_e, n_layers):
    """Eqs. 1-2 (or 6-7) node by node, then the mean over layers 0..L (Eq. 5 / 10)."""
    layers = [(left_e.copy(), right_e.copy())]
    for _ in range(n_layers):
        prev_l, prev_r = layers[-1]
        new_l, new_r = np.zeros_like(left_e), np.zeros_like(right_e)
        for i, nb in left_nb.items():
            for j in nb:
                new_l[i] += prev_r[j] / math.sqrt(len(nb) * len(right_nb[j]))
        for j, nb in right_nb.items():
            for i in nb:
                new_r[j] += prev_l[i] / math.sqrt(len(nb) * len(left_nb[i]))
        layers.append((new_l, new_r))
    return np.mean([l for l, _ in layers], axis=0), np.mean([r for _, r in layers], axis=0)


def views_by_hand(model, dataset):
    eu = model.user_embedding.weight.detach().numpy().astype(np.float64)
    ev = model.item_embedding.weight.detach().numpy().astype(np.float64)
    ep = model.vlogger_embedding.weight.detach().numpy().astype(np.float64)
    uv, vu = neighbours(dataset, [(u, v) for u, v, _ in TINY_INTER], "user_id", "item_id")
    up, pu = neighbours(dataset, TINY_UVL, "user_id", "vlogger_id")
    pv = {}
    for v, p in TINY_ITEM:
        pv.setdefault(dataset.token2id("vlogger_id", p), set()).add(dataset.token2id("item_id", v))
    u1, v1 = lightgcn_by_hand(uv, vu, eu, ev, model.n_layers)
    p1 = np.zeros_like(ep)
    for p, videos in pv.items():  # Eq. 4, mean pooling
        p1[p] = np.mean([v1[v] for v in videos], axis=0)
    u2, p2 = lightgcn_by_hand(up, pu, eu, ep, model.n_layers)
    v2 = np.zeros_like(ev)
    for v, users in vu.items():  # Eq. 9, mean pooling
        v2[v] = np.mean([u2[u] for u in users], axis=0)
    return (u1, v1, p1), (u2, v2, p2)


def test_propagation_and_pooling_match_equations_1_to_10(tiny_root):
    model, dataset = build(tiny_root)
    expected = views_by_hand(model, dataset)
    actual = model.forward()
    for view_expected, view_actual in zip(expected, actual):
        for e, a in zip(view_expected, view_actual):
            np.testing.assert_allclose(a.detach().numpy(), e, rtol=1e-5, atol=1e-6)


def test_score_is_the_gated_mix_of_equations_15_to_17(tiny_root):
    model, dataset = build(tiny_root)
    (u1, v1, p1), (u2, v2, p2) = views_by_hand(model, dataset)
    eu, ev, ep = np.hstack([u1, u2]), np.hstack([v1, v2]), np.hstack([p1, p2])
    Q = model.gate.detach().numpy()
    model.eval()
    for u in range(1, 4):
        for v in range(1, 5):
            p = dataset.item2vlogger[v]
            w = 1 / (1 + math.exp(-(ev[v] @ Q @ ep[p])))
            expected = w * eu[u] @ ev[v] + (1 - w) * eu[u] @ ep[p]
            interaction = {"user_id": torch.tensor([u]), "item_id": torch.tensor([v])}
            assert model.predict(interaction).item() == pytest.approx(expected, rel=1e-4, abs=1e-6)


def infonce_by_hand(a, b, ids, candidates, tau):
    """Eq. 11 literally: mean over i of -log exp(sim(a_i, b_i)/tau) / sum_j exp(sim(a_i, b_j)/tau)."""
    total = 0.0
    for i in ids:
        sims = [F.cosine_similarity(a[i], b[j], dim=0).item() / tau for j in candidates]
        positive = F.cosine_similarity(a[i], b[i], dim=0).item() / tau
        total += -(positive - math.log(sum(math.exp(s) for s in sims)))
    return total / len(ids)


@pytest.mark.parametrize("negatives", ["in_batch", "all"])
@pytest.mark.parametrize("tau", [0.5, 0.05, 0.01])
def test_contrastive_loss_is_infonce_of_equations_11_to_14(tiny_root, negatives, tau):
    model, dataset = build(tiny_root, cl_negatives=negatives, cl_temperature=tau)
    views = model.forward()
    users, videos = torch.tensor([1, 3, 1]), torch.tensor([2, 4, 2])
    vloggers = model.item2vlogger[videos]
    expected = 0.0
    for kind, ids, n in ((0, [1, 3], 4), (1, [2, 4], 5), (2, sorted(set(vloggers.tolist())), 3)):
        candidates = ids if negatives == "in_batch" else range(1, n)
        expected += infonce_by_hand(views[0][kind], views[1][kind], ids, candidates, tau)
    loss = model.contrastive_loss(views, users, videos, vloggers)
    assert torch.isfinite(loss)
    assert loss.item() == pytest.approx(expected / 3, rel=1e-4)


def test_contrastive_loss_falls_as_the_views_agree(tiny_root):
    model, _ = build(tiny_root, cl_temperature=0.05)
    views = model.forward()
    ids = torch.tensor([1, 2, 3])
    agreeing = [views[0], views[0]]
    assert model.contrastive_loss(agreeing, ids, ids + 1, torch.tensor([1, 2])) < model.contrastive_loss(
        views, ids, ids + 1, torch.tensor([1, 2])
    )


def batch(users, pos, neg):
    return {"user_id": torch.tensor(users), "item_id": torch.tensor(pos), "neg_item_id": torch.tensor(neg)}


def test_multitask_loss_of_equations_18_to_20(tiny_root):
    model, dataset = build(tiny_root, vlogger_loss_weight=5.0, cl_weight=0.5, reg_weight=0.1)
    interaction = batch([1, 2], [1, 3], [4, 2])
    model.eval()
    score = lambda u, v: model.predict({"user_id": torch.tensor([u]), "item_id": torch.tensor([v])}).item()
    expected_video = -np.mean([math.log(1 / (1 + math.exp(-(score(1, 1) - score(1, 4))))),
                               math.log(1 / (1 + math.exp(-(score(2, 3) - score(2, 2)))))])
    model.train()
    torch.manual_seed(5)
    video, vlogger, cl, reg = model.calculate_loss(interaction)
    assert video.item() == pytest.approx(expected_video, rel=1e-4)
    torch.manual_seed(5)
    users, pos, neg = model.sample_vlogger_triples(2)
    eu, _, ep = model._concat_views(model.forward())
    margin = (eu[users] * ep[pos]).sum(-1) - (eu[users] * ep[neg]).sum(-1)
    assert vlogger.item() == pytest.approx(5.0 * -F.logsigmoid(margin).mean().item(), rel=1e-4)
    views = model.forward()
    assert cl.item() == pytest.approx(
        0.5 * model.contrastive_loss(views, interaction["user_id"], interaction["item_id"],
                                     model.item2vlogger[interaction["item_id"]]).item(), rel=1e-4)
    assert reg.item() > 0


def test_vlogger_triples_pair_followed_with_unfollowed_vloggers(tiny_root):
    model, dataset = build(tiny_root)
    follows = {(dataset.token2id("user_id", u), dataset.token2id("vlogger_id", p)) for u, p in TINY_UVL}
    users, pos, neg = model.sample_vlogger_triples(200)
    for u, p, n in zip(users.tolist(), pos.tolist(), neg.tolist()):
        assert (u, p) in follows
        assert (u, n) not in follows or u == dataset.token2id("user_id", "u3")  # u3 follows every vlogger
        assert n != 0


def test_gradients_reach_every_parameter(tiny_root):
    model, _ = build(tiny_root)
    sum(model.calculate_loss(batch([1, 2, 3], [1, 3, 2], [4, 2, 3]))).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def scores(model):
    model.eval()
    return model.full_sort_predict({"user_id": torch.tensor([1, 2, 3])}).detach()


@pytest.mark.parametrize("variant", sorted(ABLATIONS))
def test_each_ablation_changes_what_it_should_and_nothing_else(tiny_root, variant):
    full, _ = build(tiny_root)
    ablated, _ = build(tiny_root, **ABLATIONS[variant])
    interaction = batch([1, 2, 3], [1, 3, 2], [4, 2, 3])
    torch.manual_seed(1)
    full_losses = full.calculate_loss(interaction)
    torch.manual_seed(1)
    ablated_losses = ablated.calculate_loss(interaction)
    if variant in "AB":  # a loss term goes, the scores stay
        assert len(ablated_losses) == len(full_losses) - 1
        torch.testing.assert_close(scores(ablated), scores(full))
        # Untouched terms: A keeps video BPR, vlogger BPR and the regulariser; B keeps video BPR
        # (its regulariser loses the vlogger stream's embeddings along with the vlogger loss).
        for kept in ((0, 1, -1) if variant == "A" else (0,)):
            assert ablated_losses[kept].item() == pytest.approx(full_losses[kept].item())
    elif variant == "E":  # scores are e_u . e_v only; Q is unused
        users, videos, _ = full._concat_views(full.forward())
        torch.testing.assert_close(scores(ablated), (users[1:4] @ videos.T).view(-1).detach())
        sum(ablated.calculate_loss(interaction)).backward()
        assert ablated.gate.grad is None
    else:  # one view gone: d-dimensional embeddings, no CL, the view's own table unused
        assert ablated.gate.shape == (D, D)
        assert len(ablated_losses) == len(full_losses) - 1
        unused = ablated.item_embedding if variant == "C" else ablated.vlogger_embedding
        before = scores(ablated)
        with torch.no_grad():
            unused.weight.add_(1.0)
        ablated.train()
        torch.testing.assert_close(scores(ablated), before)


def test_full_sort_predict_equals_predict_on_every_pair(tiny_root):
    model, _ = build(tiny_root, walk_q1=0.5, walk_q2=0.5)
    model.eval()
    full = model.full_sort_predict({"user_id": torch.tensor([1, 2, 3])}).view(3, -1)
    for u in range(1, 4):
        for v in range(5):
            pair = model.predict({"user_id": torch.tensor([u]), "item_id": torch.tensor([v])})
            assert pair.item() == pytest.approx(full[u - 1, v].item(), rel=1e-5, abs=1e-6)


def test_eval_cache_is_dropped_when_training_resumes(tiny_root):
    model, _ = build(tiny_root)
    before = scores(model)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    sum(model.calculate_loss(batch([1, 2], [1, 3], [4, 2]))).backward()
    optimizer.step()
    assert not torch.allclose(scores(model), before)


def test_bad_switches_are_refused(tiny_root):
    with pytest.raises(ValueError, match="at least one"):
        build(tiny_root, use_video_view=False, use_vlogger_view=False)
    with pytest.raises(ValueError, match="cl_negatives"):
        build(tiny_root, cl_negatives="everyone")
    with pytest.raises(ValueError, match="vlogger_view_graph"):
        build(tiny_root, vlogger_view_graph="followers")
