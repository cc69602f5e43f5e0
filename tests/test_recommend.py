"""Recommendations from a trained checkpoint, checked against the raw files and the model's scores."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from recbole_vagnn.quick_start import run_recbole
from recbole_vagnn.recommender import Recommender, recommend
from recbole_vagnn.utils.errors import CheckpointError, InputError
from recbole_vagnn.utils.paths import EMBEDDED_DATA_DIR

REPO = Path(__file__).resolve().parent.parent
USERS = ["0", "5", "17", "399"]


def train_on_a_copy_of_the_demo(root, models, **settings):
    """Train ``models`` on a copy of the embedded data under ``root``: {model: checkpoint}."""
    shutil.copytree(EMBEDDED_DATA_DIR / "vagnn-demo", root / "data" / "vagnn-demo")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        files = {}
        for model in models:
            config = {"data_path": str(root / "data"), "checkpoint_dir": str(root / model), "show_progress": False}
            run_recbole(model=model, dataset="vagnn-demo", config_dict={**config, **settings})
            files[model] = next((root / model).glob("*.pth"))
    finally:
        os.chdir(cwd)
    return files


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """VAGNN and LightGCN trained 2 epochs on a copy of the embedded data: (root, {model: checkpoint})."""
    root = tmp_path_factory.mktemp("recommend")
    return root, train_on_a_copy_of_the_demo(root, ("VAGNN", "LightGCN"), epochs=2)


def raw(root, suffix):
    return pd.read_csv(root / "data" / "vagnn-demo" / f"vagnn-demo.{suffix}", sep="\t", dtype=str)


@pytest.mark.parametrize("model", ["VAGNN", "LightGCN"])
def test_top_k_is_the_masked_full_ranking_in_original_tokens(trained, model):
    root, files = trained
    recommender = Recommender(files[model])
    results = list(recommender.recommend(USERS, topk=10, batch_size=3))
    dataset = recommender.dataset
    inter, item = raw(root, "inter"), raw(root, "item")
    vlogger_of = dict(zip(item["item_id:token"], item["vlogger_id:token"]))
    ids = torch.as_tensor(dataset.token2id("user_id", USERS))
    with torch.no_grad():
        scores = recommender.model.full_sort_predict({"user_id": ids}).view(len(USERS), -1).numpy()
    for row, (token, result) in enumerate(zip(USERS, results)):
        assert result["user"] == token
        watched = set(inter.loc[inter["user_id:token"] == token, "item_id:token"])
        candidates = [(scores[row, i], dataset.id2token("item_id", i)) for i in range(1, dataset.item_num)]
        expected = [
            video
            for _, video in sorted(((s, v) for s, v in candidates if v not in watched), key=lambda pair: -pair[0])[:10]
        ]
        assert [v["video"] for v in result["videos"]] == expected
        assert [v["rank"] for v in result["videos"]] == list(range(1, 11))
        for video in result["videos"]:
            assert video["vlogger"] == vlogger_of[video["video"]]
            assert video["score"] == pytest.approx(scores[row, dataset.token2id("item_id", video["video"])], abs=1e-6)


def test_the_gate_split_sums_to_the_score(trained):
    _, files = trained
    for result in recommend(files["VAGNN"], USERS, topk=20, explain=True):
        for video in result["videos"]:
            assert 0 <= video["gate"] <= 1  # a float32 sigmoid, or the calibrated bias +-inf, can reach 0 or 1
            assert video["video_part"] + video["vlogger_part"] == pytest.approx(video["score"], abs=1e-5)


def test_suggested_vloggers_are_not_followed_and_ranked_by_the_user_vlogger_score(trained):
    root, files = trained
    recommender = Recommender(files["VAGNN"])
    uvl = raw(root, "uvl")
    dataset = recommender.dataset
    for result in recommender.recommend(USERS, topk=1, vloggers=5):
        followed = set(uvl.loc[uvl["user_id:token"] == result["user"], "vlogger_id:token"])
        suggested = [v["vlogger"] for v in result["vloggers"]]
        assert len(suggested) == 5 and not followed & set(suggested)
        user = torch.as_tensor(dataset.token2id("user_id", [result["user"]]))
        preference = recommender.model.vlogger_scores(user)[0].numpy()
        ranking = [dataset.id2token("vlogger_id", p) for p in np.argsort(-preference) if p != 0]
        assert suggested == [p for p in ranking if p not in followed][:5]
    assert any(not uvl.loc[uvl["user_id:token"] == u].empty for u in USERS)  # the exclusion was exercised


def test_bad_requests_are_one_clear_error(trained, tmp_path):
    root, files = trained
    with pytest.raises(InputError, match="unknown user token\\(s\\) 'nobody'"):
        recommend(files["VAGNN"], ["0", "nobody"])
    with pytest.raises(InputError, match="need a VA-GNN model; this checkpoint is LightGCN"):
        recommend(files["LightGCN"], ["0"], explain=True)
    other = tmp_path / "data" / "vagnn-demo"
    shutil.copytree(root / "data" / "vagnn-demo", other)
    with open(other / "vagnn-demo.inter", "a") as handle:
        handle.write("0\t1\t99999999.0\n")
    with pytest.raises(CheckpointError, match="trained on other data than the files of dataset 'vagnn-demo'"):
        Recommender(files["VAGNN"], data_path=tmp_path / "data")
    pickled = tmp_path / "recbole.pth"
    torch.save({"config": object, "state_dict": {}}, pickled)
    with pytest.raises(CheckpointError, match="not a recbole-vagnn checkpoint"):
        Recommender(pickled)


def recommend_cli(*args, cwd):
    """``python -m recbole_vagnn.cli.recommend ARGS`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "recbole_vagnn.cli.recommend", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


@pytest.mark.slow
def test_command_line_batch_mode_streams_every_user_to_a_file(trained, tmp_path):
    root, files = trained
    out = tmp_path / "all.csv"
    model = ("--model_file", files["VAGNN"])
    done = recommend_cli(
        *model,
        "--all_users",
        "--topk",
        3,
        "--vloggers",
        2,
        "--explain",
        "--format",
        "csv",
        "--output",
        out,
        "--batch_size",
        64,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open()))
    users = raw(root, "inter")["user_id:token"].unique()
    assert {r["user"] for r in rows} == set(users)
    assert len(rows) == len(users) * (3 + 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.csv"]  # no partial file left
    single = recommend_cli(*model, "--user", 5, "--topk", 3, "--format", "json", cwd=tmp_path)
    result = json.loads(single.stdout)
    assert [v["video"] for v in result["videos"]] == [
        r["video"] for r in rows if r["user"] == "5" and r["kind"] == "video"
    ]
    unknown = recommend_cli(*model, "--user", "nobody", cwd=tmp_path)
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: unknown user token(s) 'nobody'")


# ---- new videos: ranked by their vlogger without retraining -------------------------------------------
NEW_VIDEOS = [("n1", "0"), ("n2", "7"), ("n3", "7"), ("n4", "33")]


@pytest.fixture(scope="module")
def recommender(trained):
    """One Recommender of the VAGNN checkpoint for the new-video tests."""
    return Recommender(trained[1]["VAGNN"])


def new_videos_file(directory, rows=NEW_VIDEOS, header="item_id:token\tvlogger_id:token"):
    path = directory / "new.item"
    path.write_text("\n".join([header, *("\t".join(row) for row in rows)]) + "\n", encoding="utf-8")
    return path


def user_vlogger_scores(recommender, token):
    user = torch.as_tensor(recommender.dataset.token2id("user_id", [token]))
    return recommender.model.vlogger_scores(user)[0].numpy()


def test_new_videos_score_the_users_vlogger_score_with_gate_zero(recommender, tmp_path):
    path = new_videos_file(tmp_path)
    results = list(recommender.recommend(USERS, topk=10, explain=True, new_videos=path, new_only=True))
    for result in results:
        preference = user_vlogger_scores(recommender, result["user"])
        videos = result["videos"]
        assert sorted(v["video"] for v in videos) == sorted(video for video, _ in NEW_VIDEOS)  # new videos only
        assert [v["rank"] for v in videos] == [1, 2, 3, 4]
        assert [v["score"] for v in videos] == sorted((v["score"] for v in videos), reverse=True)
        for video in videos:
            vlogger = dict(NEW_VIDEOS)[video["video"]]
            assert video["vlogger"] == vlogger and video["new"] is True
            expected = preference[recommender.dataset.token2id("vlogger_id", vlogger)]
            assert video["score"] == pytest.approx(expected, abs=1e-6)
            assert (video["gate"], video["video_part"], video["vlogger_part"]) == (0.0, 0.0, video["score"])
    scores = recommender.new_video_scores([1, 2], recommender.read_new_videos(path)).numpy()
    ids = torch.as_tensor([1, 2])
    vloggers = recommender.dataset.token2id("vlogger_id", [p for _, p in NEW_VIDEOS])
    np.testing.assert_allclose(scores, recommender.model.vlogger_scores(ids)[:, vloggers].numpy(), atol=1e-6)


def test_a_new_video_takes_the_rank_its_score_implies_among_unwatched_known_videos(trained, recommender, tmp_path):
    root = trained[0]
    path = new_videos_file(tmp_path, [("fresh", "7")])
    dataset, inter = recommender.dataset, raw(root, "inter")
    everything = dataset.item_num  # more than the unwatched known videos plus the new one
    for token in USERS:
        (result,) = recommender.recommend([token], topk=everything, new_videos=path)
        user = torch.as_tensor(dataset.token2id("user_id", [token]))
        with torch.no_grad():
            known = recommender.model.full_sort_predict({"user_id": user}).numpy()
        watched = set(inter.loc[inter["user_id:token"] == token, "item_id:token"])
        unwatched = np.array(
            [known[i] for i in range(1, dataset.item_num) if dataset.id2token("item_id", i) not in watched]
        )
        new = user_vlogger_scores(recommender, token)[dataset.token2id("vlogger_id", "7")]
        assert len(result["videos"]) == len(unwatched) + 1
        (row,) = [v for v in result["videos"] if v["new"]]
        assert row["video"] == "fresh" and row["score"] == pytest.approx(new, abs=1e-6)
        # after every known video scored higher, before every one scored lower (ties either way)
        assert (unwatched > new + 1e-6).sum() < row["rank"] <= (unwatched >= new - 1e-6).sum() + 1
        known_rows = [v for v in result["videos"] if not v["new"]]
        assert not watched & {v["video"] for v in known_rows}
        for video in known_rows[:20]:  # known videos keep the score they have without new videos
            assert video["score"] == pytest.approx(known[dataset.token2id("item_id", video["video"])], abs=1e-6)
        assert [v["score"] for v in result["videos"]] == sorted((v["score"] for v in result["videos"]), reverse=True)


def test_without_new_videos_the_results_have_no_new_field(recommender):
    for result in recommender.recommend(USERS[:1], topk=3, explain=True):
        assert all("new" not in video for video in result["videos"])


def test_a_vlogger_the_model_never_saw_gets_the_users_mean_vlogger_score_and_a_note(recommender, tmp_path, capsys):
    path = new_videos_file(tmp_path, [("a", "7"), ("b", "newcomer"), ("c", "newcomer"), ("d", "stranger")])
    new = recommender.read_new_videos(path)
    note = capsys.readouterr().err
    assert f"note: {path}: 3 of 4 new video(s) have a vlogger the model never saw" in note
    assert "2 vlogger(s): 'newcomer', 'stranger'" in note and "e_u . mean_p e_p" in note
    assert new.unknown.tolist() == [False, True, True, True]
    for result in recommender.recommend(USERS, topk=4, new_videos=new, new_only=True):
        preference = user_vlogger_scores(recommender, result["user"])
        fallback = preference[1:].mean()  # every known vlogger, padding excluded
        scores = {v["video"]: v["score"] for v in result["videos"]}
        assert scores["b"] == scores["c"] == scores["d"] == pytest.approx(fallback, abs=1e-6)
        assert scores["a"] == pytest.approx(preference[recommender.dataset.token2id("vlogger_id", "7")], abs=1e-6)
        assert {v["vlogger"] for v in result["videos"]} == {"7", "newcomer", "stranger"}


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "the file is empty"),
        ("item_id:token\tvlogger_id:token\n", "line 2: no video; the file has only its header"),
        ("item_id:token\tcreator:token\nn1\t7\n", "line 1: the header has no 'vlogger_id' column"),
        ("item_id:token\tvlogger_id:float\nn1\t7\n", "line 1: column 'vlogger_id:float' must be 'vlogger_id:token'"),
        ("item_id\tvlogger_id:token\nn1\t7\n", "header field 'item_id' has no type"),
        ("item_id:token\tvlogger_id:token\nn1\t7\nn2\n", "line 3 has 1 field"),
        ("item_id:token\tvlogger_id:token\nn1\t\n", "line 2: empty 'vlogger_id'"),
        (
            "item_id:token\tvlogger_id:token\nn1\t7\nn2\t8\n\nn1\t9\n",
            "line 5: video 'n1' has vlogger '9' here and '7' at line 2",
        ),
        ("item_id:token\tvlogger_id:token\nn1\t7\n5\t0\n", "line 3: video '5' is already in dataset 'vagnn-demo'"),
        (b"item_id:token\tvlogger_id:token\nn1\t7\nn\xff\t7\n", "line 3: not utf-8 text"),
    ],
    ids=["empty", "no-rows", "no-vlogger", "float", "untyped", "fields", "blank-id", "two-vloggers", "known", "bytes"],
)
def test_a_malformed_new_videos_file_is_one_error_naming_file_and_line(recommender, tmp_path, content, message):
    path = tmp_path / "new.item"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError) as error:
        recommender.read_new_videos(path)
    assert str(error.value).startswith(f"{path}: ") and message in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(InputError, match="missing.item: cannot read the new videos"):
        recommender.read_new_videos(tmp_path / "missing.item")


def test_a_model_without_a_vlogger_part_refuses_new_videos(trained, tmp_path):
    _, files = trained
    path = new_videos_file(tmp_path)
    with pytest.raises(InputError, match="--new_videos: LightGCN cannot score an unseen video .*VA-GNN") as error:
        recommend(files["LightGCN"], ["0"], new_videos=path)
    assert "CreatorPop" in str(error.value)
    with pytest.raises(InputError, match="--new_only needs --new_videos"):
        recommend(files["VAGNN"], ["0"], new_only=True)


def test_command_line_marks_new_rows_and_writes_nothing_on_a_bad_file(trained, tmp_path, capsys, monkeypatch):
    from recbole_vagnn.cli.base import run_main
    from recbole_vagnn.cli.recommend import main

    _, files = trained
    monkeypatch.setattr(sys, "argv", list(sys.argv))  # run_main sets it
    path = new_videos_file(tmp_path, [*NEW_VIDEOS, ("n5", "unheard-of")])
    common = ["--model_file", str(files["VAGNN"]), "--user", "5", "--user", "17", "--new_videos", str(path)]
    out = tmp_path / "out.csv"
    run_main(main, [*common, "--topk", "500", "--format", "csv", "--output", str(out)])
    assert (
        "1 of 5 new video(s) have a vlogger the model never saw (1 vlogger(s): 'unheard-of')" in capsys.readouterr().err
    )
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == [
        "user",
        "kind",
        "rank",
        "video",
        "vlogger",
        "score",
        "gate",
        "video_part",
        "vlogger_part",
    ] + ["new"]
    assert {r["new"] for r in rows} == {"true", "false"}
    assert all((r["new"] == "true") == r["video"].startswith("n") for r in rows)
    run_main(main, [*common, "--new_only", "--explain", "--format", "json"])
    for line in capsys.readouterr().out.splitlines():
        videos = json.loads(line)["videos"]
        assert len(videos) == 5 and all(v["new"] is True and v["gate"] == 0.0 for v in videos)
    bad = tmp_path / "bad.item"
    bad.write_text("item_id:token\tvlogger_id:token\nn1\t7\nn1\t8\n")
    fresh = tmp_path / "fresh.csv"
    for file in (bad,):
        with pytest.raises(SystemExit) as code:
            run_main(main, [*common[:-1], str(file), "--format", "csv", "--output", str(fresh)])
        assert code.value.code == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {bad}: line 3: video 'n1'") and "\n" not in err
    with pytest.raises(SystemExit):
        run_main(main, [*common[:4], "--new_only", "--output", str(fresh)])
    assert "--new_only needs --new_videos" in capsys.readouterr().err
    assert not fresh.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.item", "new.item", "out.csv"]


@pytest.fixture(scope="module")
def creator_models(tmp_path_factory):
    """CreatorPop and CreatorAffinity (non-trainable, one epoch) on the embedded data: {model: Recommender}."""
    files = train_on_a_copy_of_the_demo(tmp_path_factory.mktemp("creators"), ("CreatorPop", "CreatorAffinity"))
    return {model: Recommender(file) for model, file in files.items()}


@pytest.mark.parametrize("model", ["CreatorPop", "CreatorAffinity"])
def test_creator_models_score_a_new_video_as_a_video_of_its_vlogger_without_interactions(
    creator_models, tmp_path, model
):
    from recbole_vagnn.model.general_recommender.creator_affinity import tie_scale
    from recbole_vagnn.model.general_recommender.creator_pop import training_popularity

    recommender = creator_models[model]
    dataset = recommender.dataset
    vloggers = [dataset.id2token("vlogger_id", p) for p in range(1, dataset.vlogger_num)]
    path = new_videos_file(tmp_path, [(f"n{p}", p) for p in vloggers] + [("stranger", "never-seen")])
    new = recommender.read_new_videos(path)
    users = dataset.token2id("user_id", USERS)
    new_scores = recommender.new_video_scores(users, new).double().numpy()
    with torch.no_grad():
        known = recommender.model.full_sort_predict({"user_id": torch.as_tensor(users)}).view(len(users), -1).numpy()
    item_pop, vlogger_pop = training_popularity(recommender.train)
    # the known videos' score less the new video's of the same vlogger: the video's own popularity term alone
    own = item_pop / (1 + item_pop.max())
    if model == "CreatorAffinity":
        own = own * tie_scale(recommender.model.follow_weight) / (1 + vlogger_pop.max())
    item2vlogger = dataset.item2vlogger
    videos = np.arange(1, dataset.item_num)
    difference = known[:, videos] - new_scores[:, item2vlogger[videos] - 1]
    np.testing.assert_allclose(difference, np.broadcast_to(own[videos], difference.shape), atol=1e-5)
    assert (new_scores[:, -1] == 0).all()  # a vlogger without training interactions or follows
    (result,) = recommender.recommend(["5"], topk=3, new_videos=new, new_only=True)
    assert [v["score"] for v in result["videos"]] == pytest.approx(sorted(new_scores[1, :], reverse=True)[:3])
