"""What every converter shares: checked chunked CSV reading, the paper's filters, output, statistics.

The paper's preprocessing (Sec. 5.1), applied by :func:`apply_paper_filters`:

1. User-video: keep positive interactions only (the rule is per dataset), one row per pair (the
   earliest), then repeatedly drop users and videos with fewer than ``min_user_interactions`` /
   ``min_video_interactions`` interactions and vloggers with fewer than ``min_vlogger_videos``
   remaining videos, until nothing changes (a fixed point: every kept user, video and vlogger meets
   every threshold at once).
2. User-vlogger: the explicit events (follow, homepage visit) among the kept users and vloggers
   are written to ``.uvl``, each pair once, with the time of its earliest event. The paper's rule
   (at least ``min_videos_for_vlogger_link`` interacted videos of the vlogger, "more than two")
   and its filter (users and vloggers with fewer than ``min_user_vlogger_interactions`` pairs are
   dropped, to a fixed point) are NOT applied to the written data: applied to all interactions
   they would let a user's validation and test videos create links that training sees. The
   dataset applies both after the split, to the training interactions and the events before each
   user's first held-out interaction (keys ``uvl_min_videos``, ``uvl_min_links``, ``uvl_rule``).
   The printed Table 1 row counts the relation the paper's way (over all interactions), so it can
   be compared with the paper's; those two flags set that count only.
"""

import gzip
import logging
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from tqdm import tqdm

from recbole_vagnn.cli.base import argument_parser, run_main
from recbole_vagnn.data.atomic import check_output_folder, write_tripartite
from recbole_vagnn.data.link_lift import format_link_lift, leave_one_out_link_lift
from recbole_vagnn.data.user_vlogger import user_vlogger_links
from recbole_vagnn.utils.errors import InputError
from recbole_vagnn.utils.paths import check_dataset_name

logger = logging.getLogger("dataset_converters")


class ConversionError(InputError):
    """Raw input that cannot be converted; the message names the file and the problem."""


@dataclass
class Thresholds:
    """The paper's filter thresholds (Sec. 5.1); each is a command-line flag."""

    min_user_interactions: int = 5
    min_video_interactions: int = 5
    min_vlogger_videos: int = 3
    min_videos_for_vlogger_link: int = 3
    min_user_vlogger_interactions: int = 5


TABLE1_ONLY = ("min_videos_for_vlogger_link", "min_user_vlogger_interactions")


def add_threshold_flags(parser):
    for field in fields(Thresholds):
        note = " (Table 1's count only; training: uvl_min_videos / uvl_min_links)" if field.name in TABLE1_ONLY else ""
        parser.add_argument(
            f"--{field.name}",
            type=int,
            default=field.default,
            help=f"{field.name.replace('_', ' ')}; the default is the paper's{note}",
        )


def thresholds_from_args(args):
    return Thresholds(**{field.name: getattr(args, field.name) for field in fields(Thresholds)})


def raw_file(folder, name):
    """``folder/name``, or ``folder/name.gz`` when only the gzip-compressed file is there."""
    path = Path(folder) / name
    packed = path.with_name(f"{name}.gz")
    return packed if not path.exists() and packed.exists() else path


def _last_line(path):
    """The last non-empty line of a plain or gzip file (bytes, without its line end)."""
    tail = b""
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                tail = (tail + block)[-(1 << 16) :]
    else:
        with open(path, "rb") as handle:
            handle.seek(max(path.stat().st_size - (1 << 16), 0))
            tail = handle.read()
    lines = tail.rstrip(b"\r\n").rsplit(b"\n", 1)
    return lines[-1].rstrip(b"\r")


def _integer_ids(values, path, column, first_line):
    """``values`` (strings) as int64; an empty, fractional or overflowing id is a :class:`ConversionError`."""
    text = values.fillna("").str.strip()
    valid = text.str.fullmatch(r"[+-]?\d{1,18}")
    long = ~valid & text.str.fullmatch(r"[+-]?\d+")
    if long.any():  # 19+ digits: exact check against the int64 range
        valid |= long & text.map(lambda v: -(2**63) <= int(v) < 2**63 if v.lstrip("+-").isdigit() else False)
    if not valid.all():
        row = int(np.flatnonzero(~valid.to_numpy())[0])
        value = text.iloc[row]
        problem = "is empty" if value == "" else f"has {value!r}, which is not an integer id that fits 64 bits"
        raise ConversionError(f"{path}: column '{column}' {problem} at line {first_line + row}")
    return text.astype(np.int64)


DATA_SUFFIXES = {".csv", ".tsv", ".tab", ".dat", ".txt", ".parquet", ".pq", ".gz", ".inter", ".item"}


def check_input_file(path):
    """``path`` as a Path if it is a file; a folder is refused with the data files it holds, a missing file named."""
    path = Path(path)
    if path.is_dir():
        found = sorted(str(file) for file in path.iterdir() if file.is_file() and file.suffix.lower() in DATA_SUFFIXES)
        listed = ", ".join(found[:8]) + (f" and {len(found) - 8} more" if len(found) > 8 else "")
        raise ConversionError(
            f"{path} is a folder, not a table file: "
            + (f"give one of its data files: {listed}" if found else "it holds no data file (.csv, .tsv, .dat, ...)")
        )
    if not path.is_file():
        raise ConversionError(f"{path}: file not found")
    return path


def positional_names(path, sep):
    """``["1", "2", ...]``: the column names of a headerless text file, by position (1 is the first), from its first line."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        first = handle.readline().rstrip(b"\r\n")
    return [str(position) for position in range(1, len(first.split(sep.encode())) + 1)]


def read_checked_csv(path, columns, numeric=(), ids=(), chunksize=1_000_000, sep=",", header=True):
    """Yield DataFrame chunks of ``columns`` from ``path``, with a progress bar over the file's bytes.

    ``path`` may be gzip-compressed (``.gz``). Columns in ``ids`` become int64; those in
    ``numeric`` become floats (empty: NaN). Without a ``header`` line the columns are named by
    position, ``"1"`` for the first (:func:`positional_names`). Raises :class:`ConversionError`
    naming the file (and line) for: a missing or empty file, a folder, missing columns, a row with
    more fields than the header, a last row with fewer (a cut-off file), a non-numeric value in
    ``numeric``, an empty, fractional or overflowing id in ``ids``.
    """
    path = check_input_file(path)
    if path.stat().st_size == 0:
        raise ConversionError(f"{path}: the file is empty")
    try:
        names = list(pd.read_csv(path, nrows=0, sep=sep).columns) if header else positional_names(path, sep)
    except pd.errors.EmptyDataError:
        raise ConversionError(f"{path}: the file is empty") from None
    missing = [c for c in columns if c not in names]
    if missing:
        what = "column position(s)" if not header else "column(s)"
        raise ConversionError(f"{path}: missing {what} {missing}; found {names}")
    last_fields = len(_last_line(path).split(sep.encode()))
    if last_fields < len(names):
        raise ConversionError(
            f"{path}: the last line has {last_fields} of the {'header' if header else 'first line'}'s {len(names)} "
            "fields; the file looks cut off"
        )
    first_line = 2 if header else 1  # line 1 is the header, if there is one
    empty = True
    with (
        open(path, "rb") as raw,
        tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=path.name,
            file=sys.stderr,
            disable=None,
            leave=False,
        ) as bar,
    ):
        stream = gzip.GzipFile(fileobj=raw) if path.suffix == ".gz" else raw
        layout = {} if header else {"header": None, "names": names}
        chunks = pd.read_csv(stream, usecols=list(columns), dtype=str, chunksize=chunksize, sep=sep, **layout)
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except pd.errors.ParserError as error:
                raise ConversionError(f"{path}: {' '.join(str(error).split())}") from None
            for column in ids:
                chunk[column] = _integer_ids(chunk[column], path, column, first_line)
            for column in numeric:
                values = pd.to_numeric(chunk[column], errors="coerce")
                bad = values.isna() & chunk[column].notna()
                if bad.any():
                    line = first_line + int(np.flatnonzero(bad.to_numpy())[0])
                    raise ConversionError(
                        f"{path}: column '{column}' has a non-numeric value "
                        f"{chunk[column][bad].iloc[0]!r} at line {line}"
                    )
                chunk[column] = values
            first_line += len(chunk)
            empty = empty and chunk.empty
            bar.update(raw.tell() - bar.n)
            yield chunk
    if empty:
        raise ConversionError(f"{path}: the file has {'a header but ' if header else ''}no rows")


def drop_duplicates_logged(frame, subset, what):
    duplicated = frame.duplicated(subset=subset, keep="first")
    if duplicated.any():
        logger.warning("dropped %d duplicate %s row(s), keeping the first", int(duplicated.sum()), what)
    return frame[~duplicated]


def _below(counts, minimum):
    return set(counts.index[counts < minimum])


def apply_paper_filters(positives, explicit_events, thresholds, kinds=None):
    """Return ``(inter, events, rounds)`` after the paper's user-video filters (module docstring).

    Args:
        positives: positive user-video interactions, columns ``user_id, item_id, vlogger_id,
            timestamp``; repeated pairs keep the earliest.
        explicit_events: explicit user-vlogger events, columns ``user_id, vlogger_id, timestamp``;
            kept for the surviving users and vloggers, the earliest of each pair.
        thresholds: :class:`Thresholds`.
        kinds: names of items and creators for the log (:func:`statistics`; None: micro-videos).

    ``rounds`` counts the passes the fixed-point iteration needed.
    """
    t = thresholds
    inter = positives.sort_values("timestamp", kind="stable")
    inter = drop_duplicates_logged(inter, ["user_id", "item_id"], f"user-{_singular(kinds or MICRO_VIDEO)[0]}")
    rounds = 0
    while True:
        rounds += 1
        users = inter.groupby("user_id").size()
        videos = inter.groupby("item_id").size()
        vloggers = inter.drop_duplicates("item_id").groupby("vlogger_id").size()
        bad_users = _below(users, t.min_user_interactions)
        bad_videos = _below(videos, t.min_video_interactions)
        bad_vloggers = _below(vloggers, t.min_vlogger_videos)
        if not (bad_users or bad_videos or bad_vloggers):
            break
        inter = inter[
            ~inter["user_id"].isin(bad_users)
            & ~inter["item_id"].isin(bad_videos)
            & ~inter["vlogger_id"].isin(bad_vloggers)
        ]
    logger.info("filters reached a fixed point after %d pass(es)", rounds)
    events = explicit_events[
        explicit_events["user_id"].isin(inter["user_id"]) & explicit_events["vlogger_id"].isin(inter["vlogger_id"])
    ]
    # an event without a time is known before training: the earliest of its pair
    events = events.sort_values("timestamp", kind="stable", na_position="first").drop_duplicates(
        ["user_id", "vlogger_id"]
    )
    return inter.reset_index(drop=True), events[["user_id", "vlogger_id", "timestamp"]].reset_index(drop=True), rounds


def paper_user_vlogger_pairs(inter, events, thresholds):
    """Size of the paper's user-vlogger relation over ALL interactions (Table 1's count, not training data)."""
    users, user_index = np.unique(
        np.concatenate([inter["user_id"], events["user_id"]]).astype(str), return_inverse=True
    )
    vloggers, vlogger_index = np.unique(
        np.concatenate([inter["vlogger_id"], events["vlogger_id"]]).astype(str), return_inverse=True
    )
    n = len(inter)
    shape = (len(users), len(vloggers))
    watched = sp.csr_matrix((np.ones(n), (user_index[:n], vlogger_index[:n])), shape=shape)
    explicit = sp.csr_matrix((np.ones(len(events)), (user_index[n:], vlogger_index[n:])), shape=shape)
    links = user_vlogger_links(
        watched, explicit, thresholds.min_videos_for_vlogger_link, thresholds.min_user_vlogger_interactions
    )
    return links.nnz


MICRO_VIDEO = ("Micro-videos", "Vloggers")


def _singular(kinds):
    """``(item, creator)`` in the singular and lower case: ``("video", "vlogger")`` for micro-video data."""
    return (
        ("video", "vlogger") if kinds == MICRO_VIDEO else (kinds[0].lower().rstrip("s"), kinds[1].lower().rstrip("s"))
    )


def statistics(name, inter, item, events, thresholds=None, kinds=MICRO_VIDEO):
    """The paper's Table 1 row: users, videos, vloggers, user-video and user-vlogger interactions.

    With ``thresholds``, user-vlogger interactions are counted the paper's way (rule and filter
    over all interactions); without, they are the explicit pairs. ``#Explicit pairs`` is what
    ``.uvl`` holds. ``kinds`` names the items and creators (``("Items", "Creators")`` for the
    generic table converter).
    """
    items, creators = kinds
    item_word, creator_word = _singular(kinds)
    return {
        "Dataset": name,
        "#Users": inter["user_id"].nunique(),
        f"#{items}": inter["item_id"].nunique(),
        f"#{creators}": item.loc[item["item_id"].isin(inter["item_id"]), "vlogger_id"].nunique(),
        f"#User-{item_word} Interactions": len(inter),
        f"#User-{creator_word} Interactions": (
            paper_user_vlogger_pairs(inter, events, thresholds) if thresholds else len(events)
        ),
        "#Explicit pairs": len(events),
    }


def format_statistics(row):
    widths = {key: max(len(key), len(f"{value}")) for key, value in row.items()}
    header = "  ".join(key.rjust(widths[key]) for key in row)
    values = "  ".join(f"{value}".rjust(widths[key]) for key, value in row.items())
    return f"{header}\n{values}"


def finish(out_dir, name, inter, events, thresholds=None, kinds=MICRO_VIDEO):
    """Write ``out_dir/name/name.{inter,item,uvl}`` (all or nothing), print and return Table 1's row.

    ``out_dir`` plays RecBole's ``data_path``: train with ``--data_path=OUT_DIR --dataset=NAME``.
    ``events`` are the explicit user-vlogger events (``timestamp`` may be missing or NaN: known
    before training); ``thresholds`` count Table 1's user-vlogger pairs the paper's way.
    """
    item_word, creator_word = _singular(kinds)
    if inter.empty:
        raise ConversionError(f"no user-{item_word} interaction survives the filters; lower the thresholds?")
    if events.empty:
        logger.warning(
            f"no explicit user-{creator_word} event: the dataset's rule (uvl_min_videos) alone will link users"
        )
    item = inter.drop_duplicates("item_id")[["item_id", "vlogger_id"]].sort_values("item_id")
    folder = write_tripartite(Path(out_dir) / name, name, inter[["user_id", "item_id", "timestamp"]], item, events)
    row = statistics(name, inter, item, events, thresholds, kinds)
    print(format_statistics(row))
    print(format_link_lift(leave_one_out_link_lift(inter, item, events), creator_word, f"{item_word}s"))
    print(f"wrote {folder / name}.{{inter,item,uvl}}")
    return row


def run_cli(main, argv=None):
    """Run a converter's ``main``: progress and notes on stderr, one-line errors and exit 1
    (:func:`recbole_vagnn.cli.base.run_main`; ``--debug`` shows the traceback)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    run_main(main, argv)


def columns_help(files):
    """The raw columns a converter reads, for its ``--help``: ``{file: [(column, meaning), ...]}``."""
    lines = ["raw columns read (other columns are ignored):"]
    for file, columns in files.items():
        lines.append(f"  {file}:")
        lines += [f"    {column:<18} {meaning}" for column, meaning in columns]
    return "\n".join(lines)


def base_parser(description, raw_help, default_name=None, paper_filters=True, raw_columns=None):
    """Arguments every converter takes: RAW, OUT_DIR, --name and (if it filters) the thresholds.

    ``raw_columns`` (:func:`columns_help`'s argument) is listed at the end of ``--help``.
    """
    parser = argument_parser(description, epilog=columns_help(raw_columns) if raw_columns else None)
    parser.add_argument("raw", help=raw_help)
    parser.add_argument("out_dir", help="data folder: writes OUT_DIR/NAME/NAME.{inter,item,uvl} (use as --data_path)")
    parser.add_argument(
        "--name",
        default=default_name,
        help="dataset name" + ("" if default_name else " (None: the input folder's name)"),
    )
    if paper_filters:
        add_threshold_flags(parser)
    return parser


def parse_args(parser, argv):
    """Parse a converter's command line; ``--name`` defaults to RAW's name and must be a plain file name.

    Checked before any input is read, so that a long conversion cannot fail on its name or its
    output folder (``OUT_DIR`` given as a data file, a folder of something else) at the end.
    """
    args = parser.parse_args(argv)
    args.name = check_dataset_name(Path(args.raw).resolve().name if args.name is None else args.name, "--name")
    check_output_folder(Path(args.out_dir) / args.name, args.name)
    return args


def filter_and_finish(args, positives, explicit_links):
    """The paper's filters with the thresholds of ``args``, then :func:`finish`."""
    thresholds = thresholds_from_args(args)
    inter, events, _ = apply_paper_filters(positives, explicit_links, thresholds)
    return finish(args.out_dir, args.name, inter, events, thresholds)


__all__ = [
    "ConversionError",
    "Thresholds",
    "raw_file",
    "add_threshold_flags",
    "thresholds_from_args",
    "read_checked_csv",
    "check_input_file",
    "positional_names",
    "drop_duplicates_logged",
    "apply_paper_filters",
    "paper_user_vlogger_pairs",
    "statistics",
    "format_statistics",
    "finish",
    "run_cli",
    "columns_help",
    "base_parser",
    "parse_args",
    "filter_and_finish",
]
