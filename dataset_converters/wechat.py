"""WeChat Big Data Challenge 2021 -> tripartite atomic files, with the paper's rules.

``python -m dataset_converters.wechat RAW_DIR OUT_DIR [--name wechat] [flags]`` reads
``RAW_DIR/user_action.csv`` (userid, feedid, date_, device, read_comment, comment, like, play,
stay, click_avatar, forward, follow, favorite; play and stay in milliseconds) in chunks, and
``RAW_DIR/feed_info.csv`` (feedid, authorid, videoplayseconds, ...); either file may be gzip
compressed (``.csv.gz``). ``userid`` and ``feedid`` must be integers that fit 64 bits.

- Positive user-video interaction (paper Sec. 5.1): any explicit feedback (read_comment, comment,
  like, forward, favorite) or a watch loop play / (1000 x videoplayseconds) > ``--min_loop`` (1.5) or
  a watch time play / 1000 > ``--min_watch_seconds`` (60).
- Explicit user-vlogger event: ``follow`` or ``click_avatar`` (a visit to the author's homepage)
  on any of the author's videos, positive or not, with that row's timestamp.
- Timestamps: the data has only a day (``date_``); timestamp = date_ + row / rows, where row is the
  line's position in user_action.csv, so the file order breaks ties inside a day and RecBole's
  leave-one-out by time is deterministic. Events and interactions share this clock, so a follow
  on a user's test row is at the test interaction's time and stays out of training.
- A video length (``videoplayseconds``) that is missing, zero or negative is unknown: no loop
  count is computed for it (the other rules still apply).
- Then the filters of :mod:`recbole_vagnn.dataset_converters.common`, to a fixed point.

Rows naming a video missing from feed_info.csv or without an author, and videos without a
length (no loop can be computed, the other rules still apply), are dropped or handled with a
logged count.
"""

import numpy as np
import pandas as pd

from .common import (
    ConversionError,
    base_parser,
    drop_duplicates_logged,
    filter_and_finish,
    logger,
    parse_args,
    raw_file,
    read_checked_csv,
    run_cli,
)

EXPLICIT_FEEDBACK = ["read_comment", "comment", "like", "forward", "favorite"]
EXPLICIT_VLOGGER = ["follow", "click_avatar"]
ID_COLUMNS = ["userid", "feedid"]
NUMERIC_COLUMNS = ["date_", "play"] + EXPLICIT_FEEDBACK + EXPLICIT_VLOGGER
ACTION_COLUMNS = ID_COLUMNS + NUMERIC_COLUMNS
RAW_COLUMNS = {
    "user_action.csv": [
        ("userid", "integer user id"),
        ("feedid", "integer video id (a feedid of feed_info.csv)"),
        ("date_", "day number of the action (1, 2, ...)"),
        ("play", "milliseconds played"),
        ("read_comment", "0/1: read the comments (explicit feedback)"),
        ("comment", "0/1: commented (explicit feedback)"),
        ("like", "0/1: liked (explicit feedback)"),
        ("forward", "0/1: forwarded (explicit feedback)"),
        ("favorite", "0/1: favourited (explicit feedback)"),
        ("follow", "0/1: followed the video's author (user-vlogger event)"),
        ("click_avatar", "0/1: opened the author's homepage (user-vlogger event)"),
    ],
    "feed_info.csv": [
        ("feedid", "integer video id"),
        ("authorid", "the video's author (vlogger), any id"),
        ("videoplayseconds", "video length in seconds"),
    ],
}


def read_feeds(path):
    feeds = pd.concat(read_checked_csv(path, ["feedid", "authorid", "videoplayseconds"], ids=["feedid"]))
    no_author = feeds["authorid"].isna()
    if no_author.any():
        logger.warning("%s: %d video(s) without an author are dropped", path, int(no_author.sum()))
        feeds = feeds[~no_author]
    feeds["videoplayseconds"] = pd.to_numeric(feeds["videoplayseconds"], errors="coerce")
    clash = feeds.drop_duplicates(["feedid", "authorid"])["feedid"].duplicated(keep=False)
    if clash.any():
        raise ConversionError(f"{path}: {int(clash.sum())} row(s) give one feedid two different authors")
    return drop_duplicates_logged(feeds, ["feedid"], "feed_info").set_index("feedid")


def read_actions(path, feeds, min_loop, min_watch_seconds):
    """Positive interactions and explicit user-vlogger events, one chunk of the action log at a time."""
    positives, links, unknown, offset = [], [], 0, 0
    for chunk in read_checked_csv(path, ACTION_COLUMNS, ids=ID_COLUMNS, numeric=NUMERIC_COLUMNS):
        rows = np.arange(offset, offset + len(chunk))
        offset += len(chunk)
        known = chunk["feedid"].isin(feeds.index).to_numpy()
        unknown += int((~known).sum())
        chunk, rows = chunk[known], rows[known]
        feed = feeds.loc[chunk["feedid"]]
        author = feed["authorid"].to_numpy()
        explicit = (chunk[EXPLICIT_FEEDBACK].fillna(0) > 0).any(axis=1).to_numpy()
        play_seconds = chunk["play"].fillna(0).to_numpy() / 1000.0
        length = feed["videoplayseconds"].to_numpy()
        known_length = length > 0  # NaN compares False too
        loops = np.divide(play_seconds, length, out=np.zeros_like(play_seconds), where=known_length)
        positive = explicit | (loops > min_loop) | (play_seconds > min_watch_seconds)
        frame = pd.DataFrame(
            {
                "user_id": chunk["userid"].to_numpy().astype(np.int64),
                "item_id": chunk["feedid"].to_numpy().astype(np.int64),
                "vlogger_id": author,
                "day": chunk["date_"].to_numpy(),
                "row": rows,
            }
        )
        positives.append(frame[positive])
        followed = (chunk[EXPLICIT_VLOGGER].fillna(0) > 0).any(axis=1).to_numpy()
        links.append(frame.loc[followed, ["user_id", "vlogger_id", "day", "row"]])
    if unknown:
        logger.warning("%s: %d action row(s) name videos missing from feed_info.csv and are dropped", path, unknown)
    positives, links = (pd.concat(frames, ignore_index=True) for frames in (positives, links))
    for frame in (positives, links):
        frame["timestamp"] = frame.pop("day") + frame.pop("row") / max(offset, 1)
    return positives, links


def main(argv=None):
    parser = base_parser(
        __doc__.splitlines()[0], "folder with user_action.csv and feed_info.csv", "wechat", raw_columns=RAW_COLUMNS
    )
    parser.add_argument("--min_loop", type=float, default=1.5, help="watch loops above this are positive")
    parser.add_argument("--min_watch_seconds", type=float, default=60.0, help="watch seconds above this are positive")
    args = parse_args(parser, argv)
    feeds = read_feeds(raw_file(args.raw, "feed_info.csv"))
    positives, links = read_actions(raw_file(args.raw, "user_action.csv"), feeds, args.min_loop, args.min_watch_seconds)
    return filter_and_finish(args, positives, links)


if __name__ == "__main__":
    run_cli(main)
