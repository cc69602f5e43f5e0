"""Any user-item-creator data -> tripartite atomic files: books and authors, films and directors, ...

VA-GNN's idea is that an item's creator says something about who will consume it; the same
three-sided structure as micro-videos and vloggers holds for books and authors, films and
directors, tracks and artists, games and developers, products and brands, podcasts and hosts.

    recbole-vagnn convert table OUT_DIR --name NAME --interactions FILE --items FILE [--events FILE]
                                [column flags] [--no_time] [--rating_col R --min_rating X] [--creator_sep SEP]
                                [--creator_normalize {none,casefold,initials}]
                                [--min_user_interactions K] [--min_item_interactions K]

writes ``OUT_DIR/NAME/NAME.{inter,item,uvl}`` (items play the videos, creators the vloggers).

- Inputs: CSV, TSV or Parquet, each optionally gzip-compressed (``.csv.gz``); the kind comes from
  the suffix (``.csv``, ``.tsv``/``.tab``, ``.parquet``/``.pq``), ``--sep`` sets a text file's
  separator. ``--interactions``: one row per user-item event; ``--items``: item -> creator;
  ``--events`` (optional): explicit user -> creator events (follows, subscriptions), with or
  without a time (an event without one is taken as known before training).
- Ids are any string tokens (surrounding blanks are stripped; a tab or line break is refused).
- Times: Unix seconds, Unix milliseconds or ISO dates / datetimes (``--time_format auto``
  decides per file: numbers above 1e11 are milliseconds), or name the format (``s``, ``ms``,
  ``iso`` or a strftime pattern such as ``%d/%m/%Y``). They are written as seconds. Rows are
  written in time order, file order within equal times, and RecBole's split sorts stably, so
  file order breaks ties.
- No times (``--no_time``): file order is the split's order. Rows keep their file order and each
  written ``timestamp`` is the row's position among the data rows of ``--interactions`` (0 for
  the first), so the leave-one-out split holds out each user's last rows in the file. ``--events``
  are then untimed (known before training); ``--time_col``, ``--time_format`` other than ``auto``
  and ``--event_time_col`` are refused with it.
- Positives: with ``--rating_col`` and ``--min_rating X``, rows rated X or more; otherwise every
  row. A repeated user-item pair keeps its earliest time.
- One creator per item, as VA-GNN assumes: ``--creator_sep SEP`` credits an item whose field
  lists several ("Joel Coen, Ethan Coen") to the first one listed, and the log counts them.
  An item listed twice with different creators is an error.
- Creator names (of ``--items`` and ``--events``) are kept as written, stripped, unless
  ``--creator_normalize`` says otherwise: ``casefold`` takes each name's Unicode NFKC form,
  casefolds it, turns every run of whitespace into one space and strips the ends
  ("J.K.  Rowling" -> "j.k. rowling"); ``initials`` does the same, then writes each run of initials
  (one-letter words, each followed by a period or a space) as one word without periods, set off
  from the next word by one space ("J. R. R. Tolkien", "J.R.R. Tolkien", "J R R Tolkien" -> "jrr
  tolkien"; "Stephen R. Donaldson" -> "stephen r donaldson"). The log counts the distinct names
  before and after.
- Items without a creator and interactions with items not in ``--items`` are dropped and
  counted; ``.item`` lists exactly the items left in ``.inter``. Optional k-core filters
  (``--min_user_interactions``, ``--min_item_interactions``) run to a fixed point.
- The statistics and the link lift (:mod:`recbole_vagnn.data.link_lift`) are printed at the end.

Bad input stops with one line naming the file, line and column, and nothing is written.
"""

import logging
import re
import time
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from recbole_vagnn.cli.base import argument_parser

from .common import (
    ConversionError,
    Thresholds,
    apply_paper_filters,
    check_input_file,
    finish,
    parse_args,
    positional_names,
    read_checked_csv,
    run_cli,
)

logger = logging.getLogger(__name__)
SEPARATORS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
PARQUET = (".parquet", ".pq")
TIME_FORMATS = ("auto", "s", "ms", "iso")
KINDS = ("Items", "Creators")
NORMALIZE = ("none", "casefold", "initials")
INITIALS = re.compile(r"(?<!\w)(?:[^\W\d_](?:\.\s*|\s+))+")  # one-letter words, each before a period or a space


def _kind(path):
    """The suffix that names a file's kind, past a ``.gz``."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def read_table(path, columns, numeric=(), sep=None, header=True):
    """``columns`` of a CSV, TSV or Parquet file as strings (``numeric`` ones as floats), plus ``_line``.

    ``_line`` is the row's line in a text file (the header, if any, is line 1) or its row number
    in a Parquet file, for error messages. A text file without ``header`` names its columns by
    position, ``"1"`` for the first. Errors are :class:`ConversionError` naming the file.
    """
    started = time.monotonic()
    path = check_input_file(path)
    kind = _kind(path)
    if kind in PARQUET:
        names = header_of(path)
        missing = [c for c in columns if c not in names]
        if missing:
            raise ConversionError(f"{path}: missing column(s) {missing}; found {names}")
        frame = pd.read_parquet(path, columns=list(columns))
        for column in columns:
            if column in numeric:
                values = pd.to_numeric(frame[column], errors="coerce")
                bad = values.isna() & frame[column].notna()
                if bad.any():
                    row = int(np.flatnonzero(bad.to_numpy())[0])
                    raise ConversionError(
                        f"{path}: column '{column}' has a non-numeric value {frame[column].iloc[row]!r} at row {row + 1}"
                    )
                frame[column] = values
            else:
                frame[column] = frame[column].astype("string").astype(object).where(frame[column].notna(), None)
        frame["_line"] = np.arange(1, len(frame) + 1)
        if frame.empty:
            raise ConversionError(f"{path}: the file has no rows")
        return frame
    separator = sep or SEPARATORS.get(kind)
    if separator is None:
        raise ConversionError(
            f"{path}: cannot tell the file's kind from '{kind or 'no suffix'}'; use .csv, .tsv, .parquet "
            "(optionally .gz) or give --sep"
        )
    chunks, line = [], 2 if header else 1
    for chunk in read_checked_csv(path, columns, numeric=numeric, sep=separator, header=header):
        chunk["_line"] = np.arange(line, line + len(chunk))
        line += len(chunk)
        chunks.append(chunk)
    frame = pd.concat(chunks, ignore_index=True)
    logger.info("%s: %s rows read (%.1f s)", path, f"{len(frame):,}", time.monotonic() - started)
    return frame


def _ids(frame, column, path, required=True):
    """Stripped string tokens of ``column``; an empty one (if ``required``), a tab or line break is an error."""
    values = frame[column].astype(object).where(frame[column].notna(), "").astype(str).str.strip()
    if required:
        empty = values == ""
        if empty.any():
            raise ConversionError(f"{path}: column '{column}' is empty at line {int(frame['_line'][empty].iloc[0])}")
    bad = values.str.contains(r"[\t\r\n]", regex=True)
    if bad.any():
        raise ConversionError(
            f"{path}: column '{column}' holds a tab or line break at line {int(frame['_line'][bad].iloc[0])}; "
            "atomic files cannot store such an id"
        )
    return values


def parse_times(frame, column, path, time_format="auto", allow_empty=False, keep_bad=False):
    """``column`` as seconds (float): Unix seconds, milliseconds, ISO dates or a strftime pattern.

    An empty value is an error, or NaN with ``allow_empty``. A value that does not parse is an
    error, or NaN with ``keep_bad`` (the caller drops those rows: ``--skip_bad_rows``).
    """
    raw = frame[column]
    text = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
    fmt = time_format
    if fmt == "auto":
        numeric = numbers.notna() | (text == "")
        fmt = ("ms" if numbers.abs().max() > 1e11 else "s") if numeric.all() else "iso"
    if fmt in ("s", "ms"):
        seconds = numbers / (1000.0 if fmt == "ms" else 1.0)
        bad = seconds.isna() & ~(allow_empty & (text == ""))
        expected = f"Unix {'milliseconds' if fmt == 'ms' else 'seconds'}"
    else:
        parsed = pd.to_datetime(
            text.where(text != ""), errors="coerce", utc=True, format="ISO8601" if fmt == "iso" else fmt
        )
        seconds = (parsed - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
        bad = parsed.isna() & ~(allow_empty & (text == ""))
        expected = "an ISO date or datetime" if fmt == "iso" else f"a time in the format {fmt!r}"
    if bad.any() and not keep_bad:
        row = int(np.flatnonzero(bad.to_numpy())[0])
        value = text.iloc[row]
        raise ConversionError(
            f"{path}: column '{column}' has {value!r} at line {int(frame['_line'].iloc[row])}, which is not "
            f"{expected} (--time_format {time_format}; --skip_bad_rows drops such rows)"
        )
    return seconds.astype(float).where(~bad).to_numpy()


def drop_bad_rows(frame, bad, path, what):
    """``frame`` without the ``bad`` rows, logging their count and first lines (``--skip_bad_rows``)."""
    bad = np.asarray(bad)
    if bad.any():
        lines = frame["_line"].to_numpy()[bad]
        shown = ", ".join(str(int(line)) for line in lines[:5]) + (", ..." if len(lines) > 5 else "")
        logger.warning(
            "%s: dropped %s row(s) whose %s does not parse (--skip_bad_rows), at line(s) %s",
            path,
            f"{len(lines):,}",
            what,
            shown,
        )
    return frame[~bad]


def normalize_creator(name, mode):
    """``name`` under ``--creator_normalize mode`` (module docstring)."""
    if mode == "none":
        return name
    name = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    if mode == "initials":
        name = " ".join(INITIALS.sub(lambda run: re.sub(r"[.\s]", "", run.group()) + " ", name).split())
    return name


def normalize_creators(names, mode, path):
    """``names`` (a Series) under ``--creator_normalize mode``, logging how many distinct names merged."""
    if mode == "none":
        return names
    distinct = names.unique()
    normal = {name: normalize_creator(name, mode) for name in distinct}
    logger.info(
        "%s: --creator_normalize %s: %s distinct creator names became %s",
        path,
        mode,
        f"{len(distinct):,}",
        f"{len(set(normal.values())):,}",
    )
    return names.map(normal)


def read_items(path, item_col, creator_col, creator_sep, sep, header=True, normalize="none"):
    """item -> creator (first listed with ``creator_sep``, then normalised); items without one are dropped and counted."""
    frame = read_table(path, [item_col, creator_col], sep=sep, header=header)
    items = _ids(frame, item_col, path)
    creators = _ids(frame, creator_col, path, required=False)
    if creator_sep:
        parts = creators.str.split(creator_sep, regex=False)
        several = parts.str.len() > 1
        creators = parts.str[0].str.strip()
        if several.any():
            logger.warning(
                "%s: %d item(s) list several creators; each is credited to the first one listed",
                path,
                int(items[several].nunique()),
            )
    table = pd.DataFrame({"item_id": items, "vlogger_id": creators, "_line": frame["_line"]})
    missing = table["vlogger_id"] == ""
    if missing.any():
        logger.warning("%s: dropped %d item row(s) without a creator", path, int(missing.sum()))
        table = table[~missing]
    table["vlogger_id"] = normalize_creators(table["vlogger_id"], normalize, path)
    table = table.drop_duplicates(["item_id", "vlogger_id"])
    clash = table["item_id"].duplicated(keep=False)
    if clash.any():
        first = table[clash].iloc[0]
        others = sorted(set(table.loc[table["item_id"] == first["item_id"], "vlogger_id"]))
        raise ConversionError(
            f"{path}: item {first['item_id']!r} has two creators in column '{creator_col}' ({', '.join(others)}), "
            f"first at line {int(table.loc[clash & (table['item_id'] == first['item_id']), '_line'].iloc[1])}; "
            "each item needs exactly one (use --creator_sep for lists)"
        )
    if table.empty:
        raise ConversionError(f"{path}: no item has a creator in column '{creator_col}'")
    return table[["item_id", "vlogger_id"]]


def read_interactions(args, creator_of):
    """Positive user-item interactions with their creator and time (``--no_time``: file position), in time order."""
    path = args.interactions
    columns = [args.user_col, args.item_col] + [c for c in (args.time_col, args.rating_col) if c]
    frame = read_table(path, columns, sep=args.sep, header=not args.no_header)
    if args.no_time:
        frame["_time"] = np.arange(len(frame), dtype=float)
        logger.info("%s: no times: file order is the split's order (timestamp = row position, 0 first)", path)
    else:
        frame["_time"] = parse_times(frame, args.time_col, path, args.time_format, keep_bad=args.skip_bad_rows)
    if args.skip_bad_rows and not args.no_time:
        frame = drop_bad_rows(frame, np.isnan(frame["_time"].to_numpy()), path, f"time ('{args.time_col}')")
    if args.rating_col:
        raw = frame[args.rating_col]
        ratings = pd.to_numeric(raw, errors="coerce")
        unrated = ratings.isna()
        if args.skip_bad_rows:
            frame = drop_bad_rows(frame, unrated.to_numpy(), path, f"rating ('{args.rating_col}')")
            ratings = ratings[~unrated]
        elif unrated.any():
            row = int(np.flatnonzero(unrated.to_numpy())[0])
            problem = "is empty" if pd.isna(raw.iloc[row]) else f"has a non-numeric value {raw.iloc[row]!r}"
            raise ConversionError(
                f"{path}: column '{args.rating_col}' {problem} at line {int(frame['_line'].iloc[row])} "
                "(--skip_bad_rows drops such rows)"
            )
        frame = frame[(ratings >= args.min_rating).to_numpy()]
        if frame.empty:
            raise ConversionError(f"{path}: no row has '{args.rating_col}' >= {args.min_rating} (--min_rating)")
    inter = pd.DataFrame(
        {
            "user_id": _ids(frame, args.user_col, path),
            "item_id": _ids(frame, args.item_col, path),
            "timestamp": frame["_time"].to_numpy(),
        }
    )
    inter["vlogger_id"] = inter["item_id"].map(creator_of)
    unknown = inter["vlogger_id"].isna()
    if unknown.any():
        logger.warning(
            "%s: dropped %d interaction(s) with items that have no creator in %s", path, int(unknown.sum()), args.items
        )
        inter = inter[~unknown]
    if inter.empty:
        raise ConversionError(f"{path}: no interaction names an item with a creator in {args.items}")
    return inter.sort_values("timestamp", kind="stable").reset_index(drop=True)


def header_of(path, sep=None, header=True):
    """The column names of a CSV, TSV or Parquet file (by position, ``"1"`` first, for a text file without ``header``)."""
    path = check_input_file(path)
    if _kind(path) in PARQUET:
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as error:  # pyarrow's errors for a file that is no Parquet
            raise ConversionError(f"{path}: not a readable Parquet file ({' '.join(str(error).split())})") from None
    separator = sep or SEPARATORS.get(_kind(path), ",")
    if not header:
        return positional_names(path, separator)
    try:
        return list(pd.read_csv(path, nrows=0, sep=separator).columns)
    except (pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as error:
        raise ConversionError(f"{path}: cannot read the header ({' '.join(str(error).split())})") from None


def read_events(args):
    """Explicit user -> creator events, timed if the time column is there (else known before training).

    Without ``--event_time_col`` the interactions' time column is used if the file has it (never
    with ``--no_time``); an empty time is an event known before training.
    """
    path = args.events
    user_col = args.event_user_col or args.user_col
    creator_col = args.event_creator_col or args.creator_col
    time_col = args.event_time_col
    header = not args.no_header
    if time_col is None and args.time_col and args.time_col in header_of(path, args.events_sep, header):
        time_col = args.time_col
    columns = [user_col, creator_col] + ([time_col] if time_col else [])
    frame = read_table(path, columns, sep=args.events_sep, header=header)
    creators = normalize_creators(_ids(frame, creator_col, path), args.creator_normalize, path)
    events = pd.DataFrame({"user_id": _ids(frame, user_col, path), "vlogger_id": creators})
    events["timestamp"] = parse_times(frame, time_col, path, args.time_format, allow_empty=True) if time_col else np.nan
    return events


def parser():
    parser = argument_parser(__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="data folder: writes OUT_DIR/NAME/NAME.{inter,item,uvl} (use as --data_path)")
    parser.add_argument("--name", required=True, help="dataset name")
    parser.add_argument("--interactions", required=True, help="user-item events: CSV, TSV or Parquet (.gz allowed)")
    parser.add_argument("--items", required=True, help="item -> creator table")
    parser.add_argument("--events", default=None, help="optional explicit user -> creator events (follows, ...)")
    parser.add_argument("--user_col", default="user_id", help="user column of --interactions")
    parser.add_argument("--item_col", default="item_id", help="item column of --interactions (and of --items)")
    parser.add_argument(
        "--items_item_col", default=None, help="item column of --items when its name differs (None: --item_col)"
    )
    parser.add_argument("--creator_col", default="creator_id", help="creator column of --items")
    parser.add_argument("--time_col", default=None, help="time column of --interactions (None: timestamp)")
    parser.add_argument(
        "--no_time",
        action="store_true",
        help="--interactions has no time: file order is the split's order (timestamp = row position, 0 first)",
    )
    parser.add_argument("--event_user_col", default=None, help="user column of --events (None: --user_col)")
    parser.add_argument("--event_creator_col", default=None, help="creator column of --events (None: --creator_col)")
    parser.add_argument(
        "--event_time_col", default=None, help="time column of --events (None: --time_col if present, else untimed)"
    )
    parser.add_argument(
        "--time_format",
        default="auto",
        help="auto, s (Unix seconds), ms (Unix milliseconds), iso, or a strftime pattern (day/month/year: percent-d/percent-m/percent-Y)",
    )
    parser.add_argument("--rating_col", default=None, help="with --min_rating: keep rows rated at least that")
    parser.add_argument("--min_rating", type=float, default=None, help="with --rating_col: the lowest positive rating")
    parser.add_argument("--creator_sep", default=None, help="separator of a creator list: the first one is credited")
    parser.add_argument(
        "--creator_normalize",
        choices=NORMALIZE,
        default="none",
        help="creator names: as written (none); NFKC, casefolded, whitespace collapsed (casefold); "
        "and initials joined without periods, 'J. R. R. Tolkien' -> 'jrr tolkien' (initials)",
    )
    parser.add_argument("--sep", default=None, help="field separator of text files (None: from the suffix)")
    parser.add_argument("--items_sep", default=None, help="field separator of --items when it differs (None: --sep)")
    parser.add_argument("--events_sep", default=None, help="field separator of --events when it differs (None: --sep)")
    parser.add_argument(
        "--no_header",
        action="store_true",
        help="the text files have no header line: give every column flag as a position, 1 for the first column",
    )
    parser.add_argument(
        "--skip_bad_rows",
        action="store_true",
        help="drop interaction rows whose time or rating does not parse, count them and name the first lines "
        "(default: such a row stops the conversion)",
    )
    parser.add_argument("--min_user_interactions", type=int, default=1, help="k-core: users with fewer are dropped")
    parser.add_argument("--min_item_interactions", type=int, default=1, help="k-core: items with fewer are dropped")
    return parser


def main(argv=None):
    args = parse_args(parser(), argv)
    if (args.rating_col is None) != (args.min_rating is None):
        raise ConversionError("--rating_col and --min_rating go together: give both or neither")
    if args.no_time:
        given = [
            flag
            for flag, value in (
                ("--time_col", args.time_col),
                ("--time_format", args.time_format != "auto"),
                ("--event_time_col", args.event_time_col),
            )
            if value
        ]
        if given:
            raise ConversionError(
                f"--no_time and {' and '.join(given)} exclude each other: without times, file order is the split's order"
            )
    else:
        args.time_col = args.time_col or "timestamp"
    for flag in ("sep", "items_sep", "events_sep"):
        if getattr(args, flag) is not None:  # '\t' from a shell means a tab
            setattr(args, flag, getattr(args, flag).encode().decode("unicode_escape"))
    args.items_sep = args.items_sep or args.sep
    args.events_sep = args.events_sep or args.sep
    header = not args.no_header
    item_col = args.items_item_col or args.item_col
    items = read_items(
        args.items, item_col, args.creator_col, args.creator_sep, args.items_sep, header, args.creator_normalize
    )
    inter = read_interactions(args, dict(zip(items["item_id"], items["vlogger_id"])))
    events = read_events(args) if args.events else pd.DataFrame(columns=["user_id", "vlogger_id", "timestamp"])
    # the dataset's rule links a user to a creator after 3 of its items (uvl_min_videos): counted in the statistics
    thresholds = Thresholds(args.min_user_interactions, args.min_item_interactions, 1, 3, 1)
    started = time.monotonic()
    kept, kept_events, _ = apply_paper_filters(inter, events, thresholds, kinds=KINDS)
    logger.info("filters applied (%.1f s)", time.monotonic() - started)
    if kept.empty:
        raise ConversionError(
            f"{args.interactions}: the k-core filters (--min_user_interactions {args.min_user_interactions}, "
            f"--min_item_interactions {args.min_item_interactions}) removed every interaction"
        )
    if len(kept_events) < len(events):
        logger.warning(
            "%s: dropped %d event(s) of users or creators without a kept interaction, or repeated pairs",
            args.events,
            len(events) - len(kept_events),
        )
    return finish(args.out_dir, args.name, kept, kept_events, thresholds, kinds=KINDS)


if __name__ == "__main__":
    run_cli(main)
