"""The user-vlogger relation Y of VA-GNN (paper Sec. 5.1), built from interactions and explicit events.

A user is linked to a vlogger by an explicit event (a follow, a homepage visit) or by the paper's
rule: the user interacted with at least ``min_videos`` of the vlogger's videos ("more than two").
Then users and vloggers with fewer than ``min_links`` links are dropped, to a fixed point. The
dataset calls this on the training split only (no validation or test interaction may create a
link); the converters call it on everything for the paper's Table 1 statistics.

No randomness: Y is a function of the files and the config, so every rank of a distributed run
builds the same relation.
"""

import numpy as np
import scipy.sparse as sp

UVL_RULES = ("leak_free", "paper")
"""How the dataset builds Y: from the training split only, or as the paper's Sec. 5.1 reads (leaky)."""


def core_filter(links, min_links):
    """Drop rows and columns of ``links`` (binary csr) with fewer than ``min_links`` entries, repeatedly.

    Returns ``(filtered csr, passes)``; the result is a fixed point: every non-empty row and
    column has at least ``min_links`` entries.
    """
    links = sp.csr_matrix(links, copy=True)
    passes = 0
    while True:
        passes += 1
        row_count = np.diff(links.indptr)
        col_count = np.bincount(links.indices, minlength=links.shape[1])
        bad_rows = (row_count > 0) & (row_count < min_links)
        bad_cols = (col_count > 0) & (col_count < min_links)
        if not (bad_rows.any() or bad_cols.any()):
            return links, passes
        links = (sp.diags((~bad_rows).astype(float)) @ links @ sp.diags((~bad_cols).astype(float))).tocsr()
        links.eliminate_zeros()


def user_vlogger_links(watched_counts, explicit, min_videos, min_links):
    """Binary users x vloggers csr: explicit links, or at least ``min_videos`` watched videos, core-filtered.

    Args:
        watched_counts: users x vloggers, how many interacted videos of each vlogger a user has.
        explicit: users x vloggers, non-zero where an explicit event links them.
        min_videos: the rule's threshold (the paper's 3); 0 turns the rule off.
        min_links: the core filter's threshold (the paper's 5 for WeChat and TakaTak); 1 keeps all.
    """
    links = sp.csr_matrix(explicit, dtype=np.float64, copy=True)
    if min_videos > 0:
        counts = sp.csr_matrix(watched_counts, dtype=np.float64)
        links = links + (counts >= min_videos).astype(np.float64)
    links = sp.csr_matrix(links)
    links.sum_duplicates()
    links.eliminate_zeros()
    links.data[:] = 1.0
    return core_filter(links, min_links)[0]
