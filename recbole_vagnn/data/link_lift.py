"""Link lift: whether a dataset's user-creator relation says anything about what users watch next.

VA-GNN's vlogger view and vlogger loss help only if a user's next video tends to come from a
vlogger the user is linked to in the training relation Y. The check compares two shares over the
users with a test interaction:

- ``share``: the fraction of test interactions whose vlogger is linked to the user in Y;
- ``base_rate``: the mean over those users of the fraction of their candidate videos (every video
  but those the full ranking excludes: the training and validation history) whose vlogger is
  linked to them.

``lift = share / base_rate``. Near 1 or below, the relation carries no signal for ranking (or
points away from it) and the vlogger loss cannot help; the benchmark and converters print it
before anyone trains.
"""

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recbole_vagnn.data.user_vlogger import user_vlogger_links


def link_lift(relation, vlogger_of, history, test_users, test_items, n_videos):
    """The signal check (module docstring) from matrices; returns a dict, or None without test users.

    Args:
        relation: users x vloggers, non-zero where the training relation Y links them.
        vlogger_of: per video id, its vlogger id (a padding video's vlogger must link nobody).
        history: users x videos, non-zero for the videos excluded from the user's ranking.
        test_users, test_items: aligned arrays, one test interaction each.
        n_videos: the number of real videos, the candidates before exclusions.

    Nothing of size users x videos is built: per user, the linked candidates are the videos of
    its linked vloggers less the linked videos in its history.
    """
    test_users, test_items = np.array(test_users, dtype=np.int64), np.array(test_items, dtype=np.int64)
    if len(test_users) == 0:
        return None
    relation = sp.csr_matrix(relation, dtype=np.float64, copy=True)
    relation.data[:] = 1.0
    vlogger_of = np.array(vlogger_of, dtype=np.int64)
    videos_per_vlogger = np.bincount(vlogger_of, minlength=relation.shape[1]).astype(np.float64)
    excluded = sp.csr_matrix(history)[test_users].tocoo()
    excluded.sum_duplicates()
    excluded_linked = np.asarray(relation[test_users[excluded.row], vlogger_of[excluded.col]]).ravel()
    linked_candidates = relation[test_users] @ videos_per_vlogger - np.bincount(
        excluded.row, weights=excluded_linked, minlength=len(test_users)
    )
    candidates = n_videos - np.bincount(excluded.row, minlength=len(test_users))
    hits = np.asarray(relation[test_users, vlogger_of[test_items]]).ravel() > 0
    share, base_rate = float(hits.mean()), float(np.mean(linked_candidates / np.maximum(candidates, 1)))
    return {
        "share": share,
        "base_rate": base_rate,
        "lift": share / base_rate if base_rate > 0 else float("nan"),
        "users": int(len(test_users)),
    }


def format_link_lift(result, creators="vlogger", items="videos"):
    """One line for logs and tables, with a warning where the relation carries no signal.

    ``creators`` and ``items`` name the two sides (``"creator"``, ``"items"`` for generic data).
    """
    if result is None:
        return "link lift: no test interaction to measure it on"
    if result["base_rate"] * result["users"] < 1:  # 0/0, or a share too small to compare with
        return (
            f"link lift not measurable: at a base rate of {100 * result['base_rate']:.3g}% of candidate {items}, "
            f"fewer than one of the {result['users']} test interactions would come from a linked {creators} "
            f"by chance; the {creators} relation has too few links to tell whether it carries signal"
        )
    line = (
        f"link lift {result['lift']:.2f}: {100 * result['share']:.1f}% of test interactions come from a linked "
        f"{creators}, against a base rate of {100 * result['base_rate']:.1f}% of candidate {items} "
        f"({result['users']} test users)"
    )
    if not result["lift"] > 1.2:
        line += f"; the relation carries little or no signal here, so VA-GNN's {creators} loss cannot help"
    return line


def leave_one_out_link_lift(inter, item, events, min_videos=3):
    """:func:`link_lift` of raw frames under the paper's split, for converters (no RecBole needed).

    ``inter`` has ``user_id, item_id, timestamp`` (file order breaks ties of time), ``item``
    ``item_id, vlogger_id``, ``events`` ``user_id, vlogger_id[, timestamp]`` (a missing time is
    known before training). Per user with at least 3 interactions, the last is the test
    interaction and the second last the validation one; Y holds the events before the user's
    validation interaction and the ``min_videos`` rule over the training interactions, as the
    dataset builds it (``uvl_rule: leak_free``, ``uvl_min_links: 1``).
    """
    users, user_index = np.unique(np.asarray(inter["user_id"]).astype(str), return_inverse=True)
    videos, video_index = np.unique(np.asarray(item["item_id"]).astype(str), return_inverse=True)
    vloggers, vlogger_index = np.unique(np.asarray(item["vlogger_id"]).astype(str), return_inverse=True)
    video_of = pd.Series(np.arange(len(videos)), index=videos)
    frame = pd.DataFrame(
        {
            "user": user_index,
            "video": video_of.reindex(np.asarray(inter["item_id"]).astype(str)).to_numpy(),
            "time": np.asarray(inter["timestamp"], dtype=float),
        }
    ).dropna(subset=["video"])
    frame["video"] = frame["video"].astype(np.int64)
    frame = frame.sort_values(["user", "time"], kind="stable")
    from_end = frame.groupby("user").cumcount(ascending=False).to_numpy()
    long_enough = frame.groupby("user")["user"].transform("size").to_numpy() >= 3
    test, valid = frame[(from_end == 0) & long_enough], frame[(from_end == 1) & long_enough]
    train = frame[~((from_end <= 1) & long_enough)]
    shape = (len(users), len(videos))

    def matrix(part):
        return sp.csr_matrix((np.ones(len(part)), (part["user"], part["video"])), shape=shape)

    vlogger_of = np.empty(len(videos), dtype=np.int64)
    vlogger_of[video_index] = vlogger_index
    publish = sp.csr_matrix(
        (np.ones(len(videos)), (vlogger_of, np.arange(len(videos)))), shape=(len(vloggers), len(videos))
    )
    first_held_out = np.full(len(users), np.inf)
    first_held_out[valid["user"].to_numpy()] = valid["time"].to_numpy()
    event_users = pd.Series(np.arange(len(users)), index=users).reindex(np.asarray(events["user_id"]).astype(str))
    event_vloggers = pd.Series(np.arange(len(vloggers)), index=vloggers).reindex(
        np.asarray(events["vlogger_id"]).astype(str)
    )
    times = np.asarray(events["timestamp"], dtype=float) if "timestamp" in events else np.full(len(events), np.nan)
    known = event_users.notna().to_numpy() & event_vloggers.notna().to_numpy()
    eu, ev, et = (
        event_users.to_numpy()[known].astype(np.int64),
        event_vloggers.to_numpy()[known].astype(np.int64),
        times[known],
    )
    before = np.isnan(et) | (et < first_held_out[eu])
    explicit = sp.csr_matrix((np.ones(int(before.sum())), (eu[before], ev[before])), shape=(len(users), len(vloggers)))
    relation = user_vlogger_links(matrix(train) @ publish.T, explicit, min_videos, 1)
    return link_lift(
        relation,
        vlogger_of,
        matrix(train) + matrix(valid),
        test["user"].to_numpy(),
        test["video"].to_numpy(),
        len(videos),
    )
