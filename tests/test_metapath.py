"""Meta-path random-walk augmentation and the sparse graph operators."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from recbole_vagnn.experiments.synthetic import as_matrices, generate
from recbole_vagnn.model.layers import bipartite_norm_adj, row_mean_matrix
from recbole_vagnn.model.metapath import augment_views


def synthetic_matrices(users=3000, seed=1):
    inter, item, uvl = generate(users=users, vloggers=150, interactions_per_user=12, seed=seed)
    return as_matrices(inter, item, uvl, users)


def added(augmented, base):
    return sp.coo_matrix(augmented - base)


def test_no_walk_leaves_both_views_unchanged():
    X, Y, Z = synthetic_matrices(500)
    video_view, vlogger_view = augment_views(X, Y, Z, q1=0.0, q2=0.5, seed=0)
    assert (video_view != X).nnz == 0 and (vlogger_view != Y).nnz == 0


def test_user_vlogger_video_walks_add_one_video_of_a_followed_vlogger():
    X, Y, Z = synthetic_matrices(500)
    video_view, vlogger_view = augment_views(X, Y, Z, q1=1.0, q2=0.0, seed=0)
    extra = added(video_view, X)
    assert extra.data.sum() == (np.diff(Y.indptr) > 0).sum()  # every user with a vlogger walks once
    reachable = (Y @ Z).tocsr()  # videos of the user's vloggers
    assert all(reachable[u, v] > 0 for u, v in zip(extra.row, extra.col))
    # U-V-U needs q2 > 0: the vlogger view only gains the U-V-U walks, none here
    assert (vlogger_view != Y).nnz == 0


def matrix(rows):
    return sp.csr_matrix(np.array(rows, dtype=float))


# u0 and u1 follow p0; u1 and u2 follow p1; u_i watches v_i only. With q1 = q2 = 1 every user
# walks to another user: u0 -> u1 and u2 -> u1 surely, u1 -> u0 or u2.
CHAIN = dict(
    X=matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1]]), Y=matrix([[1, 0], [1, 1], [0, 1]]), Z=matrix([[1, 1, 0], [0, 0, 1]])
)


@pytest.mark.parametrize("seed", range(6))
def test_user_vlogger_user_walks_put_the_other_user_into_the_start_users_neighbourhood(seed):
    video_view, _ = augment_views(CHAIN["X"], CHAIN["Y"], CHAIN["Z"], q1=1.0, q2=1.0, seed=seed)
    view = video_view.toarray()
    # paper: the start user takes the other user's videos
    assert view[0].tolist() == [1, 1, 0] and view[2].tolist() == [0, 1, 1]
    assert view[1, 1] == 1 and view[1, [0, 2]].sum() == 1  # u1 took u0's or u2's video


@pytest.mark.parametrize("seed", range(6))
def test_the_authors_direction_gives_the_start_users_videos_to_the_other_user(seed):
    video_view, _ = augment_views(CHAIN["X"], CHAIN["Y"], CHAIN["Z"], q1=1.0, q2=1.0, seed=seed, direction="authors")
    view = video_view.toarray()
    assert view[1].tolist() == [1, 1, 1]  # u0 and u2 both gave their video to u1
    assert view[0, 1] + view[2, 1] == 1  # u1 gave its video to u0 or u2


def test_a_walk_to_another_user_never_lands_on_its_start_user():
    # Every vlogger has exactly two followers and each user watches one video of its own: every
    # walker must reach its partner and take exactly one video (landing on itself would add none).
    n = 400
    users = np.arange(n)
    X = sp.csr_matrix((np.ones(n), (users, users)), shape=(n, n))
    Y = sp.csr_matrix((np.ones(n), (users, users // 2)), shape=(n, n // 2))
    Z = sp.csr_matrix((np.ones(n), (users // 2, users)), shape=(n // 2, n))
    video_view, vlogger_view = augment_views(X, Y, Z, q1=1.0, q2=1.0, seed=0)
    gained = (video_view - X).toarray()
    partner = users ^ 1
    np.testing.assert_array_equal(gained, np.eye(n)[partner])
    assert (vlogger_view != Y).nnz == 0  # nobody shares a video: no U-V-U walk goes anywhere


def test_a_middle_node_without_another_user_adds_nothing():
    X, Y, Z = matrix([[1, 0], [0, 1]]), matrix([[1, 0], [0, 1]]), matrix([[1, 0], [0, 1]])
    video_view, vlogger_view = augment_views(X, Y, Z, q1=1.0, q2=1.0, seed=0)
    assert (video_view != X).nnz == 0 and (vlogger_view != Y).nnz == 0


def test_each_added_pair_weighs_one_whatever_the_copied_weight():
    # u0 and u1 share video v0; u1 watched 3 videos of p0 (weight 3), u0 one of p1.
    X, Y, Z = matrix([[1], [1]]), matrix([[0, 1], [3, 0]]), matrix([[1], [0]])
    _, vlogger_view = augment_views(X, Y, Z, q1=1.0, q2=1.0, seed=0)
    assert vlogger_view.toarray().tolist() == [[1, 1], [3, 1]]


def test_user_video_user_walks_copy_vloggers_within_the_vlogger_view():
    X, Y, Z = synthetic_matrices(500)
    _, vlogger_view = augment_views(X, Y, Z, q1=1.0, q2=1.0, seed=3)
    extra = added(vlogger_view, Y)
    assert extra.nnz > 0
    # a user gains a vlogger only from a co-viewer who had it
    co_viewers = (X @ X.T).tocsr()
    for u, p in list(zip(extra.row, extra.col))[:200]:
        sources = Y[:, p].nonzero()[0]
        assert any(co_viewers[u, s] > 0 for s in sources if s != u)


def test_walk_rates_match_q1_and_q2():
    # User u watches only video u; follows vlogger u % 10, who publishes 5 videos nobody watched.
    # So U-P-V edges land on unwatched videos and U-P-U edges on watched ones.
    n, vloggers = 20000, 10
    users = np.arange(n)
    X = sp.csr_matrix((np.ones(n), (users, users)), shape=(n, n + 5 * vloggers))
    Y = sp.csr_matrix((np.ones(n), (users, users % vloggers)), shape=(n, vloggers))
    published = n + np.arange(5 * vloggers)
    Z = sp.csr_matrix(
        (np.ones(5 * vloggers), (np.arange(5 * vloggers) // 5, published)), shape=(vloggers, n + 5 * vloggers)
    )
    q1, q2 = 0.4, 0.25
    video_view, _ = augment_views(X, Y, Z, q1=q1, q2=q2, seed=11)
    gained = (video_view - X).tocsc()
    upv, upu = gained[:, n:].sum() / n, gained[:, :n].sum() / n
    assert upv == pytest.approx(q1 * (1 - q2), abs=0.01)
    assert upu == pytest.approx(q1 * q2, abs=0.01)


def test_augmentation_is_seeded():
    X, Y, Z = synthetic_matrices(500)
    first = augment_views(X, Y, Z, 0.4, 0.1, seed=5)
    again = augment_views(X, Y, Z, 0.4, 0.1, seed=5)
    other = augment_views(X, Y, Z, 0.4, 0.1, seed=6)
    assert all((a != b).nnz == 0 for a, b in zip(first, again))
    assert any((a != b).nnz > 0 for a, b in zip(first, other))


def test_probabilities_outside_the_unit_interval_are_refused():
    X, Y, Z = synthetic_matrices(100)
    with pytest.raises(ValueError, match="q2"):
        augment_views(X, Y, Z, 0.4, 1.5, seed=0)


def test_symmetric_normalisation_by_hand():
    R = np.array([[1, 1, 0], [0, 1, 0]], dtype=float)  # u0: v0 v1, u1: v1; v2 isolated
    A = bipartite_norm_adj(R).to_dense().numpy()
    assert A[0, 2] == pytest.approx(1 / np.sqrt(2 * 1))  # u0-v0: |N_u0| = 2, |N_v0| = 1
    assert A[0, 3] == pytest.approx(1 / np.sqrt(2 * 2))
    assert A[1, 3] == pytest.approx(1 / np.sqrt(1 * 2))
    np.testing.assert_allclose(A, A.T)
    assert A[4].sum() == 0 and np.trace(A) == 0


def test_row_mean_operator_averages_neighbours():
    M = row_mean_matrix(sp.csr_matrix(np.array([[1, 0, 2], [0, 0, 0]], dtype=float)))
    x = torch.tensor([[1.0], [10.0], [3.0]])
    np.testing.assert_allclose(torch.sparse.mm(M, x).numpy().ravel(), [2.0, 0.0])
