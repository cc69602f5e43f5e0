"""TakaTak-style event logs -> tripartite atomic files, with the paper's TakaTak rules.

TakaTak's raw data is not public. This converter reads one plain CSV of events, one row per
user-video view, with this schema (header names are fixed, extra columns are ignored):

| column            | type        | meaning                                               |
| ----------------- | ----------- | ----------------------------------------------------- |
| user_id           | token       | the viewer                                            |
| video_id          | token       | the micro-video                                       |
| vlogger_id        | token       | the video's publisher (one per video)                 |
| timestamp         | number      | when the view happened (e.g. Unix seconds)            |
| watch_seconds     | number      | seconds watched                                       |
| completion_rate   | number      | watched length / video length (2.0 = watched twice)   |
| like, comment, share, favorite | 0/1 | explicit feedback on the video                  |
| follow, homepage  | 0/1         | the viewer followed / opened the vlogger's homepage   |

``python -m dataset_converters.takatak EVENTS_CSV OUT_DIR [--name takatak] [flags]`` (the CSV may be
gzip-compressed, ``.csv.gz``)

- Positive user-video interaction (paper Sec. 5.1): explicit feedback, or completion rate >
  ``--min_completion`` (1.8), or watch time > ``--min_watch_seconds`` (15).
- Explicit user-vlogger event: ``follow`` or ``homepage`` on any view of the vlogger's videos, at
  that view's timestamp (a follow on a user's test view stays out of training).
- Then the filters of :mod:`recbole_vagnn.dataset_converters.common`, to a fixed point.

A video listed with two different vloggers stops the conversion with an error.
"""

import numpy as np
import pandas as pd

from .common import ConversionError, base_parser, filter_and_finish, parse_args, read_checked_csv, run_cli

EXPLICIT_FEEDBACK = ["like", "comment", "share", "favorite"]
EXPLICIT_VLOGGER = ["follow", "homepage"]
NUMERIC = ["timestamp", "watch_seconds", "completion_rate"] + EXPLICIT_FEEDBACK + EXPLICIT_VLOGGER
COLUMNS = ["user_id", "video_id", "vlogger_id"] + NUMERIC
RAW_COLUMNS = {
    "EVENTS_CSV": [
        ("user_id", "the viewer, any id"),
        ("video_id", "the micro-video, any id"),
        ("vlogger_id", "the video's publisher, one per video"),
        ("timestamp", "time of the view, a number (e.g. Unix seconds)"),
        ("watch_seconds", "seconds watched"),
        ("completion_rate", "watched length / video length (2.0 = twice)"),
        ("like", "0/1 explicit feedback"),
        ("comment", "0/1 explicit feedback"),
        ("share", "0/1 explicit feedback"),
        ("favorite", "0/1 explicit feedback"),
        ("follow", "0/1: followed the vlogger (user-vlogger event)"),
        ("homepage", "0/1: opened the vlogger's homepage (user-vlogger event)"),
    ]
}


def read_events(path, min_completion, min_watch_seconds):
    positives, links, publishers = [], [], []
    for chunk in read_checked_csv(path, COLUMNS, numeric=NUMERIC):
        empty = chunk[["user_id", "video_id", "vlogger_id"]].isna().any(axis=1)
        if empty.any():
            line = int(chunk.index[empty.to_numpy()][0]) + 2  # chunks keep the file's row numbers
            raise ConversionError(f"{path}: an empty user_id, video_id or vlogger_id at line {line}")
        frame = chunk.rename(columns={"video_id": "item_id"})
        explicit = (frame[EXPLICIT_FEEDBACK].fillna(0) > 0).any(axis=1)
        positive = (
            explicit
            | (frame["completion_rate"].fillna(0) > min_completion)
            | (frame["watch_seconds"].fillna(0) > min_watch_seconds)
        )
        positives.append(frame.loc[positive, ["user_id", "item_id", "vlogger_id", "timestamp"]])
        followed = (frame[EXPLICIT_VLOGGER].fillna(0) > 0).any(axis=1)
        links.append(frame.loc[followed, ["user_id", "vlogger_id", "timestamp"]])
        publishers.append(frame[["item_id", "vlogger_id"]].drop_duplicates())
    publishers = pd.concat(publishers).drop_duplicates()
    clash = publishers["item_id"].duplicated(keep=False)
    if clash.any():
        examples = ", ".join(publishers.loc[clash, "item_id"].unique()[:5])
        raise ConversionError(
            f"{path}: {publishers.loc[clash, 'item_id'].nunique()} video(s) have two or more vloggers, e.g. {examples}"
        )
    if np.isnan(pd.concat(positives)["timestamp"].to_numpy(dtype=float)).any():
        raise ConversionError(f"{path}: positive interactions without a timestamp")
    return pd.concat(positives, ignore_index=True), pd.concat(links, ignore_index=True)


def main(argv=None):
    parser = base_parser(__doc__.splitlines()[0], "the events CSV", "takatak", raw_columns=RAW_COLUMNS)
    parser.add_argument("--min_completion", type=float, default=1.8, help="completion rates above this are positive")
    parser.add_argument("--min_watch_seconds", type=float, default=15.0, help="watch seconds above this are positive")
    args = parse_args(parser, argv)
    positives, links = read_events(args.raw, args.min_completion, args.min_watch_seconds)
    return filter_and_finish(args, positives, links)


if __name__ == "__main__":
    run_cli(main)
