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


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """VAGNN and LightGCN trained 2 epochs on a copy of the embedded data: {model: checkpoint}."""
    root = tmp_path_factory.mktemp("recommend")
    shutil.copytree(EMBEDDED_DATA_DIR / "vagnn-demo", root / "data" / "vagnn-demo")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        files = {}
        for model in ("VAGNN", "LightGCN"):
            run_recbole(
                model=model,
                dataset="vagnn-demo",
                config_dict={
                    "data_path": str(root / "data"),
                    "checkpoint_dir": str(root / model),
                    "epochs": 2,
                    "show_progress": False,
                },
            )
            files[model] = next((root / model).glob("*.pth"))
    finally:
        os.chdir(cwd)
    return root, files


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
            assert 0 < video["gate"] < 1
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
