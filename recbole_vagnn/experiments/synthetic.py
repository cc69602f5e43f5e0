"""Synthetic micro-video data with planted vlogger structure.

``recbole-vagnn synthetic OUT_DIR [--name NAME] [--users N] ...`` writes a tripartite dataset in
RecBole atomic files into ``OUT_DIR/NAME/`` (``OUT_DIR`` is the data folder, as for ``convert``). The embedded ``vagnn-demo`` dataset was made with the defaults.

What is planted (all draws from one seeded numpy generator):

- ``topics`` topics; every vlogger has one topic and publishes ``3 + Poisson(videos_per_vlogger - 3)``
  videos (at least 3, median close to ``videos_per_vlogger``, as in the real releases where the
  median is 7-9). A video shares its vlogger's topic with probability ``topic_fidelity``, else it
  gets a random topic. Videos and vloggers have log-normal popularity.
- Every user has Dirichlet topic preferences and follows ``1 + Poisson(follows - 1)`` vloggers,
  drawn by preference for the vlogger's topic times the vlogger's popularity.
- Each of a user's ``5 + Poisson(interactions_per_user - 5)`` interactions is vlogger-driven with
  probability ``vlogger_share`` (a popular video of a followed vlogger) and otherwise
  video-driven (a topic from the user's preferences, then a popular video of that topic from any
  vlogger). Repeated user-video pairs are dropped.
- Timestamps (seconds) increase along each user's sequence from a random start in a 14-day window.
- ``.uvl`` holds the follows as explicit events, each timed up to a week before the user's first
  interaction: users follow, then watch. So no follow depends on which interaction is held out.
  (Timing a follow at the user's first watch of the vlogger, as an earlier version did, drops
  exactly the follows whose first watch is a held-out interaction from the leak-free relation, and
  the relation then points away from the test videos.) The paper's "more than two videos" rule is
  not written: the dataset applies it to the training split (``uvl_min_videos``).

``vlogger_share = 0`` with ``topic_fidelity = 0`` gives data where vloggers carry no signal:
interactions follow topics alone, a video's topic is independent of its vlogger's, and follows are
independent of every held-out interaction (link lift near 1, measured in the manual's user-vlogger relation page).
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recbole_vagnn.cli.base import argument_parser, run_main
from recbole_vagnn.data.atomic import write_tripartite
from recbole_vagnn.utils.errors import ConfigError
from recbole_vagnn.utils.paths import check_dataset_name


def _sample_within_groups(group, weights, group_of_draw, rng):
    """For each draw pick an element of group ``group_of_draw`` with probability ∝ ``weights``.

    Elements are sorted by group; the within-group cumulative weights are shifted by the group id
    so one ``searchsorted`` serves all groups at once. Every drawn group must be non-empty.
    """
    order = np.argsort(group, kind="stable")
    sorted_group, sorted_weights = group[order], weights[order]
    totals = np.bincount(sorted_group, weights=sorted_weights)
    starts = np.concatenate([[0.0], np.cumsum(totals)[:-1]])
    cdf = (np.cumsum(sorted_weights) - starts[sorted_group]) / totals[sorted_group] + sorted_group
    position = np.searchsorted(cdf, group_of_draw + rng.random(len(group_of_draw)) * (1 - 1e-12))
    return order[np.minimum(position, len(order) - 1)]


def generate(
    users=400,
    vloggers=60,
    topics=8,
    videos_per_vlogger=8,
    interactions_per_user=18,
    follows=3,
    vlogger_share=0.5,
    topic_fidelity=0.85,
    seed=2024,
):
    """Return ``(inter, item, uvl)`` DataFrames with raw integer ids (see module docstring)."""
    sizes = {
        "users": users,
        "vloggers": vloggers,
        "topics": topics,
        "videos_per_vlogger": videos_per_vlogger,
        "interactions_per_user": interactions_per_user,
    }
    small = [name for name, size in sizes.items() if size < 1] + (["follows"] if follows < 0 else [])
    if small:
        raise ConfigError(f"{', '.join(small)} must be positive (follows: >= 0)")
    if not (0 <= vlogger_share <= 1 and 0 <= topic_fidelity <= 1):
        raise ConfigError("vlogger_share and topic_fidelity must lie in [0, 1]")
    rng = np.random.default_rng(seed)
    vlogger_topic = rng.integers(topics, size=vloggers)
    vlogger_popularity = rng.lognormal(0.0, 0.8, size=vloggers)
    video_vlogger = np.repeat(np.arange(vloggers), 3 + rng.poisson(max(videos_per_vlogger - 3, 0), size=vloggers))
    n_videos = len(video_vlogger)
    keeps_topic = rng.random(n_videos) < topic_fidelity
    video_topic = np.where(keeps_topic, vlogger_topic[video_vlogger], rng.integers(topics, size=n_videos))
    video_popularity = rng.lognormal(0.0, 1.0, size=n_videos)

    preference = rng.dirichlet(np.full(topics, 0.3), size=users)
    # Follows: Gumbel top-k over log(preference for the vlogger's topic x vlogger popularity),
    # a block of users at a time so memory stays small for large user counts.
    follow_count = np.minimum(1 + rng.poisson(max(follows - 1, 0), size=users), vloggers)
    follow_user = np.repeat(np.arange(users), follow_count)
    follow_vlogger = np.empty(len(follow_user), dtype=np.int64)
    block = max(1, 2_000_000 // vloggers)
    written = 0
    for start in range(0, users, block):
        rows = slice(start, min(start + block, users))
        keys = np.log(preference[rows][:, vlogger_topic] * vlogger_popularity + 1e-12)
        keys += rng.gumbel(size=keys.shape)
        top = np.argsort(-keys, axis=1)[np.arange(vloggers)[None, :] < follow_count[rows, None]]
        follow_vlogger[written : written + len(top)] = top
        written += len(top)

    wanted = 5 + rng.poisson(max(interactions_per_user - 5, 0), size=users)
    draws_per_user = (wanted * 1.6).astype(int) + 2
    draw_user = np.repeat(np.arange(users), draws_per_user)
    n_draws = len(draw_user)
    vlogger_driven = rng.random(n_draws) < vlogger_share
    video = np.empty(n_draws, dtype=np.int64)

    follow_start = np.concatenate([[0], np.cumsum(follow_count)[:-1]])
    du = draw_user[vlogger_driven]
    chosen_vlogger = follow_vlogger[follow_start[du] + (rng.random(len(du)) * follow_count[du]).astype(int)]
    video[vlogger_driven] = _sample_within_groups(video_vlogger, video_popularity, chosen_vlogger, rng)

    du = draw_user[~vlogger_driven]
    cumulative = np.cumsum(preference, axis=1)
    cumulative[:, -1] = 1.0
    topic_draw = (cumulative[du] < rng.random(len(du))[:, None]).sum(axis=1)
    present = np.bincount(video_topic, minlength=topics) > 0
    topic_draw = np.where(present[topic_draw], topic_draw, video_topic[rng.integers(n_videos, size=len(du))])
    video[~vlogger_driven] = _sample_within_groups(video_topic, video_popularity, topic_draw, rng)

    draws = pd.DataFrame({"user_id": draw_user, "item_id": video}).drop_duplicates()
    draws = draws[draws.groupby("user_id").cumcount() < wanted[draws["user_id"].to_numpy()]]
    start = rng.uniform(0, 14 * 86400, size=users)
    gaps = rng.exponential(1800.0, size=len(draws)) + 1.0
    draws["timestamp"] = np.floor(
        start[draws["user_id"].to_numpy()] + draws.assign(g=gaps).groupby("user_id")["g"].cumsum().to_numpy()
    )
    inter = draws.reset_index(drop=True)

    item = pd.DataFrame({"item_id": np.arange(n_videos), "vlogger_id": video_vlogger})
    uvl = pd.DataFrame({"user_id": follow_user, "vlogger_id": follow_vlogger})
    uvl = uvl[uvl["user_id"].isin(inter["user_id"])]
    first_watch = inter.groupby("user_id")["timestamp"].min().loc[uvl["user_id"]].to_numpy()
    uvl["timestamp"] = np.floor(first_watch - rng.uniform(1.0, 7 * 86400.0, size=len(uvl)))
    return inter, item, uvl.sort_values(["user_id", "vlogger_id"]).reset_index(drop=True)


def as_matrices(inter, item, uvl, users):
    """Binary X (users x videos), Y (users x vloggers) and Z (vloggers x videos), csr, from
    :func:`generate`'s frames, whose ids are already dense integers."""
    n_videos, n_vloggers = len(item), int(item["vlogger_id"].max()) + 1

    def matrix(rows, cols, shape):
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)

    return (
        matrix(inter["user_id"], inter["item_id"], (users, n_videos)),
        matrix(uvl["user_id"], uvl["vlogger_id"], (users, n_vloggers)),
        matrix(item["vlogger_id"], item["item_id"], (n_vloggers, n_videos)),
    )


def main(argv=None):
    parser = argument_parser("Write a synthetic tripartite micro-video dataset (see the module docstring).")
    parser.add_argument(
        "out_dir",
        help="data folder: writes OUT_DIR/NAME/NAME.{inter,item,uvl} (use as --data_path), as convert does; "
        "an OUT_DIR that ends in NAME is taken as the dataset folder (the old meaning, with a note)",
    )
    parser.add_argument("--name", default="vagnn-demo", help="dataset name (file stem)")
    for flag, default, text in [
        ("users", 400, "number of users"),
        ("vloggers", 60, "number of vloggers"),
        ("topics", 8, "number of topics"),
        ("videos_per_vlogger", 8, "about the median number of videos per vlogger"),
        ("interactions_per_user", 18, "mean number of interactions per user"),
        ("follows", 3, "mean number of vloggers a user follows"),
        ("seed", 2024, "seed of the generator"),
    ]:
        parser.add_argument(f"--{flag}", type=int, default=default, help=text)
    parser.add_argument(
        "--vlogger_share", type=float, default=0.5, help="share of interactions driven by a followed vlogger"
    )
    parser.add_argument(
        "--topic_fidelity", type=float, default=0.85, help="probability that a video has its vlogger's topic"
    )
    args = parser.parse_args(argv)
    folder = Path(args.out_dir) / check_dataset_name(args.name, "--name")
    if Path(args.out_dir).name == args.name:
        folder = Path(args.out_dir)
        print(
            f"note: OUT_DIR is now the data folder, as for convert; {args.out_dir} ends in the dataset name, so it is "
            f"taken as the dataset folder, as before. Write: recbole-vagnn synthetic {folder.parent} --name {args.name}",
            file=sys.stderr,
        )
    inter, item, uvl = generate(
        users=args.users,
        vloggers=args.vloggers,
        topics=args.topics,
        videos_per_vlogger=args.videos_per_vlogger,
        interactions_per_user=args.interactions_per_user,
        follows=args.follows,
        vlogger_share=args.vlogger_share,
        topic_fidelity=args.topic_fidelity,
        seed=args.seed,
    )
    out = write_tripartite(folder, args.name, inter, item, uvl)
    print(
        f"wrote {out}: {inter['user_id'].nunique()} users, {len(item)} videos, "
        f"{item['vlogger_id'].nunique()} vloggers, {len(inter)} user-video interactions and {len(uvl)} follows"
    )


if __name__ == "__main__":
    run_main(main)
