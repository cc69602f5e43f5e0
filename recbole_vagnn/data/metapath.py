"""Meta-path random-walk augmentation of VA-GNN's two views (paper Sec. 4.2-4.3).

One walk per user, all users at once (numpy/scipy, no Python loop over users):

- Video view. With probability ``q1`` a user ``u`` with at least one vlogger walks to a random
  vlogger ``p`` of its vlogger-view graph; then with probability ``q2`` to a random other user
  ``u'`` of ``p`` (U-P-U) and otherwise to a random video ``v`` published by ``p`` (U-P-V).
- Vlogger view. Independently, with probability ``q1`` the user walks to a random video ``v`` it
  watched, then with probability ``q2`` to a random other user ``u'`` of ``v`` (U-V-U).

The paper adds "the nodes at the end of the meta-path" to the propagation neighbourhoods but its
Eqs. 1-2 and 6-7 only sum video (resp. vlogger) embeddings. We keep both views bipartite as the
authors' code does: after U-P-U, ``u'`` gets edges to all of ``u``'s videos; after U-P-V, ``u``
gets an edge to ``v``; after U-V-U, ``u'`` gets edges to all of ``u``'s vloggers. A walk that
lands back on ``u`` adds nothing. Added edges add weight 1 to the matrix entry; the caller decides
whether weights are kept or binarised.
"""

import numpy as np
import scipy.sparse as sp


def random_neighbors(matrix, rows, rng):
    """One uniformly random column index of ``matrix`` (csr) for each of ``rows`` (all non-empty)."""
    start = matrix.indptr[rows]
    degree = matrix.indptr[rows + 1] - start
    return matrix.indices[start + (rng.random(len(rows)) * degree).astype(np.int64)]


def _transfer(sources, targets, n_users):
    """Users x users matrix with a 1 at (target, source) for every walk that reached another user."""
    moved = sources != targets
    return sp.csr_matrix(
        (np.ones(int(moved.sum())), (targets[moved], sources[moved])), shape=(n_users, n_users)
    )


def _walkers(matrix, q, rng):
    """Users with at least one neighbour in ``matrix`` who start a walk (probability ``q``)."""
    has_neighbor = np.diff(matrix.indptr) > 0
    return np.flatnonzero(has_neighbor & (rng.random(matrix.shape[0]) < q))


def _walk(first_hop, copied, q1, q2, rng):
    """One U-x-U walk per user over ``first_hop`` (users x x).

    Returns the rows that walks landing on another user add to ``copied`` (the start user's row
    of ``copied`` goes to the user reached), and, for the walks that stopped at x instead, the
    walkers and their x, for the caller's own last step.
    """
    walkers = _walkers(first_hop, q1, rng)
    middle = random_neighbors(first_hop, walkers, rng)
    to_user = rng.random(len(walkers)) < q2
    other_users = random_neighbors(first_hop.T.tocsr(), middle[to_user], rng)
    added = _transfer(walkers[to_user], other_users, first_hop.shape[0]) @ copied
    return added, walkers[~to_user], middle[~to_user]


def augment_views(interactions, user_vloggers, publishing, q1, q2, seed):
    """Return the augmented ``(video_view, vlogger_view)`` matrices (csr, float).

    Args:
        interactions: X, users x videos (training interactions).
        user_vloggers: Y, users x vloggers (the vlogger view before augmentation).
        publishing: Z, vloggers x videos.
        q1, q2: walk probabilities; ``q1 = 0`` returns X and Y unchanged.
        seed: seed of the numpy generator, so the augmentation is reproducible.
    """
    for name, q in (("q1", q1), ("q2", q2)):
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {q}")
    rng = np.random.default_rng(seed)
    X, Y, Z = (sp.csr_matrix(m, dtype=np.float64) for m in (interactions, user_vloggers, publishing))

    upu, walkers, vloggers = _walk(Y, X, q1, q2, rng)  # U-P-U; the rest stop at a vlogger
    publishes = np.diff(Z.indptr)[vloggers] > 0
    videos = random_neighbors(Z, vloggers[publishes], rng)  # U-P-V
    upv = sp.csr_matrix((np.ones(len(videos)), (walkers[publishes], videos)), shape=X.shape)
    video_view = (X + upu + upv).tocsr()

    uvu, _, _ = _walk(X, Y, q1, q2, rng)  # U-V-U
    vlogger_view = (Y + uvu).tocsr()
    return video_view, vlogger_view
