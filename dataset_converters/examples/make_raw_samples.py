"""Write the made-up raw samples of ``examples/wechat/`` and ``examples/takatak/`` (seeded, reproducible).

    python dataset_converters/examples/make_raw_samples.py

Sixty users watch videos of ten vloggers; users prefer five vloggers each, so the samples carry
vlogger signal, and every user and video survives the paper's filters. No row comes from real data.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def views(seed=7, users=60, vloggers=10, videos_per_vlogger=6, views_per_user=30):
    """One row per (user, video) view with the vlogger, a day/second clock and a favoured-vlogger flag."""
    rng = np.random.default_rng(seed)
    video_vlogger = np.repeat(np.arange(vloggers), videos_per_vlogger)
    rows = []
    for user in range(users):
        favourites = rng.choice(vloggers, 5, replace=False)
        weight = np.where(np.isin(video_vlogger, favourites), 4.0, 1.0)
        for order, video in enumerate(
            rng.choice(len(video_vlogger), views_per_user, replace=False, p=weight / weight.sum())
        ):
            rows.append((user, video, video_vlogger[video], order, video_vlogger[video] in favourites))
    frame = pd.DataFrame(rows, columns=["user", "video", "vlogger", "order", "favoured"])
    frame["day"] = 1 + frame["order"] * 14 // views_per_user
    return frame, rng


def wechat(frame, rng):
    length = rng.integers(8, 60, frame["video"].max() + 1)
    feeds = pd.DataFrame(
        {
            "feedid": np.arange(len(length)) + 1000,
            "authorid": frame.drop_duplicates("video").sort_values("video")["vlogger"].to_numpy() + 50,
        }
    )
    feeds["videoplayseconds"] = length
    feeds["bgm_song_id"] = rng.integers(1, 30, len(feeds))
    feeds["bgm_singer_id"] = rng.integers(1, 20, len(feeds))
    n = len(frame)
    loops = np.where(frame["favoured"], rng.uniform(0.5, 3.0, n), rng.uniform(0.0, 1.8, n))
    actions = pd.DataFrame(
        {
            "userid": frame["user"] + 1,
            "feedid": frame["video"] + 1000,
            "date_": frame["day"],
            "device": rng.integers(1, 3, n),
            "read_comment": (rng.random(n) < 0.05).astype(int),
            "comment": (rng.random(n) < 0.02).astype(int),
            "like": (rng.random(n) < np.where(frame["favoured"], 0.3, 0.08)).astype(int),
            "play": (loops * length[frame["video"]] * 1000).round().astype(int),
            "stay": (loops * length[frame["video"]] * 1000 + rng.integers(500, 5000, n)).round().astype(int),
            "click_avatar": (rng.random(n) < np.where(frame["favoured"], 0.15, 0.01)).astype(int),
            "forward": (rng.random(n) < 0.02).astype(int),
            "follow": (rng.random(n) < np.where(frame["favoured"], 0.1, 0.0)).astype(int),
            "favorite": (rng.random(n) < 0.03).astype(int),
        }
    )
    actions.to_csv(HERE / "wechat" / "user_action.csv", index=False)
    feeds.to_csv(HERE / "wechat" / "feed_info.csv", index=False)


def takatak(frame, rng):
    n = len(frame)
    completion = np.where(frame["favoured"], rng.uniform(0.4, 3.0, n), rng.uniform(0.0, 2.0, n)).round(2)
    events = pd.DataFrame(
        {
            "user_id": "u" + frame["user"].astype(str),
            "video_id": "v" + frame["video"].astype(str),
            "vlogger_id": "c" + frame["vlogger"].astype(str),
            "timestamp": 1_700_000_000
            + frame["user"] * 10_000_000
            + frame["order"] * 3_600
            + rng.integers(0, 3_000, n),
            "watch_seconds": (completion * rng.integers(5, 20, n)).round(1),
            "completion_rate": completion,
            "like": (rng.random(n) < np.where(frame["favoured"], 0.3, 0.08)).astype(int),
            "comment": (rng.random(n) < 0.02).astype(int),
            "share": (rng.random(n) < 0.02).astype(int),
            "favorite": (rng.random(n) < 0.03).astype(int),
            "follow": (rng.random(n) < np.where(frame["favoured"], 0.1, 0.0)).astype(int),
            "homepage": (rng.random(n) < np.where(frame["favoured"], 0.15, 0.01)).astype(int),
        }
    )
    events.to_csv(HERE / "takatak" / "events.csv", index=False)


if __name__ == "__main__":
    frame, rng = views()
    wechat(frame, rng)
    takatak(frame, rng)
