"""`recbole-vagnn convert table`: any user-item-creator tables to atomic files, rule by rule."""

import gzip
import logging
import shutil
from pathlib import Path

import pandas as pd
import pytest

from recbole_vagnn.data import create_dataset
from recbole_vagnn.dataset_converters import table
from recbole_vagnn.dataset_converters.common import ConversionError
from recbole_vagnn.utils.paths import PROPERTIES_DIR
from tests.conftest import make_config

ITEMS = [("b1", "Ann"), ("b2", "Ann"), ("b3", "Bo"), ("b4", "Bo")]
# u1 rates b1 twice (earliest kept); u2's two rows at the same time keep their file order
INTERACTIONS = [
    ("u1", "b1", "2024-01-02"),
    ("u1", "b2", "2024-01-03"),
    ("u1", "b1", "2024-01-05"),
    ("u1", "b3", "2024-01-04"),
    ("u2", "b4", "2024-01-01"),
    ("u2", "b3", "2024-01-01"),
    ("u2", "b1", "2024-01-02"),
]
DAY = 86400.0
JAN1 = 1704067200.0  # 2024-01-01T00:00:00Z


def write(folder, name, header, rows, sep=","):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join([sep.join(header)] + [sep.join(map(str, row)) for row in rows]) + "\n")
    return path


def convert(tmp_path, inter_rows=INTERACTIONS, item_rows=ITEMS, extra=(), inter_header=None, item_header=None):
    raw = tmp_path / "raw"
    inter = write(raw, "inter.csv", inter_header or ["user_id", "item_id", "timestamp"], inter_rows)
    items = write(raw, "items.csv", item_header or ["item_id", "creator_id"], item_rows)
    out = tmp_path / "out"
    stats = table.main([str(out), "--name", "t", "--interactions", str(inter), "--items", str(items), *extra])
    return stats, read(out)


def read(out):
    return {s: pd.read_csv(out / "t" / f"t.{s}", sep="\t", dtype=str) for s in ("inter", "item", "uvl")}


def pairs(frames):
    inter = frames["inter"]
    return list(zip(inter["user_id:token"], inter["item_id:token"], inter["timestamp:float"].astype(float)))


def test_iso_dates_become_seconds_repeats_keep_the_earliest_and_file_order_breaks_ties(tmp_path, capsys):
    stats, frames = convert(tmp_path)
    assert sorted(pairs(frames)) == sorted(
        [
            ("u1", "b1", JAN1 + DAY),
            ("u1", "b2", JAN1 + 2 * DAY),
            ("u1", "b3", JAN1 + 3 * DAY),
            ("u2", "b4", JAN1),
            ("u2", "b3", JAN1),
            ("u2", "b1", JAN1 + DAY),
        ]
    )
    u2 = [item for user, item, _ in pairs(frames) if user == "u2"]
    assert u2 == ["b4", "b3", "b1"]  # written in time order, file order within equal times
    assert stats["#Users"] == 2 and stats["#Items"] == 4 and stats["#Creators"] == 2
    assert "link lift" in capsys.readouterr().out
    dataset = create_dataset(make_config("LightGCN", "t", data_path=tmp_path / "out"))
    assert dataset.vlogger_num == 3 and dataset.inter_num == 6


@pytest.mark.parametrize(
    "values, time_format, expected",
    [
        (["1700000000", "1700000100"], "auto", [1700000000.0, 1700000100.0]),
        (["1700000000000", "1700000100500"], "auto", [1700000000.0, 1700000100.5]),
        (["1700000000000", "1700000100500"], "ms", [1700000000.0, 1700000100.5]),
        (["2024-01-01T00:00:30", "2024-01-01 00:01:00+01:00"], "auto", [JAN1 + 30, JAN1 + 60 - 3600]),
        (["02/01/2024", "03/01/2024"], "%d/%m/%Y", [JAN1 + DAY, JAN1 + 2 * DAY]),
    ],
)
def test_time_formats(tmp_path, values, time_format, expected):
    rows = [("u1", "b1", values[0]), ("u1", "b3", values[1])]
    _, frames = convert(tmp_path, rows, extra=["--time_format", time_format])
    assert sorted(t for *_, t in pairs(frames)) == pytest.approx(sorted(expected))


@pytest.mark.parametrize(
    "values, time_format, message",
    [
        (["2024-01-01", "yesterday"], "auto", "column 'timestamp' has 'yesterday' at line 3, which is not an ISO"),
        (["17000", "x"], "s", "column 'timestamp' has 'x' at line 3, which is not Unix seconds"),
        (["1700000000", ""], "auto", "column 'timestamp' has '' at line 3"),
    ],
)
def test_an_unparsable_time_names_file_line_and_column(tmp_path, values, time_format, message):
    rows = [("u1", "b1", values[0]), ("u1", "b3", values[1])]
    with pytest.raises(ConversionError, match=message):
        convert(tmp_path, rows, extra=["--time_format", time_format])
    assert not (tmp_path / "out").exists()


def test_rating_threshold_keeps_positives_and_a_bad_rating_names_its_line(tmp_path):
    rows = [("u1", "b1", 1, 5), ("u1", "b2", 2, 3), ("u1", "b3", 3, 4)]
    header = ["user_id", "item_id", "timestamp", "stars"]
    _, frames = convert(tmp_path, rows, inter_header=header, extra=["--rating_col", "stars", "--min_rating", "4"])
    assert [item for _, item, _ in pairs(frames)] == ["b1", "b3"]
    with pytest.raises(ConversionError, match=r"inter.csv: column 'stars' has a non-numeric value 'five' at line 3"):
        convert(
            tmp_path,
            [rows[0], ("u1", "b2", 2, "five")],
            inter_header=header,
            extra=["--rating_col", "stars", "--min_rating", "4"],
        )
    with pytest.raises(ConversionError, match=r"no row has 'stars' >= 9.0 \(--min_rating\)"):
        convert(tmp_path, rows, inter_header=header, extra=["--rating_col", "stars", "--min_rating", "9"])
    with pytest.raises(ConversionError, match="--rating_col and --min_rating go together"):
        convert(tmp_path, rows, inter_header=header, extra=["--rating_col", "stars"])


def test_several_creators_credit_the_first_and_are_counted(tmp_path, caplog):
    items = [("b1", '"Joel Coen, Ethan Coen"'), ("b2", "Ann"), ("b3", '"Bo, Ann"'), ("b4", "Bo")]
    with caplog.at_level(logging.WARNING):
        _, frames = convert(tmp_path, item_rows=items, extra=["--creator_sep", ", "])
    item = dict(zip(frames["item"]["item_id:token"], frames["item"]["vlogger_id:token"]))
    assert item == {"b1": "Joel Coen", "b2": "Ann", "b3": "Bo", "b4": "Bo"}
    assert "2 item(s) list several creators; each is credited to the first one listed" in caplog.text


def test_items_without_creator_and_interactions_with_unknown_items_are_dropped_and_counted(tmp_path, caplog):
    items = [("b1", "Ann"), ("b2", ""), ("b3", "Bo"), ("b9", "Cy")]  # b4 is unknown, b9 is never rated
    with caplog.at_level(logging.WARNING):
        stats, frames = convert(tmp_path, item_rows=items)
    assert set(frames["inter"]["item_id:token"]) == {"b1", "b3"}
    assert sorted(frames["item"]["item_id:token"]) == ["b1", "b3"]  # exactly the items left in .inter
    assert "dropped 1 item row(s) without a creator" in caplog.text
    assert "dropped 2 interaction(s) with items that have no creator" in caplog.text  # b2's and b4's
    assert stats["#Creators"] == 2


def test_an_item_with_two_creators_is_an_error_naming_the_line(tmp_path):
    with pytest.raises(
        ConversionError,
        match=r"items.csv: item 'b2' has two creators in column 'creator_id' \(Ann, Bo\), first at line 4",
    ):
        convert(tmp_path, item_rows=[("b1", "Ann"), ("b2", "Ann"), ("b2", "Bo")])
    assert not (tmp_path / "out").exists()


def test_k_core_filters_run_to_a_fixed_point_and_an_empty_result_names_the_filter(tmp_path):
    # b4 has one user; dropping it leaves u2 with one interaction, which then drops b3's second user...
    rows = [
        ("u1", "b1", 1),
        ("u1", "b2", 2),
        ("u1", "b3", 3),
        ("u3", "b1", 4),
        ("u3", "b2", 5),
        ("u2", "b3", 6),
        ("u2", "b4", 7),
    ]
    _, frames = convert(tmp_path, rows, extra=["--min_user_interactions", "2", "--min_item_interactions", "2"])
    assert sorted((u, i) for u, i, _ in pairs(frames)) == [("u1", "b1"), ("u1", "b2"), ("u3", "b1"), ("u3", "b2")]
    with pytest.raises(
        ConversionError, match=r"k-core filters \(--min_user_interactions 9, --min_item_interactions 1\) removed every"
    ):
        convert(tmp_path, rows, extra=["--min_user_interactions", "9"])


def test_events_with_and_without_times_and_named_columns(tmp_path):
    raw = tmp_path / "raw"
    events = write(
        raw,
        "follows.tsv",
        ["fan", "artist", "when"],
        [("u1", "Bo", "2024-01-02"), ("u2", "Ann", ""), ("u9", "Ann", "2024-01-01")],
        sep="\t",
    )
    extra = [
        "--events",
        str(events),
        "--event_user_col",
        "fan",
        "--event_creator_col",
        "artist",
        "--event_time_col",
        "when",
    ]
    _, frames = convert(tmp_path, extra=extra)
    uvl = frames["uvl"].fillna("")
    assert sorted(zip(uvl["user_id:token"], uvl["vlogger_id:token"], uvl["timestamp:float"])) == [
        ("u1", "Bo", str(JAN1 + DAY)),
        ("u2", "Ann", ""),  # no time: known before training; u9 has no interaction and is dropped
    ]
    untimed = write(raw, "subs.csv", ["user_id", "creator_id"], [("u1", "Ann")])
    _, frames = convert(tmp_path, extra=["--events", str(untimed)])
    assert frames["uvl"].fillna("").values.tolist() == [["u1", "Ann", ""]]


def test_tsv_parquet_and_gzip_inputs_give_the_same_files(tmp_path):
    _, expected = convert(tmp_path / "csv")
    raw = tmp_path / "raw"
    inter = pd.DataFrame(INTERACTIONS, columns=["user_id", "item_id", "timestamp"])
    items = pd.DataFrame(ITEMS, columns=["item_id", "creator_id"])
    raw.mkdir()
    inter.to_parquet(raw / "inter.parquet")
    items.to_csv(raw / "items.tsv", sep="\t", index=False)
    with open(raw / "items.tsv", "rb") as plain, gzip.open(raw / "items.tsv.gz", "wb") as packed:
        shutil.copyfileobj(plain, packed)
    for items_file in ("items.tsv", "items.tsv.gz"):
        out = tmp_path / f"out-{items_file}"
        table.main(
            [str(out), "--name", "t", "--interactions", str(raw / "inter.parquet"), "--items", str(raw / items_file)]
        )
        frames = read(out)
        for suffix in ("inter", "item"):
            assert frames[suffix].equals(expected[suffix])
    semicolons = write(raw, "items.txt", ["item_id", "creator_id"], ITEMS, sep=";")
    table.main(
        [
            str(tmp_path / "out-sep"),
            "--name",
            "t",
            "--interactions",
            str(raw / "inter.parquet"),
            "--items",
            str(semicolons),
            "--sep",
            ";",
        ]
    )
    assert read(tmp_path / "out-sep")["item"].equals(expected["item"])


@pytest.mark.parametrize(
    "damage, message",
    [
        ({"items": "missing.csv"}, r"missing.csv: file not found"),
        ({"item_header": ["item_id", "author"]}, r"items.csv: missing column\(s\) \['creator_id'\]"),
        ({"inter_rows": [("u1", "", "2024-01-01")]}, r"inter.csv: column 'item_id' is empty at line 2"),
        ({"inter_rows": [("u1", "b7", "2024-01-01")]}, r"no interaction names an item with a creator"),
        ({"items": "items.xlsx"}, r"cannot tell the file's kind from '.xlsx'"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, damage, message):
    raw = tmp_path / "raw"
    inter = write(raw, "inter.csv", ["user_id", "item_id", "timestamp"], damage.get("inter_rows", INTERACTIONS))
    items = write(raw, "items.csv", damage.get("item_header", ["item_id", "creator_id"]), ITEMS)
    if "items" in damage:
        items = raw / damage["items"]
        if items.suffix == ".xlsx":
            items.write_text("x")
    with pytest.raises(ConversionError, match=message):
        table.main([str(tmp_path / "out"), "--name", "t", "--interactions", str(inter), "--items", str(items)])
    assert not (tmp_path / "out").exists()


def test_the_readme_books_example_converts_and_a_small_data_preset_exists(tmp_path, capsys):
    books = Path(__file__).resolve().parents[1] / "dataset_converters" / "examples" / "books"
    table.main(
        [
            str(tmp_path / "dataset"),
            "--name",
            "books",
            "--interactions",
            str(books / "ratings.csv"),
            "--items",
            str(books / "books.csv"),
            "--events",
            str(books / "follows.csv"),
            "--user_col",
            "reader",
            "--item_col",
            "book",
            "--creator_col",
            "authors",
            "--creator_sep",
            ", ",
            "--time_col",
            "date",
            "--rating_col",
            "rating",
            "--min_rating",
            "4",
            "--event_creator_col",
            "author",
            "--event_time_col",
            "followed_at",
        ]
    )
    out = capsys.readouterr().out
    assert "books     150" in out and "link lift" in out
    assert (PROPERTIES_DIR / "presets" / "small-data.yaml").is_file()


SHARED_AMAZON = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "amazon-brand"
SHARED_BOOK_CROSSING = SHARED_AMAZON.parent / "book-crossing"


def test_headerless_files_with_a_separator_and_item_column_of_their_own(tmp_path, caplog):
    raw = tmp_path / "raw"
    raw.mkdir()
    # like a .dat dump: TAB-separated interactions (user, item, rating, time), comma-separated item -> brand
    (raw / "user_item.dat").write_text("u1\tb1\t5\t100\nu1\tb3\t2\t200\nu2\tb2\t4\t150\nu2\tb1\t4\t300\n")
    (raw / "item_brand.dat").write_text("b1,Ann\nb2,Ann\nb3,Bo\n")
    flags = ["--no_header", "--sep", "\\t", "--items_sep", ",", "--user_col", "1", "--item_col", "2"]
    flags += [
        "--time_col",
        "4",
        "--rating_col",
        "3",
        "--min_rating",
        "4",
        "--items_item_col",
        "1",
        "--creator_col",
        "2",
    ]
    out = tmp_path / "out"
    caplog.set_level(logging.INFO)
    table.main(
        [
            str(out),
            "--name",
            "t",
            "--interactions",
            str(raw / "user_item.dat"),
            "--items",
            str(raw / "item_brand.dat"),
            *flags,
        ]
    )
    frames = read(out)
    assert sorted(pairs(frames)) == [("u1", "b1", 100.0), ("u2", "b1", 300.0), ("u2", "b2", 150.0)]  # b3 rated 2
    assert dict(zip(frames["item"]["item_id:token"], frames["item"]["vlogger_id:token"])) == {"b1": "Ann", "b2": "Ann"}
    assert "user_item.dat: 4 rows read (" in caplog.text and "filters applied (" in caplog.text  # progress by stage


@pytest.mark.skipif(not SHARED_AMAZON.is_dir(), reason="../shared/data/amazon-brand is not here")
def test_the_real_amazon_brand_dump_converts_with_the_headerless_flags(tmp_path, capsys):
    """The manual's worked example for headerless data: no header, TAB in one file and a comma in the other."""
    stats = table.main(
        [str(tmp_path / "dataset"), "--name", "amazon-brand"]
        + ["--interactions", str(SHARED_AMAZON / "user_item.dat"), "--items", str(SHARED_AMAZON / "item_brand.dat")]
        + ["--no_header", "--sep", "\\t", "--items_sep", ",", "--user_col", "1", "--item_col", "2", "--time_col", "4"]
        + ["--rating_col", "3", "--min_rating", "4", "--items_item_col", "1", "--creator_col", "2"]
    )
    assert (stats["#Users"], stats["#Items"], stats["#Creators"]) == (6164, 2753, 334)
    assert stats["#User-item Interactions"] == 146230 and stats["#User-creator Interactions"] > 0
    assert "link lift 0.97" in capsys.readouterr().out


def test_bad_rows_stop_the_conversion_unless_skip_bad_rows_drops_and_counts_them(tmp_path, caplog):
    rows = INTERACTIONS + [("u3", "b2", "Formato inválido")] * 7
    with pytest.raises(ConversionError, match="'Formato inválido' at line 9.*--skip_bad_rows drops such rows"):
        convert(tmp_path, inter_rows=rows)
    assert not (tmp_path / "out").exists()
    with caplog.at_level(logging.WARNING):
        _, frames = convert(tmp_path, inter_rows=rows, extra=["--skip_bad_rows"])
    assert (
        "dropped 7 row(s) whose time ('timestamp') does not parse (--skip_bad_rows), at line(s) 9, 10, 11, 12, 13, ..."
        in caplog.text
    )
    assert "u3" not in set(frames["inter"]["user_id:token"])


def test_a_folder_given_as_a_file_or_a_file_given_as_out_dir_is_named_before_reading(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    write(raw, "songs.csv", ["user_id", "item_id", "timestamp"], [("u", "s", 1)])
    write(raw, "artists.csv", ["item_id", "creator_id"], [("s", "a")])
    with pytest.raises(
        ConversionError,
        match=r"raw is a folder, not a table file: give one of its data files: .*artists.csv, .*songs.csv",
    ):
        table.main(
            [str(tmp_path / "out"), "--name", "t", "--interactions", str(raw), "--items", str(raw / "artists.csv")]
        )
    read_anything = []
    monkeypatch.setattr(table, "read_items", lambda *args: read_anything.append(args))
    with pytest.raises(Exception, match="songs.csv is a file, not a folder: the output is a data folder"):
        table.main(
            [
                str(raw / "songs.csv"),
                "--name",
                "t",
                "--interactions",
                str(raw / "songs.csv"),
                "--items",
                str(raw / "artists.csv"),
            ]
        )
    assert read_anything == []  # refused before any input was read


def test_statistics_count_the_rules_links_and_messages_say_items_and_creators(tmp_path, caplog, capsys):
    rows = [(u, b, f"2024-01-0{d}") for u in ("u1", "u2") for d, b in enumerate(["b1", "b2", "b3", "b4"], start=1)]
    with caplog.at_level(logging.INFO):
        items = [("b1", "Ann"), ("b2", "Ann"), ("b3", "Ann"), ("b4", "Bo")]
        stats, _ = convert(tmp_path, inter_rows=rows + [("u1", "b1", "2024-01-09")], item_rows=items)
    assert stats["#Explicit pairs"] == 0 and stats["#User-creator Interactions"] > 0  # Ann's 3 books: the rule's link
    text = caplog.text + capsys.readouterr().out
    assert "user-video" not in text and "user-vlogger" not in text
    assert "duplicate user-item" in text and "no explicit user-creator event" in text


def test_no_time_keeps_file_order_and_writes_each_rows_position(tmp_path, caplog):
    # no time column; u1 rates b1 twice (the first in the file is kept); row 3 is below --min_rating
    rows = [("u1", "b3", 8), ("u2", "b1", 9), ("u1", "b2", 2), ("u1", "b1", 7), ("u2", "b4", 9), ("u1", "b1", 9)]
    with caplog.at_level(logging.INFO):
        _, frames = convert(
            tmp_path,
            rows,
            inter_header=["user_id", "item_id", "stars"],
            extra=["--no_time", "--rating_col", "stars", "--min_rating", "7"],
        )
    assert pairs(frames) == [("u1", "b3", 0.0), ("u2", "b1", 1.0), ("u1", "b1", 3.0), ("u2", "b4", 4.0)]
    assert "no times: file order is the split's order" in caplog.text
    dataset = create_dataset(make_config("LightGCN", "t", data_path=tmp_path / "out"))
    assert dataset.inter_num == 4


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--time_col", "when"], "--time_col"),
        (["--time_format", "ms"], "--time_format"),
        (["--event_time_col", "when", "--time_col", "t"], "--time_col and --event_time_col"),
    ],
)
def test_no_time_with_a_time_flag_is_one_line_and_writes_nothing(tmp_path, flags, named):
    with pytest.raises(ConversionError, match=f"^--no_time and {named} exclude each other: without times, file order"):
        convert(tmp_path, [("u1", "b1")], inter_header=["user_id", "item_id"], extra=["--no_time", *flags])
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("none", ["J.K. Rowling", "j.k.  rowling", "J.K. ROWLING", "J. K. Rowling", "Ｊ.K. Rowling"]),
        ("casefold", ["j.k. rowling", "j.k. rowling", "j.k. rowling", "j. k. rowling", "j.k. rowling"]),
        ("initials", ["jk rowling"] * 5),
    ],
)
def test_creator_normalize_merges_spellings_of_one_name(mode, expected):
    names = ["J.K. Rowling", "j.k.  rowling", "J.K. ROWLING", "J. K. Rowling", "Ｊ.K. Rowling"]  # a full-width J
    assert [table.normalize_creator(name, mode) for name in names] == expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("J. R. R. Tolkien", "jrr tolkien"),
        ("J R R Tolkien", "jrr tolkien"),
        ("j.r.r.tolkien", "jrr tolkien"),
        ("Stephen R. Donaldson", "stephen r donaldson"),
        ("Malcolm X.", "malcolm x"),
        ("Dr. Seuss", "dr. seuss"),
        ("Straße  Ünal", "strasse ünal"),
    ],
)
def test_initials_join_without_periods(name, expected):
    assert table.normalize_creator(name, "initials") == expected


def test_casefold_merges_creators_of_items_and_events_and_counts_them(tmp_path, caplog):
    items = [("b1", "J.K. Rowling"), ("b2", " j.k.  rowling"), ("b3", "Bo"), ("b4", "BO"), ("b4", "bo")]
    follows = write(tmp_path / "raw", "follows.csv", ["user_id", "creator_id"], [("u1", "J.K. ROWLING")])
    with caplog.at_level(logging.INFO):
        stats, frames = convert(
            tmp_path, item_rows=items, extra=["--creator_normalize", "casefold", "--events", str(follows)]
        )
    item = dict(zip(frames["item"]["item_id:token"], frames["item"]["vlogger_id:token"]))
    assert item == {"b1": "j.k. rowling", "b2": "j.k. rowling", "b3": "bo", "b4": "bo"}  # b4 no longer has two
    assert frames["uvl"]["vlogger_id:token"].tolist() == ["j.k. rowling"]
    assert stats["#Creators"] == 2
    assert "--creator_normalize casefold: 5 distinct creator names became 2" in caplog.text
    with pytest.raises(ConversionError, match="item 'b4' has two creators"):
        convert(tmp_path, item_rows=items)  # as written: 'BO' and 'bo' differ


@pytest.mark.skipif(not SHARED_BOOK_CROSSING.is_dir(), reason="../shared/data/book-crossing is not here")
@pytest.mark.parametrize("mode, creators, lift", [("casefold", 4052, "16.71"), ("initials", 4014, "16.31")])
def test_the_real_book_crossing_files_convert_without_times(tmp_path, capsys, mode, creators, lift):
    """Its README's recipe (ratings >= 7, users >= 5, books >= 3) run to a fixed point, not five passes."""
    stats = table.main(
        [str(tmp_path / "dataset"), "--name", "book-crossing", "--no_time"]
        + ["--interactions", str(SHARED_BOOK_CROSSING / "BX-Ratings.csv")]
        + ["--items", str(SHARED_BOOK_CROSSING / "BX-Books.csv")]
        + ["--user_col", "User-ID", "--item_col", "ISBN", "--creator_col", "Book-Author", "--creator_normalize", mode]
        + ["--rating_col", "Book-Rating", "--min_rating", "7", "--min_user_interactions", "5"]
        + ["--min_item_interactions", "3"]
    )
    assert (stats["#Users"], stats["#Items"], stats["#Creators"]) == (5725, 12377, creators)
    assert stats["#User-item Interactions"] == 98240
    assert f"link lift {lift}:" in capsys.readouterr().out
