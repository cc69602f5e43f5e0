"""Converters: the paper's rules on hand-countable raw files, and every bad-input path."""

import subprocess
import sys

import pandas as pd
import pytest

from recbole_vagnn.data import create_dataset
from recbole_vagnn.dataset_converters import authors, takatak, wechat
from recbole_vagnn.dataset_converters.common import (
    ConversionError,
    Thresholds,
    apply_paper_filters,
    paper_user_vlogger_pairs,
)
from tests.conftest import make_config

LOOSE = [
    "--min_user_interactions",
    "1",
    "--min_video_interactions",
    "1",
    "--min_vlogger_videos",
    "1",
    "--min_user_vlogger_interactions",
    "1",
]
ACTION_COLUMNS = [
    "userid",
    "feedid",
    "date_",
    "device",
    "read_comment",
    "comment",
    "like",
    "play",
    "stay",
    "click_avatar",
    "forward",
    "follow",
    "favorite",
]


def action(user, feed, day=1, play=0, **flags):
    row = dict.fromkeys(ACTION_COLUMNS, 0)
    row.update(userid=user, feedid=feed, date_=day, device=1, play=play, stay=play + 500, **flags)
    return row


def write_wechat(folder, actions, feeds):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(actions, columns=ACTION_COLUMNS).to_csv(folder / "user_action.csv", index=False)
    pd.DataFrame(feeds, columns=["feedid", "authorid", "videoplayseconds", "bgm_song_id"]).to_csv(
        folder / "feed_info.csv", index=False
    )
    return folder


def read_out(out, name):
    return {s: pd.read_csv(out / name / f"{name}.{s}", sep="\t") for s in ("inter", "item", "uvl")}


# ---- the filters -------------------------------------------------------------------------------


def frame(pairs, vlogger_of):
    return pd.DataFrame(
        [(u, v, vlogger_of[v], t) for t, (u, v) in enumerate(pairs)],
        columns=["user_id", "item_id", "vlogger_id", "timestamp"],
    )


NO_EVENTS = pd.DataFrame(columns=["user_id", "vlogger_id", "timestamp"])


def test_filters_iterate_to_a_fixed_point():
    # video 3 has one user -> gone; then C has one video -> gone; A and B remain.
    vlogger_of = {1: "p1", 2: "p2", 3: "p3"}
    positives = frame([("A", 1), ("A", 2), ("B", 1), ("B", 2), ("C", 2), ("C", 3)], vlogger_of)
    t = Thresholds(2, 2, 1, 3, 1)
    inter, _, rounds = apply_paper_filters(positives, NO_EVENTS, t)
    assert sorted(zip(inter["user_id"], inter["item_id"])) == [("A", 1), ("A", 2), ("B", 1), ("B", 2)]
    assert rounds == 3  # two passes remove something, the third confirms


def test_only_explicit_events_are_kept_each_pair_at_its_earliest_time():
    vlogger_of = {1: "p1", 2: "p1", 3: "p1", 4: "p2", 5: "p3", 6: "p3"}
    pairs = [("A", 1), ("A", 2), ("A", 3), ("A", 4), ("B", 5), ("B", 6), ("B", 1)]
    events = pd.DataFrame(
        {"user_id": ["B", "B", "B", "C"], "vlogger_id": ["p3", "p2", "p3", "p1"], "timestamp": [9.0, 1.0, 4.0, 2.0]}
    )
    inter, kept, _ = apply_paper_filters(frame(pairs, vlogger_of), events, Thresholds(1, 1, 2, 3, 1))
    assert "p2" not in set(inter["vlogger_id"])  # one video only
    # A's three videos of p1 make no row: the dataset applies that rule to the training split.
    # B's p2 event goes with p2, C has no video; B's p3 keeps its earliest time.
    assert list(zip(kept["user_id"], kept["vlogger_id"], kept["timestamp"])) == [("B", "p3", 4.0)]


def test_table1_counts_user_vlogger_pairs_the_papers_way():
    vlogger_of = {1: "p1", 2: "p1", 3: "p1", 4: "p2"}
    inter = frame([("A", 1), ("A", 2), ("A", 3), ("B", 1), ("B", 4)], vlogger_of)
    events = pd.DataFrame({"user_id": ["B"], "vlogger_id": ["p2"], "timestamp": [0.0]})
    # rule: A-p1 (3 videos); explicit: B-p2 -> 2 pairs; a 2-link minimum then removes every one
    assert paper_user_vlogger_pairs(inter, events, Thresholds(1, 1, 1, 3, 1)) == 2
    assert paper_user_vlogger_pairs(inter, events, Thresholds(1, 1, 1, 3, 2)) == 0
    assert paper_user_vlogger_pairs(inter, events, Thresholds(1, 1, 1, 2, 1)) == 2  # B has 1 of p1


# ---- WeChat --------------------------------------------------------------------------------------


def test_wechat_positive_rules(tmp_path):
    feeds = [(10, "a1", 10, 0), (11, "a1", 100, 0), (12, "a2", 100, 0), (13, "a2", 10, 0), (14, "a2", 200, 0)]
    actions = [
        action(1, 10, play=16_000),  # 1.6 loops of a 10 s video -> positive
        action(1, 11, play=61_000),  # 61 s watched -> positive
        action(1, 12, play=59_000),  # 0.59 loops, 59 s -> negative
        action(1, 13, play=14_000),  # 1.4 loops, 14 s -> negative
        action(2, 14, play=1_000, like=1),  # explicit feedback -> positive
        action(2, 12, play=0, read_comment=1),
        action(2, 13, play=0, follow=1),  # follow alone is no positive video interaction
    ]
    write_wechat(tmp_path / "raw", actions, feeds)
    wechat.main([str(tmp_path / "raw"), str(tmp_path / "out"), *LOOSE])
    out = read_out(tmp_path / "out", "wechat")
    assert sorted(zip(out["inter"]["user_id:token"], out["inter"]["item_id:token"])) == [
        (1, 10),
        (1, 11),
        (2, 12),
        (2, 14),
    ]
    links = set(zip(out["uvl"]["user_id:token"], out["uvl"]["vlogger_id:token"]))
    assert links == {(2, "a2")}  # the follow; watching 2 of a1's videos is no event


def test_wechat_events_share_the_interactions_clock_and_unknown_lengths_give_no_loops(tmp_path):
    feeds = [(10, "a1", 10, 0), (11, "a1", 0, 0), (12, "a2", -3, 0), (13, "a2", 10, 0)]
    actions = [
        action(1, 10, day=1, like=1),
        action(1, 11, day=1, play=5_000),  # length 0: unknown, no loop -> negative
        action(1, 12, day=2, play=5_000),  # negative length: unknown -> negative
        action(1, 13, day=3, like=1, follow=1),  # the follow happens on this (last) row
    ]
    write_wechat(tmp_path / "raw", actions, feeds)
    wechat.main([str(tmp_path / "raw"), str(tmp_path / "out"), *LOOSE])
    out = read_out(tmp_path / "out", "wechat")
    assert sorted(out["inter"]["item_id:token"]) == [10, 13]
    last = out["inter"].loc[out["inter"]["item_id:token"] == 13, "timestamp:float"].item()
    assert out["uvl"]["timestamp:float"].tolist() == [last] == [3 + 3 / 4]


def test_wechat_thresholds_are_flags(tmp_path):
    feeds = [(10, "a1", 10, 0)]
    write_wechat(tmp_path / "raw", [action(1, 10, play=12_000), action(1, 10, play=12_000, follow=1)], feeds)
    wechat.main([str(tmp_path / "raw"), str(tmp_path / "out"), "--min_loop", "1.1", *LOOSE])
    assert len(read_out(tmp_path / "out", "wechat")["inter"]) == 1
    with pytest.raises(ConversionError, match="no user-video interaction survives"):
        wechat.main([str(tmp_path / "raw"), str(tmp_path / "out2"), *LOOSE])


def test_wechat_days_keep_file_order_inside_a_day(tmp_path):
    feeds = [(f, "a1", 10, 0) for f in (10, 11, 12)]
    actions = [action(1, 12, day=2, like=1), action(1, 11, day=1, like=1), action(1, 10, day=2, like=1)]
    write_wechat(tmp_path / "raw", actions, feeds)
    wechat.main([str(tmp_path / "raw"), str(tmp_path / "out"), *LOOSE])
    inter = read_out(tmp_path / "out", "wechat")["inter"].sort_values("timestamp:float")
    assert inter["item_id:token"].tolist() == [11, 12, 10]


def test_wechat_default_rules_on_a_generated_log_load_as_a_tripartite_dataset(tmp_path, capsys):
    # 12 users like all 20 videos: authors a0..a5 have 3 videos each, a6 has 2 (dropped: < 3).
    feeds = [(100 + v, f"a{v // 3}", 10, 0) for v in range(20)]
    actions = [action(u, 100 + v, day=1 + v % 14, like=1) for u in range(12) for v in range(20)]
    write_wechat(tmp_path / "raw", actions, feeds)
    stats = wechat.main([str(tmp_path / "raw"), str(tmp_path / "data")])
    assert stats["#Vloggers"] == 6 and stats["#Micro-videos"] == 18
    assert stats["#Users"] == 12 and stats["#User-video Interactions"] == 12 * 18
    assert stats["#User-vlogger Interactions"] == 12 * 6  # Table 1's way: 3 videos of every kept author
    assert stats["#Explicit pairs"] == 0  # likes only: .uvl holds no event
    # every user watched every video: the test video is the one candidate, and its vlogger has at
    # most 2 videos in training (the other is the validation or test video), so it is not linked
    printed = capsys.readouterr().out
    assert "link lift not measurable: at a base rate of 0% of candidate videos, fewer than one of the 12" in printed
    dataset = create_dataset(make_config("BPR", "wechat", data_path=tmp_path / "data"))
    assert dataset.vlogger_num == 7 and dataset.inter_num == 12 * 18


def test_wechat_videos_without_author_and_duplicates_are_counted(tmp_path, caplog):
    feeds = [(10, "a1", 10, 0), (11, None, 10, 0), (10, "a1", 10, 0)]
    actions = [action(1, 10, like=1, follow=1), action(1, 10, like=1), action(1, 11, like=1), action(1, 99, like=1)]
    write_wechat(tmp_path / "raw", actions, feeds)
    with caplog.at_level("WARNING"):
        wechat.main([str(tmp_path / "raw"), str(tmp_path / "out"), *LOOSE])
    assert "1 video(s) without an author" in caplog.text
    assert "dropped 1 duplicate feed_info row(s)" in caplog.text
    assert "2 action row(s) name videos missing from feed_info.csv" in caplog.text
    assert "dropped 1 duplicate user-video row(s)" in caplog.text


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: (raw / "feed_info.csv").unlink(), "feed_info.csv: file not found"),
        (lambda raw: (raw / "user_action.csv").write_text(""), "user_action.csv: the file is empty"),
        (lambda raw: (raw / "user_action.csv").write_text(",".join(ACTION_COLUMNS) + "\n"), "header but no rows"),
        (lambda raw: (raw / "user_action.csv").write_text("userid,feedid\n1,10\n"), "missing column(s)"),
        (
            lambda raw: (raw / "user_action.csv").write_text(
                (raw / "user_action.csv").read_text().replace("16000", "lots", 1)
            ),
            "non-numeric value 'lots' at line 2",
        ),
    ],
)
def test_wechat_bad_input_stops_cleanly_and_writes_nothing(tmp_path, damage, message):
    raw = write_wechat(tmp_path / "raw", [action(1, 10, play=16_000)], [(10, "a1", 10, 0)])
    damage(raw)
    with pytest.raises(ConversionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        wechat.main([str(raw), str(tmp_path / "out"), *LOOSE])
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out-*"))


def _replace_line(path, line, text):
    lines = path.read_text().splitlines()
    lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "userid, message",
    [
        ("1.5", "column 'userid' has '1.5', which is not an integer id that fits 64 bits at line 3"),
        ("", "column 'userid' is empty at line 3"),
        ("99999999999999999999", "has '99999999999999999999', which is not an integer id that fits 64 bits at line 3"),
    ],
)
def test_wechat_ids_must_be_integers_that_fit(tmp_path, userid, message):
    raw = write_wechat(tmp_path / "raw", [action(1, 10, like=1), action(2, 10, like=1)], [(10, "a1", 10, 0)])
    row = (raw / "user_action.csv").read_text().splitlines()[2]
    _replace_line(raw / "user_action.csv", 3, userid + row[row.index(",") :])
    with pytest.raises(ConversionError, match=message.replace("(", r"\(").replace(".", r"\.")):
        wechat.main([str(raw), str(tmp_path / "out"), *LOOSE])
    assert not (tmp_path / "out" / "wechat").exists()


def test_wechat_a_cut_off_last_row_is_an_error(tmp_path):
    raw = write_wechat(tmp_path / "raw", [action(1, 10, like=1), action(2, 10, like=1)], [(10, "a1", 10, 0)])
    text = (raw / "user_action.csv").read_text().rstrip("\n")
    (raw / "user_action.csv").write_text(text[: text.rindex(",", 0, text.rindex(","))])  # lose 2 fields
    with pytest.raises(ConversionError, match=f"last line has {len(ACTION_COLUMNS) - 2} of the header's"):
        wechat.main([str(raw), str(tmp_path / "out"), *LOOSE])


def test_wechat_reads_gzip_files(tmp_path):
    import gzip

    actions = [action(1, 10, like=1), action(1, 11, play=70_000, follow=1), action(2, 11, like=1)]
    plain = write_wechat(tmp_path / "plain", actions, [(10, "a1", 10, 0), (11, "a1", 10, 0)])
    packed = tmp_path / "packed"
    packed.mkdir()
    for name in ("user_action.csv", "feed_info.csv"):
        (packed / f"{name}.gz").write_bytes(gzip.compress((plain / name).read_bytes()))
    wechat.main([str(plain), str(tmp_path / "a"), *LOOSE])
    wechat.main([str(packed), str(tmp_path / "b"), *LOOSE])
    for suffix in ("inter", "item", "uvl"):
        a, b = (tmp_path / out / "wechat" / f"wechat.{suffix}" for out in ("a", "b"))
        assert a.read_bytes() == b.read_bytes() and len(a.read_text().splitlines()) > 1


def test_a_failed_conversion_leaves_the_previous_dataset_whole(tmp_path, monkeypatch):
    from recbole_vagnn.data import atomic

    raw = write_wechat(tmp_path / "raw", [action(1, 10, like=1, follow=1)], [(10, "a1", 10, 0)])
    wechat.main([str(raw), str(tmp_path / "out"), *LOOSE])
    folder = tmp_path / "out" / "wechat"
    (folder / "wechat.user").write_text("user_id:token\n1\n")  # another file of the dataset: kept
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    write_wechat(raw, [action(1, 10, like=1), action(2, 10, like=1)], [(10, "a1", 10, 0)])
    real_write = atomic._write

    def fail_on_uvl(df, columns, path):
        if path.suffix == ".uvl":
            raise OSError(28, "No space left on device", str(path))
        real_write(df, columns, path)

    monkeypatch.setattr(atomic, "_write", fail_on_uvl)
    with pytest.raises(OSError):
        wechat.main([str(raw), str(tmp_path / "out"), *LOOSE])
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["wechat"]  # no staging folder left
    monkeypatch.setattr(atomic, "_write", real_write)
    wechat.main([str(raw), str(tmp_path / "out"), *LOOSE])
    assert len(read_out(tmp_path / "out", "wechat")["inter"]) == 2
    assert (folder / "wechat.user").read_text() == "user_id:token\n1\n"


def test_leftovers_of_a_killed_conversion_are_cleaned_up_or_restored(tmp_path):
    raw = write_wechat(tmp_path / "raw", [action(1, 10, like=1)], [(10, "a1", 10, 0)])
    out = tmp_path / "out"
    (out / ".wechat.staging-dead").mkdir(parents=True)  # killed while writing
    (out / ".wechat.staging-dead" / "wechat.inter").write_text("half")
    (out / ".wechat.old-dead").mkdir()  # killed between the two renames: the old dataset is whole
    (out / ".wechat.old-dead" / "wechat.inter").write_text("old")
    from recbole_vagnn.data.atomic import _clean_up_after_killed_runs

    _clean_up_after_killed_runs(out / "wechat")
    assert sorted(p.name for p in out.iterdir()) == ["wechat"]
    assert (out / "wechat" / "wechat.inter").read_text() == "old"
    (out / ".wechat.staging-dead").mkdir()
    wechat.main([str(raw), str(out), *LOOSE])
    assert sorted(p.name for p in out.iterdir()) == ["wechat"]
    assert len(read_out(out, "wechat")["inter"]) == 1


def test_a_folder_holding_other_files_is_not_replaced(tmp_path):
    from recbole_vagnn.data.atomic import write_tripartite
    from recbole_vagnn.utils.errors import InputError

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    empty = pd.DataFrame(columns=["user_id", "item_id", "timestamp"])
    with pytest.raises(InputError, match="holds notes.txt, which are not files of dataset 'demo'"):
        write_tripartite(tmp_path / "mine", "demo", empty, pd.DataFrame(columns=["item_id", "vlogger_id"]), empty)
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_wechat_command_line_reports_errors_without_traceback(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "recbole_vagnn.dataset_converters.wechat",
            str(tmp_path / "none"),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "error:" in done.stderr and "file not found" in done.stderr and "Traceback" not in done.stderr


# ---- TakaTak ------------------------------------------------------------------------------------

TAKATAK_COLUMNS = [
    "user_id",
    "video_id",
    "vlogger_id",
    "timestamp",
    "watch_seconds",
    "completion_rate",
    "like",
    "comment",
    "share",
    "favorite",
    "follow",
    "homepage",
]


def event(user, video, vlogger, ts, watch=1.0, completion=0.1, **flags):
    row = dict.fromkeys(TAKATAK_COLUMNS, 0)
    row.update(
        user_id=user,
        video_id=video,
        vlogger_id=vlogger,
        timestamp=ts,
        watch_seconds=watch,
        completion_rate=completion,
        **flags,
    )
    return row


def test_takatak_rules_and_schema(tmp_path):
    events = [
        event("u1", "v1", "p1", 1, completion=1.9),  # positive: completion > 1.8
        event("u1", "v2", "p1", 2, watch=16),  # positive: > 15 s
        event("u1", "v3", "p2", 3, watch=15, completion=1.8),  # negative: neither strictly above
        event("u2", "v3", "p2", 4, share=1),  # positive: explicit
        event("u2", "v1", "p1", 5, homepage=1),  # homepage visit -> user-vlogger link only
    ]
    path = tmp_path / "events.csv"
    pd.DataFrame(events).to_csv(path, index=False)
    takatak.main([str(path), str(tmp_path / "out"), *LOOSE])
    out = read_out(tmp_path / "out", "takatak")
    assert sorted(zip(out["inter"]["user_id:token"], out["inter"]["item_id:token"])) == [
        ("u1", "v1"),
        ("u1", "v2"),
        ("u2", "v3"),
    ]
    assert list(zip(out["uvl"]["user_id:token"], out["uvl"]["vlogger_id:token"], out["uvl"]["timestamp:float"])) == [
        ("u2", "p1", 5.0)
    ]  # the homepage visit, at its view's time


def test_takatak_an_empty_id_is_an_error_naming_its_line(tmp_path):
    path = tmp_path / "events.csv"
    pd.DataFrame([event("u1", "v1", "p1", 1, like=1), event("u2", None, "p1", 2, like=1)]).to_csv(path, index=False)
    with pytest.raises(ConversionError, match="events.csv: an empty user_id, video_id or vlogger_id at line 3"):
        takatak.main([str(path), str(tmp_path / "out"), *LOOSE])


def test_takatak_video_with_two_vloggers_is_an_error(tmp_path):
    path = tmp_path / "events.csv"
    pd.DataFrame([event("u1", "v1", "p1", 1, like=1), event("u2", "v1", "p2", 2, like=1)]).to_csv(path, index=False)
    with pytest.raises(ConversionError, match="two or more vloggers, e.g. v1"):
        takatak.main([str(path), str(tmp_path / "out"), *LOOSE])
    assert not (tmp_path / "out").exists()


# ---- the authors' release ------------------------------------------------------------------------


def write_release(folder, lines):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in lines.items():
        (folder / name).write_text(text)
    return folder


RELEASE = {
    "data_size.txt": "3\t6\t2\n",
    "user_video_data.txt": "0 0 1 2 3\n1 4 0 5 1\n2 3 2 5 0 4\n",
    "user_vlogger_data.txt": "0 0 0 0 1\n1 1 0 1 0\n2 1 0 1 0 1\n",
    "user_vlogger_data2.txt": "0 0 1\n1 1\n2 0 1\n",
    "vlogger_video_data.txt": "0\t0\n0\t1\n0\t2\n1\t3\n1\t4\n1\t5\n",
}


def test_authors_layout_reproduces_their_split_exactly(tmp_path):
    from recbole.data import data_preparation

    write_release(tmp_path / "raw" / "wechat-release", RELEASE)
    authors.main([str(tmp_path / "raw" / "wechat-release"), str(tmp_path / "data"), "--name", "rel"])
    config = make_config("BPR", "rel", data_path=tmp_path / "data")
    dataset = create_dataset(config)
    _, valid, test = data_preparation(config, dataset)
    for split, offset in ((test, -1), (valid, -2)):
        feat = split.dataset.inter_feat
        got = {
            dataset.id2token("user_id", u): dataset.id2token("item_id", i)
            for u, i in zip(feat["user_id"].tolist(), feat["item_id"].tolist())
        }
        expected = {line.split()[0]: line.split()[offset] for line in RELEASE["user_video_data.txt"].splitlines()}
        assert got == expected


def test_authors_layout_errors(tmp_path):
    write_release(tmp_path / "a", {**RELEASE, "vlogger_video_data.txt": "0\t0\n1\t0\n"})
    with pytest.raises(ConversionError, match="two or more vloggers"):
        authors.main([str(tmp_path / "a"), str(tmp_path / "out")])
    write_release(tmp_path / "b", {**RELEASE, "user_video_data.txt": "0 0 1 9\n"})
    with pytest.raises(ConversionError, match="outside 0..5"):
        authors.main([str(tmp_path / "b"), str(tmp_path / "out")])
    write_release(tmp_path / "d", {**RELEASE, "user_video_data.txt": "0 0 1\n1 2 1.5 3\n"})
    with pytest.raises(ConversionError, match="user_video_data.txt: line 2 has '1.5', which is not an integer id"):
        authors.main([str(tmp_path / "d"), str(tmp_path / "out")])
    write_release(tmp_path / "c", {k: v for k, v in RELEASE.items() if k != "data_size.txt"})
    with pytest.raises(ConversionError, match="data_size.txt: file not found"):
        authors.main([str(tmp_path / "c"), str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_written_datasets_follow_the_umask(tmp_path):
    import os
    import stat

    from recbole_vagnn.data.atomic import write_tripartite
    from recbole_vagnn.experiments.synthetic import generate

    old = os.umask(0o022)
    try:
        folder = write_tripartite(tmp_path / "data" / "gen", "gen", *generate(users=30, vloggers=5))
        write_tripartite(folder, "gen", *generate(users=30, vloggers=5, seed=1))  # replaced through the staging folder
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o644}
