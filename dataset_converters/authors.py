"""The VA-GNN authors' released data layout -> tripartite atomic files with their exact split.

``python -m dataset_converters.authors RELEASE_DIR OUT_DIR [--name NAME]`` reads one dataset folder
of the authors' release (github.com/laiweijiang/VAGNN):

- ``data_size.txt``: ``n_users<TAB>n_videos<TAB>n_vloggers``; ids are 0-based and dense.
- ``user_video_data.txt``: ``uid v1 ... vN`` per line, in time order; the last video is the test
  item, the one before it the validation item.
- ``user_vlogger_data.txt``: ``uid p1 ... pN``, the vlogger of each video of the matching line
  (only checked against the publishing file here).
- ``user_vlogger_data2.txt``: ``uid p1 p2 ...``, explicit user-vlogger interactions. They carry
  no time, so ``.uvl`` gets them without one, and the dataset treats them as known before
  training: whether the authors built them from the training period alone is not documented.
- ``vlogger_video_data.txt``: ``vlogger<TAB>video`` per line.

The data is already filtered, so no filter is applied. The timestamp of an interaction is its
position on the user's line (0, 1, ...), so RecBole's leave-one-out by time (the tripartite
default) puts exactly the authors' last video in test and the one before it in validation.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from .common import ConversionError, base_parser, finish, logger, parse_args, run_cli

FILES = [
    "data_size.txt",
    "user_video_data.txt",
    "user_vlogger_data.txt",
    "user_vlogger_data2.txt",
    "vlogger_video_data.txt",
]


def read_lists(path):
    """``uid x1 x2 ...`` lines -> DataFrame (user, value, position) in line order."""
    lines = pd.Series(Path(path).read_text().split("\n"))
    tokens = lines[lines.str.strip() != ""].str.split()
    if tokens.empty:
        raise ConversionError(f"{path}: the file is empty")
    users = tokens.str[0]
    values = tokens.str[1:].explode().dropna()
    frame = pd.DataFrame({"line": values.index, "user": users.loc[values.index].to_numpy(), "value": values.to_numpy()})
    for column in ("user", "value"):
        valid = frame[column].str.fullmatch(r"\d{1,18}")
        if not valid.all():
            row = frame[~valid].iloc[0]
            raise ConversionError(f"{path}: line {row['line'] + 1} has {row[column]!r}, which is not an integer id")
        frame[column] = frame[column].astype(np.int64)
    frame = frame.drop(columns="line")
    frame["position"] = frame.groupby("user").cumcount()
    return frame


def check_range(path, values, size, what):
    bad = (values < 0) | (values >= size)
    if bad.any():
        raise ConversionError(f"{path}: {int(bad.sum())} {what} id(s) outside 0..{size - 1} declared in data_size.txt")


def main(argv=None):
    parser = base_parser(__doc__.splitlines()[0], "one dataset folder of the authors' release", paper_filters=False)
    args = parse_args(parser, argv)
    root = Path(args.raw)
    for file in FILES:
        if not (root / file).is_file():
            raise ConversionError(f"{root / file}: file not found")
    try:
        n_users, n_videos, n_vloggers = map(int, (root / "data_size.txt").read_text().split())
    except ValueError:
        raise ConversionError(f"{root / 'data_size.txt'}: expected 'n_users<TAB>n_videos<TAB>n_vloggers'") from None

    watched = read_lists(root / "user_video_data.txt")
    check_range(root / "user_video_data.txt", watched["user"], n_users, "user")
    check_range(root / "user_video_data.txt", watched["value"], n_videos, "video")
    publishing = read_lists(root / "vlogger_video_data.txt")  # one pair per line: position is always 0
    check_range(root / "vlogger_video_data.txt", publishing["user"], n_vloggers, "vlogger")
    clash = publishing.drop_duplicates(["user", "value"])["value"].duplicated()
    if clash.any():
        raise ConversionError(
            f"{root / 'vlogger_video_data.txt'}: {int(clash.sum())} video(s) have two or more vloggers"
        )
    video_vlogger = publishing.drop_duplicates("value").set_index("value")["user"]
    orphan = ~watched["value"].isin(video_vlogger.index)
    if orphan.any():
        raise ConversionError(
            f"{root / 'user_video_data.txt'}: {int(orphan.sum())} interaction(s) name videos with no vlogger"
        )

    inter = pd.DataFrame(
        {
            "user_id": watched["user"],
            "item_id": watched["value"],
            "vlogger_id": video_vlogger.loc[watched["value"]].to_numpy(),
            "timestamp": watched["position"].astype(float),
        }
    )
    per_position = read_lists(root / "user_vlogger_data.txt")
    merged = inter.merge(per_position, left_on=["user_id", "timestamp"], right_on=["user", "position"], how="left")
    mismatched = int((merged["value"] != merged["vlogger_id"]).sum())
    if mismatched:
        logger.warning(
            "%s: %d position(s) disagree with vlogger_video_data.txt, which is used",
            root / "user_vlogger_data.txt",
            mismatched,
        )
    explicit = read_lists(root / "user_vlogger_data2.txt")
    check_range(root / "user_vlogger_data2.txt", explicit["value"], n_vloggers, "vlogger")
    uvl = explicit.rename(columns={"user": "user_id", "value": "vlogger_id"})[
        ["user_id", "vlogger_id"]
    ].drop_duplicates()
    outside = ~uvl["user_id"].isin(inter["user_id"]) | ~uvl["vlogger_id"].isin(inter["vlogger_id"])
    if outside.any():
        logger.warning(
            "%s: dropped %d pair(s) whose user has no video or whose vlogger no watched video",
            root / "user_vlogger_data2.txt",
            int(outside.sum()),
        )
        uvl = uvl[~outside]
    return finish(args.out_dir, args.name, inter, uvl)


if __name__ == "__main__":
    run_cli(main)
