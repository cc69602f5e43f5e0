"""Meta-path random-walk augmentation of VA-GNN's two views (paper Sec. 4.2-4.3).

One walk per user, all users at once (numpy/scipy, no Python loop over users):

- Video view. With probability ``q1`` a user ``u`` with at least one vlogger walks to a random
  vlogger ``p`` of its vlogger-view graph; then with probability ``q2`` to a random user
  ``u' != u`` of ``p`` (U-P-U) and otherwise to a random video ``v`` published by ``p`` (U-P-V).
- Vlogger view. Independently, with probability ``q1`` the user walks to a random video ``v`` it
  watched, then with probability ``q2`` to a random user ``u' != u`` of ``v`` (U-V-U).

"Another user" is drawn among the middle node's users other than ``u``; a walk whose middle node
has no other user stops there and adds nothing (the U-P-V alternative is not taken instead).

The paper adds "the nodes at the end of the meta-path" to ``u``'s neighbourhood, but its Eqs. 1-2
and 6-7 only sum video (resp. vlogger) embeddings. Both views are kept bipartite by copying
neighbourhoods between the two users at the ends of a U-x-U walk. ``direction`` says which way:

- ``paper`` (default): ``u'`` enters ``u``'s neighbourhood, so ``u`` gets edges to all of ``u'``'s
  videos (U-P-U) or vloggers (U-V-U);
- ``authors``: the authors' code copies the other way, ``u'`` gets edges to all of ``u``'s.

After U-P-V, ``u`` gets an edge to ``v``. Every added (user, node) pair adds weight 1 to the
matrix entry, whatever the copied entry's weight; the caller decides whether weights are kept or
binarised.

Several processes: the walk is drawn once per run from ``seed`` alone (not RecBole's per-rank
``seed + local_rank``), so every rank of a distributed run augments both views identically.
"""

import numpy as np
import scipy.sparse as sp

DIRECTIONS = ("paper", "authors")


def random_neighbors(matrix, rows, rng):
    """One uniformly random column index of ``matrix`` (csr) for each of ``rows`` (all non-empty)."""
    start = matrix.indptr[rows]
    degree = matrix.indptr[rows + 1] - start
    return matrix.indices[start + (rng.random(len(rows)) * degree).astype(np.int64)]


def random_other_neighbors(matrix, rows, excluded, rng):
    """For each of ``rows`` of ``matrix`` (csr, sorted indices), a uniformly random column other
    than ``excluded`` (which must be a neighbour of that row). Returns ``(has_other, column)``,
    the columns only for the rows where another neighbour exists.
    """
    start = matrix.indptr[rows]
    degree = matrix.indptr[rows + 1] - start
    has_other = degree > 1
    start, degree, rows, excluded = start[has_other], degree[has_other], rows[has_other], excluded[has_other]
    pick = (rng.random(len(rows)) * (degree - 1)).astype(np.int64)
    pick += pick >= _positions_in_rows(matrix, rows, excluded)  # skip the excluded column
    return has_other, matrix.indices[start + pick]


def _positions_in_rows(matrix, rows, columns):
    """Position of each ``columns[i]`` among the sorted column indices of row ``rows[i]``."""
    row_of_entry = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    keys = row_of_entry * matrix.shape[1] + matrix.indices  # increasing: rows in order, columns sorted
    return np.searchsorted(keys, rows.astype(np.int64) * matrix.shape[1] + columns) - matrix.indptr[rows]


def _pairs(rows, cols, shape):
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)


def _walk(first_hop, copied, q1, q2, direction, rng):
    """One U-x-U walk per user over ``first_hop`` (users x x), copying rows of ``copied`` (binarised).

    Returns the added weights of the walks that reached another user, and, for the walks that
    stopped at x instead, the walkers and their x, for the caller's own last step.
    """
    has_neighbor = np.diff(first_hop.indptr) > 0
    walkers = np.flatnonzero(has_neighbor & (rng.random(first_hop.shape[0]) < q1))
    middle = random_neighbors(first_hop, walkers, rng)
    to_user = rng.random(len(walkers)) < q2
    users_of = first_hop.T.tocsr()
    users_of.sort_indices()
    reached, others = random_other_neighbors(users_of, middle[to_user], walkers[to_user], rng)
    starts = walkers[to_user][reached]
    receivers, givers = (starts, others) if direction == "paper" else (others, starts)
    n_users = first_hop.shape[0]
    binary = copied.sign()
    added = _pairs(receivers, givers, (n_users, n_users)) @ binary
    return added, walkers[~to_user], middle[~to_user]


def augment_views(interactions, user_vloggers, publishing, q1, q2, seed, direction="paper"):
    """Return the augmented ``(video_view, vlogger_view)`` matrices (csr, float).

    Args:
        interactions: X, users x videos (training interactions).
        user_vloggers: Y, users x vloggers (the vlogger view before augmentation).
        publishing: Z, vloggers x videos.
        q1, q2: walk probabilities; ``q1 = 0`` returns X and Y unchanged.
        seed: seed of the numpy generator, so the augmentation is reproducible.
        direction: ``paper`` or ``authors``, see the module docstring.
    """
    for name, q in (("q1", q1), ("q2", q2)):
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {q}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    rng = np.random.default_rng(seed)
    X, Y, Z = (sp.csr_matrix(m, dtype=np.float64) for m in (interactions, user_vloggers, publishing))
    for matrix in (X, Y, Z):
        matrix.sum_duplicates()  # canonical: sorted column indices, as the walk's searches need

    upu, walkers, vloggers = _walk(Y, X, q1, q2, direction, rng)  # U-P-U; the rest stop at a vlogger
    publishes = np.diff(Z.indptr)[vloggers] > 0
    videos = random_neighbors(Z, vloggers[publishes], rng)  # U-P-V
    video_view = (X + upu + _pairs(walkers[publishes], videos, X.shape)).tocsr()

    uvu, _, _ = _walk(X, Y, q1, q2, direction, rng)  # U-V-U
    vlogger_view = (Y + uvu).tocsr()
    return video_view, vlogger_view
