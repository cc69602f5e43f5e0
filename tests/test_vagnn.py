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
from recbole_vagnn.model.ablations import ABLATIONS
from tests.conftest import TINY_INTER, TINY_ITEM, TINY_UVL, make_config, write_raw

D = 4


def build(tiny_root, **overrides):
    # The hand-computed cases train on the whole tiny dataset: its relation is every event (uvl_rule: paper).
    settings = dict(embedding_size=D, n_layers=2, walk_q1=0.0, seed=7, uvl_rule="paper")
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
    return np.mean([left for left, _ in layers], axis=0), np.mean([r for _, r in layers], axis=0)


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


def assert_gated_scores(model, dataset, eu, ev, ep, gate):
    """Eq. 16 pair by pair: y_uv = w e_u.e_v + (1 - w) e_u.e_p, with w = ``gate(e_v, e_p)``."""
    model.eval()
    for u in range(1, 4):
        for v in range(1, 5):
            p = dataset.item2vlogger[v]
            w = gate(ev[v], ep[p])
            expected = w * eu[u] @ ev[v] + (1 - w) * eu[u] @ ep[p]
            interaction = {"user_id": torch.tensor([u]), "item_id": torch.tensor([v])}
            assert model.predict(interaction).item() == pytest.approx(expected, rel=1e-4, abs=1e-6)


def learned_gate(model):
    """Eq. 17: w = sigmoid(e_v^T Q e_p)."""
    Q = model.gate.detach().numpy()
    return lambda video, vlogger: 1 / (1 + math.exp(-(video @ Q @ vlogger)))


def test_score_is_the_gated_mix_of_equations_15_to_17(tiny_root):
    model, dataset = build(tiny_root)
    (u1, v1, p1), (u2, v2, p2) = views_by_hand(model, dataset)
    eu, ev, ep = np.hstack([u1, u2]), np.hstack([v1, v2]), np.hstack([p1, p2])
    assert_gated_scores(model, dataset, eu, ev, ep, learned_gate(model))


def test_fixed_gate_averages_the_two_parts_of_equation_16(tiny_root):
    model, dataset = build(tiny_root, use_gate=False)
    (u1, v1, p1), (u2, v2, p2) = views_by_hand(model, dataset)
    eu, ev, ep = np.hstack([u1, u2]), np.hstack([v1, v2]), np.hstack([p1, p2])
    assert_gated_scores(model, dataset, eu, ev, ep, lambda video, vlogger: 0.5)
    w, _, _ = model.score_parts(torch.tensor([1, 2]), torch.tensor([1, 3]))
    assert w.tolist() == [0.5, 0.5]


def test_sum_fusion_adds_the_views_and_keeps_the_contrastive_loss(tiny_root):
    model, dataset = build(tiny_root, view_fusion="sum")
    assert model.gate.shape == (D, D)
    (u1, v1, p1), (u2, v2, p2) = views_by_hand(model, dataset)
    assert_gated_scores(model, dataset, u1 + u2, v1 + v2, p1 + p2, learned_gate(model))
    model.train()
    assert model.loss_names == ["video BPR", "vlogger BPR", "CL", "L2"]
    assert len(model.calculate_loss(batch([1, 2], [1, 3], [4, 2]))) == 4


def test_video_core_scores_as_lightgcn_on_the_interactions(tiny_root):
    """Every vlogger part off (the second tuning grid): LightGCN's propagation and y = e_u.e_v."""
    model, dataset = build(
        tiny_root, use_vlogger_view=False, use_vlogger_loss=False, use_vlogger_score=False, walk_q1=0.0
    )
    (u1, v1, _), _ = views_by_hand(model, dataset)
    model.eval()
    full = model.full_sort_predict({"user_id": torch.tensor([1, 2, 3])}).view(3, -1).detach().numpy()
    np.testing.assert_allclose(full[:, 1:], u1[1:4] @ v1[1:].T, rtol=1e-4, atol=1e-6)
    assert model.loss_names == ["video BPR", "L2"]


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


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_multitask_loss_of_equations_18_to_20(tiny_root, monkeypatch):
    model, dataset = build(tiny_root, vlogger_loss_weight=5.0, cl_weight=0.5, reg_weight=0.1)
    views = views_by_hand(model, dataset)
    eu, ev, ep = (np.hstack([views[0][k], views[1][k]]) for k in range(3))
    Q = model.gate.detach().numpy().astype(np.float64)
    vlogger_of = dataset.item2vlogger

    def score(u, v):  # Eqs. 15-17
        p = vlogger_of[v]
        w = sigmoid(ev[v] @ Q @ ep[p])
        return w * eu[u] @ ev[v] + (1 - w) * eu[u] @ ep[p]

    users, pos, neg = [1, 2], [1, 3], [4, 2]
    pA, pB = dataset.token2id("vlogger_id", ["pA", "pB"])
    u1, u2 = dataset.token2id("user_id", ["u1", "u2"])
    t_users, t_pos, t_neg = [u1, u2], [pA, pB], [pB, pA]  # (user, linked, unlinked) vlogger triples
    monkeypatch.setattr(model, "sample_vlogger_triples", lambda size: tuple(map(torch.tensor, (t_users, t_pos, t_neg))))
    video, vlogger, cl, reg = model.calculate_loss(batch(users, pos, neg))

    expected_video = np.mean([-math.log(sigmoid(score(u, p) - score(u, n))) for u, p, n in zip(users, pos, neg)])
    assert video.item() == pytest.approx(expected_video, rel=1e-4)
    expected_vlogger = np.mean(
        [-math.log(sigmoid(eu[u] @ ep[p] - eu[u] @ ep[n])) for u, p, n in zip(t_users, t_pos, t_neg)]
    )
    assert vlogger.item() == pytest.approx(5.0 * expected_vlogger, rel=1e-4)
    expected_cl = 0.0
    for kind, ids in ((0, sorted(set(users))), (1, sorted(set(pos))), (2, sorted({vlogger_of[v] for v in pos}))):
        a, b = (torch.as_tensor(view[kind]) for view in views)
        expected_cl += infonce_by_hand(a, b, ids, ids, model.cl_temperature) / 3
    assert cl.item() == pytest.approx(0.5 * expected_cl, rel=1e-4)
    # squared L2 of every layer-0 row the batch touches (repeats count), / (2 x batch size)
    e0 = [
        t.weight.detach().numpy().astype(np.float64)
        for t in (model.user_embedding, model.item_embedding, model.vlogger_embedding)
    ]
    rows = (users + t_users, pos + neg, [vlogger_of[v] for v in pos + neg] + t_pos + t_neg)
    expected_reg = sum((table[ids] ** 2).sum() for table, ids in zip(e0, rows)) / (2 * len(users))
    assert reg.item() == pytest.approx(0.1 * expected_reg, rel=1e-4)


@pytest.mark.parametrize(
    "sampling, expected",
    [
        ("pair", {("u1", "pA"): 1 / 4, ("u2", "pB"): 1 / 4, ("u3", "pA"): 1 / 4, ("u3", "pB"): 1 / 4}),
        ("user", {("u1", "pA"): 1 / 3, ("u2", "pB"): 1 / 3, ("u3", "pA"): 1 / 6, ("u3", "pB"): 1 / 6}),
    ],
)
def test_vlogger_triples_follow_the_chosen_distribution(tiny_root, sampling, expected):
    model, dataset = build(tiny_root, vlogger_sampling=sampling)
    torch.manual_seed(3)
    n = 30000
    users, pos, neg = model.sample_vlogger_triples(n)
    user_tokens = dataset.id2token("user_id", users.numpy())
    drawn = list(zip(user_tokens, dataset.id2token("vlogger_id", pos.numpy())))
    for pair, share in expected.items():
        assert drawn.count(pair) / n == pytest.approx(share, abs=0.01)
    negatives = set(zip(user_tokens, dataset.id2token("vlogger_id", neg.numpy())))
    assert (neg != 0).all()
    assert not {(u, p) for u, p in negatives if u != "u3"} & set(TINY_UVL)  # u3 follows every vlogger


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
        for kept in (0, 1, -1) if variant == "A" else (0,):
            assert ablated_losses[kept].item() == pytest.approx(full_losses[kept].item())
    elif variant == "E":  # scores are e_u . e_v only; Q is unused
        users, videos, _ = full._fuse_views(full.forward())
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
    with pytest.raises(ValueError, match="'cl_temperature' must be a number > 0, got 0"):
        build(tiny_root, cl_temperature=0)
    with pytest.raises(ValueError, match="'view_fusion' must be one of 'concat', 'sum'"):
        build(tiny_root, view_fusion="mean")
    with pytest.raises(ValueError, match="'use_gate' must be True or False"):
        build(tiny_root, use_gate="no")


# u1, u2 follow pA and u3, u4 follow pB; u1 and u3 watch v1 v2, u2 and u4 watch v3 v4. With
# q1 = q2 = 1 every walk is forced: U-P-U gives u1 u2's videos (and so on), U-V-U gives u1 u3's
# vloggers. Both augmented views are complete bipartite graphs.
PAIRS_INTER = [
    (u, v, t)
    for u, videos in (("u1", "v1 v2"), ("u2", "v3 v4"), ("u3", "v1 v2"), ("u4", "v3 v4"))
    for t, v in enumerate(videos.split(), start=1)
]
PAIRS_ITEM = [("v1", "pA"), ("v2", "pB"), ("v3", "pA"), ("v4", "pB")]
PAIRS_UVL = [("u1", "pA"), ("u2", "pA"), ("u3", "pB"), ("u4", "pB")]


def test_propagation_with_the_walk_on_uses_the_augmented_neighbourhoods(tmp_path):
    root = write_raw(tmp_path, "pairs", inter=PAIRS_INTER, item=PAIRS_ITEM, uvl=PAIRS_UVL)
    torch.manual_seed(0)
    config = make_config(
        "VAGNN", "pairs", data_path=root, embedding_size=D, n_layers=2, walk_q1=1.0, walk_q2=1.0, uvl_rule="paper"
    )
    dataset = create_dataset(config)
    model = VAGNN(config, dataset)
    users, videos = ["u1", "u2", "u3", "u4"], ["v1", "v2", "v3", "v4"]
    uv, vu = neighbours(dataset, [(u, v) for u in users for v in videos], "user_id", "item_id")
    up, pu = neighbours(dataset, [(u, p) for u in users for p in ("pA", "pB")], "user_id", "vlogger_id")
    base_uv, _ = neighbours(dataset, [(u, v) for u, v, _ in PAIRS_INTER], "user_id", "item_id")
    assert uv != base_uv  # the walk changed the neighbourhoods
    eu, ev, ep = (
        t.weight.detach().numpy().astype(np.float64)
        for t in (model.user_embedding, model.item_embedding, model.vlogger_embedding)
    )
    u1, v1 = lightgcn_by_hand(uv, vu, eu, ev, 2)
    u2, p2 = lightgcn_by_hand(up, pu, eu, ep, 2)
    (m_u1, m_v1, _), (m_u2, _, m_p2) = model.forward()
    for expected, actual in ((u1, m_u1), (v1, m_v1), (u2, m_u2), (p2, m_p2)):
        np.testing.assert_allclose(actual.detach().numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bias", [1.0, -2.0, float("inf"), -float("inf")])
def test_gate_bias_shifts_equation_17_and_its_limits_are_the_parts_alone(tiny_root, bias):
    model, dataset = build(tiny_root)
    (u1, v1, p1), (u2, v2, p2) = views_by_hand(model, dataset)
    eu, ev, ep = np.hstack([u1, u2]), np.hstack([v1, v2]), np.hstack([p1, p2])
    model.gate_bias.fill_(bias)
    gate = learned_gate(model)
    if math.isinf(bias):  # w = 1: the video part alone; w = 0: the vlogger part alone
        assert_gated_scores(model, dataset, eu, ev, ep, lambda video, vlogger: float(bias > 0))
    else:
        assert_gated_scores(
            model,
            dataset,
            eu,
            ev,
            ep,
            lambda video, vlogger: sigmoid(math.log(gate(video, vlogger) / (1 - gate(video, vlogger))) + bias),
        )


def test_calibration_keeps_the_best_bias_and_a_tie_keeps_the_papers_gate(tiny_root):
    model, _ = build(tiny_root)
    model.eval()
    tried = []
    scores = {0.0: 0.30, -1.0: 0.31, 1.0: 0.28, -2.0: 0.31, 2.0: 0.2, -float("inf"): 0.25, float("inf"): 0.29}

    def validation_score():  # the score the model's current bias earns
        tried.append(float(model.gate_bias))
        return scores[tried[-1]]

    assert model.calibrate_gate(validation_score) == scores
    assert tried == [0.0, -1.0, 1.0, -2.0, 2.0, -float("inf"), float("inf")]
    assert float(model.gate_bias) == -1.0  # -1 and -2 tie at the best: the earlier one
    model.calibrate_gate(lambda: 0.5)
    assert float(model.gate_bias) == 0.0
    ablated, _ = build(tiny_root, use_vlogger_score=False)
    assert ablated.calibrate_gate(lambda: 1 / 0) == {}  # (E) has no gate: nothing is evaluated


def test_part_loss_is_bpr_on_each_part_of_equation_16_alone(tiny_root):
    model, dataset = build(tiny_root, part_loss_weight=0.5, use_vlogger_loss=False, use_cl=False, reg_weight=0.0)
    views = views_by_hand(model, dataset)
    eu, ev, ep = (np.hstack([views[0][k], views[1][k]]) for k in range(3))
    users, pos, neg = [1, 2, 3], [1, 3, 2], [4, 2, 1]
    assert model.loss_names == ["video BPR", "parts BPR", "L2"]
    _, parts, _ = model.calculate_loss(batch(users, pos, neg))
    vlogger_of = dataset.item2vlogger

    def bpr(score):
        return np.mean([-math.log(sigmoid(score(u, p) - score(u, n))) for u, p, n in zip(users, pos, neg)])

    expected = bpr(lambda u, v: eu[u] @ ev[v]) + bpr(lambda u, v: eu[u] @ ep[vlogger_of[v]])
    assert parts.item() == pytest.approx(0.5 * expected, rel=1e-4)


def test_a_checkpoint_from_before_the_gate_bias_loads_with_the_papers_gate(tiny_root):
    model, _ = build(tiny_root)
    state = {k: v for k, v in model.state_dict().items() if k != "gate_bias"}
    model.gate_bias.fill_(3.0)
    model.load_state_dict(state)
    assert float(model.gate_bias) == 0.0


def test_a_video_without_training_interactions_is_scored_by_its_vlogger(tiny_root):
    model, dataset = build(tiny_root)
    (u1, v1, p1), (u2, v2, p2) = views_by_hand(model, dataset)
    eu, ev, ep = np.hstack([u1, u2]), np.hstack([v1, v2]), np.hstack([p1, p2])
    cold = 2
    model.trained_videos[cold] = False  # as if video 2's interactions were all held out
    gate = learned_gate(model)
    vlogger_of = dataset.item2vlogger

    def w(video, vlogger):
        return 0.0 if np.array_equal(video, ev[cold]) else gate(video, vlogger)

    assert_gated_scores(model, dataset, eu, ev, ep, w)
    model.train()
    rows = [torch.as_tensor(x, dtype=torch.float32) for x in (eu[[1, 1]], ev[[3, cold]], ep[vlogger_of[[3, cold]]])]
    scores, _, _ = model._score_pairs(*rows, torch.tensor([3, cold]))
    assert scores[1].item() == pytest.approx(eu[1] @ ep[vlogger_of[cold]], rel=1e-5)  # w = 0 in training too
    model.gate_bias.fill_(float("inf"))  # the video part alone, for every video
    assert_gated_scores(model, dataset, eu, ev, ep, lambda video, vlogger: 1.0)
    paper, _ = build(tiny_root, cold_video_score="gate")
    paper.trained_videos[cold] = False
    assert_gated_scores(paper, dataset, eu, ev, ep, gate)
