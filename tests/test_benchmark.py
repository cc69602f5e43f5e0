"""The benchmark command end to end, its resume, and a 2-point sweep on a local Ray."""

import csv
import json
import shutil
from pathlib import Path

import pytest

import recbole_vagnn.quick_start as quick_start
from recbole_vagnn.experiments import benchmark, labels, report, run_store
from recbole_vagnn.experiments.sweep import sweep
from recbole_vagnn.utils.paths import EMBEDDED_DATA_DIR

PAPER_METRICS = [f"{m}@{k}" for m in ("recall", "ndcg") for k in (10, 20, 50)]


def test_benchmark_writes_table_csv_and_chart_with_the_measured_numbers(tmp_path):
    out = tmp_path / "out"
    benchmark.main(["--models", "VAGNN,SimGCL", "--epochs", "1", "--out", str(out)])
    stored = {p.stem: json.loads(p.read_text()) for p in (out / "runs" / "vagnn-demo").glob("*.json")}
    assert set(stored) == {"VAGNN-seed2020", "SimGCL-seed2020"}
    with open(out / "vagnn-demo-VAGNN+SimGCL.csv") as handle:  # named by the model set
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    table = (out / "vagnn-demo-VAGNN+SimGCL.md").read_text()
    for label in ("VAGNN", "SimGCL"):
        run = stored[f"{label}-seed2020"]
        assert run["epochs"] == 1 and run["seconds_per_epoch"] > 0
        for metric, value in run["test"].items():
            assert float(rows[label][metric]) == pytest.approx(value, rel=1e-5)
            assert f"{value:.4f}" in table
    assert "Improv. (%)" in table and "**" in table and "<u>" in table
    assert (out / "vagnn-demo-VAGNN+SimGCL.png").read_bytes()[:4] == b"\x89PNG"
    assert not (out / "vagnn-demo.md").exists()  # the paper's full table is never overwritten by fewer models


def test_interrupted_benchmark_resumes_without_rerunning_finished_runs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    calls = []
    real_run = quick_start.run_recbole

    def crash_on_second_model(model=None, **kwargs):
        calls.append(model)
        if model == "LightGCN":
            raise KeyboardInterrupt  # the benchmark is killed during LightGCN
        return real_run(model=model, **kwargs)

    monkeypatch.setattr(quick_start, "run_recbole", crash_on_second_model)
    arguments = ["--models", "VAGNN,LightGCN", "--epochs", "1", "--out", str(out)]
    with pytest.raises(KeyboardInterrupt):
        benchmark.main(arguments)
    finished = (out / "runs" / "vagnn-demo" / "VAGNN-seed2020.json").read_text()
    assert not (out / "runs" / "vagnn-demo" / "LightGCN-seed2020.json").exists()

    monkeypatch.setattr(
        quick_start, "run_recbole", lambda model=None, **kw: (calls.append(model), real_run(model=model, **kw))[1]
    )
    calls.clear()
    benchmark.main(arguments)
    assert calls == ["LightGCN"]
    assert (out / "runs" / "vagnn-demo" / "VAGNN-seed2020.json").read_text() == finished
    assert (out / "vagnn-demo-VAGNN+LightGCN.csv").read_text().count("\n") == 3


def test_ablation_labels_map_to_the_switches():
    assert labels.resolve("VAGNN-C") == ("VAGNN", {"use_video_view": False})
    assert labels.resolve("SGL-RW") == ("SGL", {"type": "RW"})
    assert labels.resolve("NGCF") == ("NGCF", {})


@pytest.mark.slow
def test_sweep_on_a_two_point_grid_with_local_ray(tmp_path, capsys):
    ray = pytest.importorskip("ray")
    try:
        points = sweep("tau", [0.1, 1.0], "vagnn-demo", tmp_path / "sweep", base_config={"epochs": 1})
    finally:
        ray.shutdown()
    assert [value for value, _ in points] == [0.1, 1.0]
    with open(tmp_path / "sweep" / "sweep-tau.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(r["tau"]) for r in rows] == [0.1, 1.0]
    for row, (_, metrics) in zip(rows, points):
        assert float(row["test_recall@10"]) == pytest.approx(metrics["test_recall@10"], rel=1e-5)
        assert 0 < float(row["test_recall@10"]) <= 1
    assert (tmp_path / "sweep" / "sweep-tau.png").read_bytes()[:4] == b"\x89PNG"
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert sorted(line.split(" ")[0] for line in lines) == ["[1/2]", "[2/2]"]
    assert sorted(line.split(" ")[1].rstrip(":") for line in lines) == ["tau=0.1", "tau=1.0"]
    assert "Trial Status" not in out and "Current time" not in out  # no Ray status block


def test_steps_to_near_best_is_the_first_validation_within_five_percent():
    run = {"valid_curve": [[25, 0.10], [50, 0.19], [75, 0.2], [100, 0.195]], "valid_score_bigger": True}
    assert report.steps_to_near_best(run) == 50  # 0.19 >= 0.95 x 0.2
    assert report.steps_to_near_best({**run, "valid_curve": [[25, 0.2], [50, 0.3]]}) == 50
    smaller = {"valid_curve": [[10, 2.0], [20, 1.04], [30, 1.0]], "valid_score_bigger": False}
    assert report.steps_to_near_best(smaller) == 20  # 1.04 <= 1.0 / 0.95
    assert report.steps_to_near_best({"valid_curve": []}) == 0


def test_table_marks_best_and_runner_up_by_value_with_ties():
    def row(recall):
        values = {key: recall for key in PAPER_METRICS}
        values.update({f"{key} std": 0.0 for key in PAPER_METRICS})
        return {
            **values,
            **{"seconds/epoch": 1.0, "minutes": 0.5, "best epoch": 3, "steps": 75, "steps to 95%": 50},
            **{"capped": 0, "seeds": 1},
        }

    table = report.markdown_table({"VAGNN": row(0.3), "X": row(0.3), "Y": row(0.2), "Z": row(0.1)}, {}, "VAGNN", "t")
    lines = {
        line.split("|")[1].strip(): line
        for line in table.splitlines()
        if line.startswith("| ") and "Recall" not in line
    }
    assert "**0.3000**" in lines["VAGNN"] and "**0.3000**" in lines["X"]
    assert "<u>0.2000</u>" in lines["Y"] and "**" not in lines["Z"] and "<u>" not in lines["Z"]
    assert "| Improv. (%) | 0.00 |" in table


@pytest.mark.slow
def test_a_stored_run_is_reused_only_with_the_same_identity(tmp_path, capsys):
    out, data = tmp_path / "out", tmp_path / "data"
    shutil.copytree(EMBEDDED_DATA_DIR / "vagnn-demo", data / "vagnn-demo")
    arguments = ["--models", "LightGCN", "--out", str(out), "--data_path", str(data)]
    stored = out / "runs" / "vagnn-demo" / "LightGCN-seed2020.json"

    benchmark.main(arguments + ["--epochs", "1"])
    first = json.loads(stored.read_text())
    benchmark.main(arguments + ["--epochs", "1"])
    assert "stored, reused" in capsys.readouterr().out

    benchmark.main(arguments + ["--epochs", "2"])  # a run of another length is not the same run
    assert "trained again: stored run differs (config.epochs: 1 -> 2)" in capsys.readouterr().out
    assert json.loads(stored.read_text())["epochs"] == 2

    with open(data / "vagnn-demo" / "vagnn-demo.uvl", "a") as handle:
        handle.write("0\t1\t5.0\n")  # the data changed
    benchmark.main(arguments + ["--epochs", "2"])
    assert "dataset files changed" in capsys.readouterr().out

    stored.write_text('{"label": "LightGCN", "test": {')  # a run cut off while written by hand
    benchmark.main(arguments + ["--epochs", "2"])
    assert "LightGCN-seed2020.json is not a readable stored run" in capsys.readouterr().out
    assert json.loads(stored.read_text())["test"].keys() == first["test"].keys()


@pytest.mark.slow
def test_tune_gives_every_model_the_same_budget_and_chooses_on_validation(tmp_path, capsys):
    ray = pytest.importorskip("ray")
    out = tmp_path / "out"
    arguments = ["--models", "LightGCN,VAGNN", "--tune", "--trials", "2", "--seeds", "2", "--epochs", "1"]
    arguments += ["--out", str(out)]
    try:
        benchmark.main(arguments)
        run_dir = out / "runs" / "vagnn-demo"
        trials = {p.stem: json.loads(p.read_text()) for p in (run_dir / "tune").glob("*.json")}
        assert sorted(trials) == ["LightGCN-trial0", "LightGCN-trial1", "VAGNN-trial0", "VAGNN-trial1"]
        with open(out / "vagnn-demo-LightGCN+VAGNN-tuned.csv") as handle:
            rows = {row["model"]: row for row in csv.DictReader(handle)}
        for label in ("LightGCN", "VAGNN"):
            runs = [trials[f"{label}-trial{k}"] for k in (0, 1)]
            assert runs[0]["params"] != runs[1]["params"] and {run["seed"] for run in runs} == {2020}
            best = max(runs, key=lambda run: run["valid"]["recall@10"])
            second_seed = json.loads((run_dir / "tuned" / f"{label}-seed2021.json").read_text())
            assert json.loads(rows[label]["params"]) == best["params"] == second_seed["params"]
            expected = (best["test"]["recall@10"] + second_seed["test"]["recall@10"]) / 2
            assert float(rows[label]["recall@10"]) == pytest.approx(expected, rel=1e-5)
        assert float(rows["VAGNN"]["recall@10 p"]) <= 1 and rows["VAGNN"]["recall@10 versus"] == "LightGCN"
        table = (out / "vagnn-demo-LightGCN+VAGNN-tuned.md").read_text()
        assert "tuned with 2 trial(s) per model on valid Recall@10, FIFO scheduler;" in table
        assert "Chosen settings: LightGCN" in table
        assert "link lift" in table and "p (Wilcoxon, users)" in table
        assert "| valid ± SE |" in table
        trials_md = (out / "vagnn-demo-LightGCN+VAGNN-tuned-trials.md").read_text()
        assert trials_md.count("| chosen |") == 2 and trials_md.count("| LightGCN |") == 2
        assert (out / "vagnn-demo-LightGCN+VAGNN-tuned-curves.png").read_bytes()[:4] == b"\x89PNG"
        # parallel trials of one model may start in the same second: each run checkpoints in its own folder
        folders = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
        assert folders == sorted(
            [f"tune-{label}-trial{k}" for label in ("LightGCN", "VAGNN") for k in (0, 1)]
            + [f"tuned-{label}-seed2021" for label in ("LightGCN", "VAGNN")]
        )
        capsys.readouterr()
        benchmark.main(arguments)  # everything is stored: nothing trains again
    finally:
        ray.shutdown()
    printed = capsys.readouterr().out
    assert printed.count("stored, reused") == 6 and "[1/" not in printed


def test_tune_refuses_a_budget_larger_than_a_grid_before_anything_runs(tmp_path, capsys):
    from recbole_vagnn.utils.errors import ConfigError

    with pytest.raises(ConfigError, match="GTN.s grid .* has only 8 settings"):
        benchmark.main(["--models", "LightGCN,GTN", "--tune", "--trials", "9", "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_vagnn_trials_take_its_two_grids_in_turn():
    from recbole_vagnn.experiments.tuning import trial_settings

    settings = trial_settings("VAGNN", 5)
    paper, video_core = settings[0::2], settings[1::2]
    assert len(paper) == 3 and all("vlogger_loss_weight" in s and "use_vlogger_view" not in s for s in paper)
    assert all(s["use_vlogger_view"] is False and s["walk_q1"] == 0.0 and "n_layers" in s for s in video_core)
    assert len({json.dumps(s, sort_keys=True) for s in settings}) == 5
    assert trial_settings("VAGNN", 5) == settings  # seeded


def test_a_grid_list_refuses_a_share_larger_than_its_grid(tmp_path, monkeypatch):
    from recbole_vagnn.experiments.tuning import trial_settings
    from recbole_vagnn.utils import paths
    from recbole_vagnn.utils.errors import ConfigError

    space = tmp_path / "X.yaml"
    monkeypatch.setattr(paths, "tuning_space_file", lambda model: space)
    space.write_text("- {a: [1, 2, 3]}\n- {b: [1]}\n")
    assert trial_settings("X", 2) in ([{"a": 1}, {"b": 1}], [{"a": 2}, {"b": 1}], [{"a": 3}, {"b": 1}])
    with pytest.raises(ConfigError, match="X's grid 2 .* has only 1 settings for its 2 trial"):
        trial_settings("X", 4)
    space.write_text("- {a: [1]}\n- b\n")
    with pytest.raises(ConfigError, match="a list of such grids"):
        trial_settings("X", 1)


def test_runs_log_warnings_only_unless_verbose(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(benchmark, "benchmark", lambda *args, **kwargs: seen.append(args[5]))
    benchmark.main(["--models", "VAGNN", "--out", str(tmp_path)])
    benchmark.main(["--models", "VAGNN", "--out", str(tmp_path), "--verbose"])
    assert seen[0]["state"] == "WARNING" and "state" not in seen[1]
    assert "state" in run_store.NOT_IDENTITY  # stored runs stay reusable either way


def test_the_sweep_plot_labels_every_grid_value_and_prints_the_path_as_given(tmp_path, monkeypatch, capsys):
    import matplotlib.figure

    from recbole_vagnn.experiments.sweep import REPORTED, write_outputs

    labels = []
    original = matplotlib.figure.Figure.savefig

    def keep_labels(figure, *args, **kwargs):
        labels.extend(tick.get_text() for tick in figure.axes[0].get_xticklabels())
        return original(figure, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep_labels)
    metrics = {f"{split}_{key}": 0.1 for split in ("test", "valid") for key in REPORTED}
    monkeypatch.chdir(tmp_path)
    Path("out").mkdir()  # sweep() makes it before Ray runs
    write_outputs("tau", [(value, metrics) for value in (0.01, 0.05, 0.5, 5)], "demo", Path("out"))
    assert labels == ["0.01", "0.05", "0.5", "5"]
    assert "wrote out/sweep-tau.csv, .png" in capsys.readouterr().out


def test_the_trials_table_marks_trials_within_one_standard_error_of_the_chosen_one():
    def trial(score, params):
        return {"choice_score": score, "valid_score": score, "valid_standard_error": 0.01, "params": params}

    runs = {"LightGCN": [trial(0.300, {"n_layers": 1}), trial(0.295, {"n_layers": 2}), trial(0.25, {"n_layers": 3})]}
    lines = report.trials_table(runs, {}, "t").splitlines()
    assert lines[4].endswith("| n_layers=1 | 0.3000 ± 0.0100 | chosen |")
    assert lines[5].endswith("| n_layers=2 | 0.2950 ± 0.0100 | ≈ |")  # 0.005 apart: a coin toss
    assert lines[6].endswith("| n_layers=3 | 0.2500 ± 0.0100 |  |")


def test_the_table_says_in_words_when_validation_turned_vagnns_vlogger_parts_off():
    def run(model, **config):
        return {
            "identity": {"model": model, "config": {"use_vlogger_loss": True, "vlogger_loss_weight": 5.0, **config}}
        }

    assert report.vlogger_parts_verdict("VA-GNN", run("VAGNN")) is None
    assert report.vlogger_parts_verdict("LightGCN", run("LightGCN", vlogger_loss_weight=0.01)) is None
    nearly = report.vlogger_parts_verdict("VA-GNN", run("VAGNN", vlogger_loss_weight=0.01))
    assert nearly == (
        "On this data VA-GNN's vlogger parts did not help validation: its setting turns off or all but off "
        "vlogger_loss_weight (lambda1) = 0.01."
    )
    assert "use_vlogger_view" in report.vlogger_parts_verdict("VA-GNN", run("VAGNN", use_vlogger_view=False))
    core = report.vlogger_parts_verdict(
        "VA-GNN", run("VAGNN", **dict.fromkeys(report.VLOGGER_PARTS_OFF, False), walk_q1=0.0)
    )
    assert core.endswith("use_vlogger_loss, use_vlogger_view, use_vlogger_score, the meta-path walk (walk_q1 = 0).")
    assert report.vlogger_parts_verdict("VA-GNN", run("VAGNN", walk_q1=0.4)) is None


def _table_lines(path):
    """``{model: cells}`` of a benchmark table's model rows."""
    rows = [line.split("|")[1:-1] for line in path.read_text().splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0]]
    return {row[0].strip(): dict(zip(header, (cell.strip() for cell in row))) for row in rows[1:]}


@pytest.mark.slow
def test_warm_and_cold_benchmarks_in_one_folder_keep_their_own_runs_and_tables(tmp_path, capsys):
    out = tmp_path / "out"
    warm = ["--models", "LightGCN,CreatorPop", "--epochs", "1", "--out", str(out)]
    cold = warm + ["--cold_items", "0.1"]
    benchmark.main(warm)
    warm_table = (out / "vagnn-demo-LightGCN+CreatorPop.md").read_text()
    assert "cold videos" not in warm_table
    capsys.readouterr()

    benchmark.main(cold)  # the warm runs are not reused: the cold ones are stored apart
    printed = capsys.readouterr().out
    assert "reused" not in printed and "[2/2]" in printed
    cold_dir = out / "runs" / "vagnn-demo-cold10-random"
    for label in ("LightGCN", "CreatorPop"):
        run = json.loads((cold_dir / f"{label}-seed2020.json").read_text())
        config = run["identity"]["config"]
        assert (config["cold_items"], config["cold_split"], config["cold_candidates"]) == (0.1, "random", "cold")
        assert run["test"]["recall@50"] == 1.0  # the test ranking holds the 23 held-out test videos only
    table = (out / "vagnn-demo-LightGCN+CreatorPop-cold10-random.md").read_text()
    assert (
        "Setting: cold videos, 10% held out (random), candidates: cold; 46 videos held out of training (23 for "
        "validation, 23 for test), doubly cold (vlogger without a training video): 0 (0.0%)."
    ) in table
    assert "link lift" in table and _table_lines(out / "vagnn-demo-LightGCN+CreatorPop-cold10-random.md")
    assert (out / "vagnn-demo-LightGCN+CreatorPop.md").read_text() == warm_table  # not overwritten

    # the identity tells them apart too: a warm run put where the cold one belongs is trained again
    shutil.copy(out / "runs" / "vagnn-demo" / "CreatorPop-seed2020.json", cold_dir / "CreatorPop-seed2020.json")
    benchmark.main(cold)
    printed = capsys.readouterr().out
    assert "CreatorPop seed 2020: trained again: stored run differs (config.cold_items: 0 -> 0.1)" in printed
    assert "LightGCN seed 2020: stored, reused" in printed
    benchmark.main(warm)
    assert capsys.readouterr().out.count("stored, reused") == 2


def test_the_doubly_cold_count_is_the_datasets_own(tmp_path):
    from tests.conftest import write_raw
    from tests.test_cold_items import COLD_INTER, COLD_ITEM, COLD_UVL, TIMED_UVL_HEADER

    root = write_raw(tmp_path / "data", "cold", COLD_INTER, COLD_ITEM, COLD_UVL, uvl_header=TIMED_UVL_HEADER)
    config = {"data_path": str(root), "cold_items": 0.4, "cold_split": "time"}
    counts = benchmark.cold_video_counts("cold", "BPR", config, None, [2020, 2021])
    assert counts == {2020: (2, 2, 3), 2021: (2, 2, 3)}  # v7, v9, v10: their vloggers have no training video
    setting = benchmark.cold_setting("cold", "BPR", 2020, config, None)
    assert setting == {"cold_items": 0.4, "cold_split": "time", "cold_candidates": "cold"}
    assert benchmark.cold_suffix(setting) == "-cold40-time" and benchmark.cold_suffix(None) == ""
    assert benchmark.cold_suffix({**setting, "cold_candidates": "all"}) == "-cold40-time-all"
    assert benchmark.cold_video_line(setting, counts) == (
        "Setting: cold videos, 40% held out (time), candidates: cold; 4 videos held out of training (2 for "
        "validation, 2 for test), doubly cold (vlogger without a training video): 3 (75.0%)."
    )
    line = benchmark.cold_video_line({**setting, "cold_split": "random"}, {2020: (2, 2, 1), 2021: (2, 2, 0)})
    assert line.endswith(
        "doubly cold (vlogger without a training video): 1 (25.0%) with seed 2020, 0 (0.0%) with seed 2021."
    )
    assert benchmark.cold_video_counts("cold", "BPR", {"data_path": str(root)}, None, [2020]) is None


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--cold_items", "1"], "--cold_items 1.0: must be a share in [0, 1)"),
        (["--cold_items", "-0.1"], "--cold_items -0.1: must be a share in [0, 1)"),
        (["--cold_items", "0.1", "--cold_split", "newest"], "--cold_split newest: use one of random, time"),
        (["--cold_items", "0.1", "--cold_candidates", "some"], "--cold_candidates some: use one of cold, all"),
        (["--cold_split", "time"], "--cold_split time needs --cold_items"),
        # the dataset's own check, before any run: 0.001 of the demo's 455 videos with interactions is none
        (["--cold_items", "0.001"], "cold_items 0.001 holds out 0 of the 455 videos with interactions"),
    ],
)
def test_bad_cold_flags_end_in_one_line_before_anything_runs(tmp_path, capsys, flags, message):
    from recbole_vagnn.cli.base import run_main

    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_info:
        run_main(benchmark.main, ["--models", "LightGCN", "--epochs", "1", "--out", str(out), *flags])
    assert exit_info.value.code == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and message in error and "\n" not in error
    assert not (out / "runs").exists()


def test_a_tuned_benchmark_takes_models_without_a_grid(tmp_path, monkeypatch):
    from recbole_vagnn.experiments.tuning import has_grid, tuning_plan

    assert not has_grid("Pop") and tuning_plan("CreatorAffinity", 8) == [{}]
    assert len(tuning_plan("LightGCN", 2)) == 2
    seen = []
    monkeypatch.setattr(benchmark, "benchmark", lambda *args, **kwargs: seen.append((args, kwargs)))
    benchmark.main(["--models", "Pop,CreatorPop,LightGCN", "--tune", "--trials", "2", "--out", str(tmp_path)])
    assert seen[0][1]["trials"] == 2 and seen[0][1]["stem"] == "vagnn-demo-Pop+CreatorPop+LightGCN-tuned"
    benchmark.main(["--models", "Pop", "--tune", "--cold_items", "0.2", "--cold_split", "time", "--out", str(tmp_path)])
    assert seen[1][1]["stem"] == "vagnn-demo-Pop-cold20-time-tuned"
    assert {key: seen[1][0][5][key] for key in ("cold_items", "cold_split", "cold_candidates")} == {
        "cold_items": 0.2,
        "cold_split": "time",
        "cold_candidates": "cold",
    }


@pytest.mark.slow
def test_a_cold_tuned_benchmark_runs_models_without_a_grid_once_with_their_defaults(tmp_path, capsys):
    ray = pytest.importorskip("ray")
    out = tmp_path / "out"
    arguments = ["--models", "Pop,CreatorAffinity,LightGCN", "--tune", "--trials", "2", "--epochs", "1"]
    arguments += ["--out", str(out), "--cold_items", "0.1"]
    try:
        benchmark.main(arguments)
    finally:
        ray.shutdown()
    run_dir = out / "runs" / "vagnn-demo-cold10-random"
    trials = sorted(p.stem for p in (run_dir / "tune").glob("*.json"))
    assert trials == ["CreatorAffinity-trial0", "LightGCN-trial0", "LightGCN-trial1", "Pop-trial0"]
    assert "Pop defaults (no grid): valid recall@10" in capsys.readouterr().out
    stem = out / "vagnn-demo-Pop+CreatorAffinity+LightGCN-cold10-random-tuned"
    table, trials_md = Path(f"{stem}.md").read_text(), Path(f"{stem}-trials.md").read_text()
    assert "Setting: cold videos, 10% held out (random), candidates: cold" in table
    assert "Setting: cold videos, 10% held out (random), candidates: cold" in trials_md
    assert "FIFO scheduler; Pop, CreatorAffinity: no grid, run with the defaults;" in table
    assert "Chosen settings: Pop defaults (no grid); CreatorAffinity defaults (no grid); LightGCN " in table
    assert "| Pop | 1 | no grid: defaults |" in trials_md and trials_md.count("| LightGCN |") == 2
    for label in ("Pop", "CreatorAffinity", "LightGCN"):
        run = json.loads((run_dir / "tune" / f"{label}-trial0.json").read_text())
        assert run["identity"]["config"]["cold_items"] == 0.1 and run["test"]["recall@50"] == 1.0
    assert set(_table_lines(Path(f"{stem}.md"))) >= {"Pop ‡", "CreatorAffinity ‡", "LightGCN ‡"}
