"""``recbole-vagnn recommend``: top videos per user, the gate's explanation, vloggers to follow.

    recbole-vagnn recommend --model_file saved/VAGNN-....pth --user 17 [--user 42 ...]
        [--users_file FILE | --all_users] [--topk 10] [--explain] [--vloggers 5]
        [--new_videos FILE [--new_only]] [--format table|csv|json] [--output FILE]
        [--batch_size 256] [--data_path PATH] [--trust_checkpoint]

What each result holds is :mod:`recbole_vagnn.recommender`'s. ``--format table`` prints a block
per user; ``csv`` writes one row per recommendation; ``json`` writes JSON Lines, one object per
user. With ``--output`` the file is written as the batches finish (a progress bar on stderr) and
appears under its name only when complete.

``--new_videos FILE`` (a ``.item`` file of videos the model was not trained on, with their
vloggers) ranks those videos too, by their vlogger (VA-GNN: e_u.e_p); ``--new_only`` ranks them
alone. Each video then says whether it is new: a ``new`` column (``true``/``false``) in csv, a
``new`` field in json, ``[new]`` in the table. The file, the users and the model are all checked
before anything is written.
"""

import csv
import io
import json
import os
import sys
import tempfile
from pathlib import Path

from recbole_vagnn.cli.base import argument_parser, run_main
from recbole_vagnn.data.atomic import follow_umask
from recbole_vagnn.utils.errors import InputError

FORMATS = ("table", "csv", "json")
CSV_COLUMNS = ["user", "kind", "rank", "video", "vlogger", "score", "gate", "video_part", "vlogger_part"]


def _csv_rows(result):
    for video in result["videos"]:
        row = {"user": result["user"], "kind": "video", **video}
        if "new" in row:
            row["new"] = "true" if row["new"] else "false"
        yield row
    for vlogger in result.get("vloggers", []):
        yield {"user": result["user"], "kind": "vlogger", **vlogger}


def _table(result):
    lines = [f"user {result['user']}"]
    for v in result["videos"]:
        line = f"  {v['rank']:>3}. video {v['video']:<12} vlogger {v.get('vlogger', '-'):<10} score {v['score']:9.4f}"
        if "gate" in v:
            line += f"  = video {v['video_part']:8.4f} + vlogger {v['vlogger_part']:8.4f}  (w {v['gate']:.2f})"
        if v.get("new"):
            line += "  [new]"
        lines.append(line)
    if "vloggers" in result:
        lines.append(
            "  vloggers to follow: " + ", ".join(f"{p['vlogger']} ({p['score']:.3f})" for p in result["vloggers"])
        )
    return "\n".join(lines) + "\n"


def write_results(results, handle, output_format, new_videos=False):
    """Write result dicts to a text handle as they come (table, csv or JSON Lines).

    ``new_videos``: the results rank new videos, so csv has a last column ``new``.
    """
    writer = None
    for result in results:
        if output_format == "json":
            handle.write(json.dumps(result) + "\n")
        elif output_format == "csv":
            if writer is None:
                writer = csv.DictWriter(handle, CSV_COLUMNS + ["new"] * new_videos, extrasaction="ignore")
                writer.writeheader()
            writer.writerows(_csv_rows(result))
        else:
            handle.write(_table(result))


def read_user_file(path):
    """User tokens, one per line (blank lines and ``#`` comments skipped)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    tokens = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not tokens:
        raise InputError(f"{path}: names no user")
    return tokens


def main(argv=None):
    parser = argument_parser(
        "Recommend with a trained model: top videos per user, the gate's explanation, vloggers to follow."
    )
    parser.add_argument("--model_file", required=True, help="checkpoint written by this package (saved/MODEL-....pth)")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", action="append", help="user token from the dataset (repeatable)")
    who.add_argument("--users_file", help="file with one user token per line")
    who.add_argument("--all_users", action="store_true", help="every user of the dataset (batch mode)")
    parser.add_argument("--topk", type=int, default=10, help="videos per user")
    parser.add_argument("--explain", action="store_true", help="split each VA-GNN score by the gate")
    parser.add_argument("--vloggers", type=int, default=0, help="vloggers to suggest per user, VA-GNN only")
    parser.add_argument(
        "--new_videos",
        default=None,
        help="a .item file (item_id:token<TAB>vlogger_id:token) of videos the model was not trained on, "
        "ranked by their vlogger (VA-GNN, CreatorPop, CreatorAffinity)",
    )
    parser.add_argument("--new_only", action="store_true", help="rank only the videos of --new_videos")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format")
    parser.add_argument("--output", default=None, help="file to write (None: standard output)")
    parser.add_argument("--batch_size", type=int, default=256, help="users scored at once")
    parser.add_argument("--data_path", default=None, help="folder holding the dataset folder (None: the checkpoint's)")
    parser.add_argument("--device", default="cpu", help="torch device")
    parser.add_argument(
        "--trust_checkpoint",
        action="store_true",
        help="also load files that unpickle Python objects (e.g. RecBole's own); only from a trusted source",
    )
    args = parser.parse_args(argv)
    if args.new_only and args.new_videos is None:
        raise InputError("--new_only needs --new_videos FILE: the new videos to rank")
    from recbole_vagnn.recommender import Recommender

    recommender = Recommender(args.model_file, args.data_path, args.trust_checkpoint, args.device)
    if args.all_users:
        tokens = recommender.all_user_tokens()
    else:
        tokens = read_user_file(args.users_file) if args.users_file else args.user
    recommender.user_ids(tokens)  # every token checked before anything is written
    new_videos = recommender.read_new_videos(args.new_videos) if args.new_videos else None
    results = recommender.recommend(
        tokens,
        args.topk,
        args.explain,
        args.vloggers,
        args.batch_size,
        progress=args.output is not None,
        new_videos=new_videos,
        new_only=args.new_only,
    )
    if args.output is None:
        write_results(results, sys.stdout, args.format, new_videos is not None)
        return
    output = Path(args.output)
    fd, partial = tempfile.mkstemp(dir=output.parent if str(output.parent) else ".", prefix=f".{output.name}-")
    try:
        with io.open(fd, "w", encoding="utf-8", newline="") as handle:
            write_results(results, handle, args.format, new_videos is not None)
        follow_umask(partial)
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    print(f"wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    run_main(main)
