"""What a run, the benchmark and the errors print: true, readable, pointing the right way."""

import logging
import subprocess
import sys

import matplotlib.axes
import pytest

from recbole_vagnn import quick_start
from recbole_vagnn.experiments import report
from recbole_vagnn.trainer.checkpoint import load_checkpoint
from recbole_vagnn.trainer.convergence import standard_error
from recbole_vagnn.trainer.trainer import PluginTrainerMixin
from recbole_vagnn.utils.errors import CheckpointError, ConfigError
from recbole_vagnn.utils.paths import EMBEDDED_DATA_DIR, unknown_model_error

QUICK = {"show_progress": False, "min_epoch_steps": 4, "patience_steps": 0, "stopping_step": 2}


def test_every_line_about_the_best_epoch_names_the_kept_checkpoint(caplog):
    """The convergence rule holds the patience until min_train_steps; RecBole's own line then named a later epoch."""
    with caplog.at_level(logging.INFO):
        result = quick_start.run_recbole("LightGCN", config_dict={**QUICK, "min_train_steps": 40, "epochs": 60})
    assert result["converged"]
    assert f"Finished training, best eval result in epoch {result['best_epoch']}\n" in caplog.text + "\n"
    kept = [step for step, _ in result["valid_curve"]].index(result["best_valid_step"])
    assert result["best_epoch"] == kept  # eval_step 1: one validation per epoch
    progress = [line for line in caplog.text.splitlines() if "progress: epoch" in line]
    assert len(progress) == len(result["valid_curve"])  # one line per validation, also in a log file
    assert f"at epoch {result['best_epoch']}, " in progress[-1] and "steps of patience left" in progress[-1]


def test_results_print_as_plain_numbers_and_the_dump_shows_the_values_used(caplog):
    with caplog.at_level(logging.INFO):
        result = quick_start.run_recbole("BPR", config_dict={"show_progress": False, "epochs": 1, "verbose": True})
    text = caplog.text
    assert "np.float64" not in text and "OrderedDict" not in text
    assert f"test result: {{'recall@10': {result['test_result']['recall@10']}" in text
    assert f"train_batch_size = {result['train_batch_size']}\n" in text  # 256 after the convergence rule, not 4096
    assert "train_batch_size = 4096" not in text


def test_the_header_counts_threads_in_words(caplog, monkeypatch):
    import torch

    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    with caplog.at_level(logging.INFO):
        quick_start.build_data_and_model("BPR", config_dict={"show_progress": False})
    assert "device cpu, 1 CPU thread (" in caplog.text


def test_the_curve_plot_marks_the_kept_checkpoint_when_scores_tie(tmp_path, monkeypatch):
    marked = []
    original = matplotlib.axes.Axes.plot

    def plot(axes, *args, **kwargs):
        if kwargs.get("marker") == "o":
            marked.append(args[0])
        return original(axes, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", plot)
    run = {"valid_curve": [[25, 0.30], [50, 0.31], [420, 0.31], [445, 0.2]], "best_valid_step": 420}
    report.curve_chart({"LightGCN": [{**run, "valid_metric": "recall@10"}]}, {}, tmp_path / "c.png", "t")
    assert marked == [420]  # RecBole keeps the later of tied scores


def test_the_bar_chart_labels_values_and_significance(tmp_path, monkeypatch):
    labels = []
    original = matplotlib.axes.Axes.bar_label
    monkeypatch.setattr(
        matplotlib.axes.Axes,
        "bar_label",
        lambda axes, bars, **kw: labels.append(kw["labels"]) or original(axes, bars, **kw),
    )

    def row(value):
        return {"recall@10": value, "recall@10 std": 0.0, "ndcg@10": value / 2, "ndcg@10 std": 0.0, "seeds": 1}

    tests = {"recall@10": {"p": 0.01, "diff": 0.1, "versus": "LightGCN"}, "ndcg@10": {"p": 0.4, "diff": 0.01}}
    report.bar_chart({"LightGCN": row(0.2), "VAGNN": row(0.3)}, {}, tmp_path / "b.png", "t", "VAGNN", tests)
    assert labels == [["0.200", "0.100"], ["0.300†", "0.150"]]


def test_a_folder_given_as_a_checkpoint_lists_the_checkpoints_in_it(tmp_path):
    (tmp_path / "saved").mkdir()
    for name in ("LightGCN-a.pth", "VAGNN-b.pth"):
        (tmp_path / "saved" / name).write_bytes(b"x")
    with pytest.raises(CheckpointError, match=r"saved is a folder, not a checkpoint file: give one of its checkpoints"):
        load_checkpoint(tmp_path / "saved")
    with pytest.raises(CheckpointError, match="VAGNN-b.pth"):
        load_checkpoint(tmp_path / "saved")


def test_an_unknown_dataset_lists_the_datasets_there_and_names_convert_table(tmp_path):
    import shutil

    from recbole_vagnn.config.configurator import Config

    shutil.copytree(EMBEDDED_DATA_DIR / "vagnn-demo", tmp_path / "vagnn-demo")
    with pytest.raises(ConfigError) as error:
        Config(model="LightGCN", dataset="vagnn-dmeo", config_dict={"data_path": str(tmp_path)})
    message = str(error.value)
    assert "holds vagnn-demo (did you mean vagnn-demo?)" in message and "recbole-vagnn convert table" in message


def test_a_misspelled_model_is_answered_at_once_closest_first_without_uninstalled_ones():
    message = str(unknown_model_error("LightGNC"))
    assert message.startswith("unknown model 'LightGNC' (did you mean LightGCN")
    assert "LightGBM" not in message.split("available:")[1]  # needs lightgbm, not installed here
    assert unknown_model_error("LightGCN") is None and unknown_model_error("VAGNN") is None
    probe = (
        "import sys\nfrom recbole_vagnn.cli.base import run_main\nfrom recbole_vagnn.cli.run import main\n"
        "try:\n    run_main(main, ['--model', 'LightGNC'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'recbole.model') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]" and "did you mean LightGCN" in done.stderr


def test_ctrl_c_names_the_kept_checkpoint_and_run_resume_continues_it(tmp_path, caplog, monkeypatch):
    real_epoch = PluginTrainerMixin._train_epoch
    epochs = []

    def interrupted_at_the_fourth(self, *args, **kwargs):
        epochs.append(args[1])
        if len(epochs) == 4:
            raise KeyboardInterrupt
        return real_epoch(self, *args, **kwargs)

    monkeypatch.setattr(PluginTrainerMixin, "_train_epoch", interrupted_at_the_fourth)
    config = {**QUICK, "epochs": 6, "checkpoint_dir": str(tmp_path / "saved"), "record_test_curve": True}
    with caplog.at_level(logging.WARNING), pytest.raises(KeyboardInterrupt):
        quick_start.run_recbole("BPR", config_dict=config)
    (checkpoint,) = (tmp_path / "saved").glob("BPR-*.pth")
    assert (
        f"interrupted: the checkpoint kept so far is {checkpoint}; continue it with the same command plus --resume"
        in caplog.text
    )
    state = load_checkpoint(checkpoint)
    kept_epoch = state["epoch"]
    # the scores the stopping rule averages over, up to the kept validation (one per epoch here)
    assert 1 <= len(state["recent_valid_scores"]) <= min(kept_epoch + 1, 5)

    record = state["run_record"]  # the run up to the kept checkpoint
    assert len(record["epoch_seconds"]) == len(record["valid_curve"]) == kept_epoch + 1
    assert record["best_valid_result"] and record["valid_curve"][-1][0] == record["optimizer_steps"]
    monkeypatch.setattr(PluginTrainerMixin, "_train_epoch", real_epoch)

    # a resumed run that never validates better still reports the checkpoint it resumed from
    real_valid = PluginTrainerMixin._valid_epoch

    def never_better(self, valid_data, show_progress=False):
        _, result = real_valid(self, valid_data, show_progress)
        self.valid_curve[-1] = (self.optimizer_steps, 0.0)
        return 0.0, result

    monkeypatch.setattr(PluginTrainerMixin, "_valid_epoch", never_better)
    stalled = quick_start.run_recbole("BPR", config_dict=config, resume=str(checkpoint))
    assert (stalled["best_epoch"], stalled["best_valid_step"]) == (kept_epoch, record["optimizer_steps"])
    assert stalled["best_valid_result"] == record["best_valid_result"]
    kept_standard_error = standard_error(record["best_valid_per_user"].tolist())  # each user's values, kept as a tensor
    assert kept_standard_error is not None and stalled["valid_standard_error"] == kept_standard_error
    monkeypatch.setattr(PluginTrainerMixin, "_valid_epoch", real_valid)

    resumed = quick_start.run_recbole("BPR", config_dict=config, resume=str(checkpoint))
    # continued after the kept epoch up to the cap, counted from the run's start: not converged
    steps_per_epoch = record["optimizer_steps"] // (kept_epoch + 1)
    assert (resumed["epochs"], len(resumed["valid_curve"])) == (6, 6)
    assert resumed["optimizer_steps"] == 6 * steps_per_epoch and not resumed["converged"]
    # the recorded curves stay aligned with the validations: the kept run's part, then the resumed one's
    assert len(resumed["test_curve"]) == len(resumed["valid_per_user_curve"]) == 6
    assert resumed["valid_per_user_curve"][: kept_epoch + 1] == record["valid_per_user_curve"].tolist()


@pytest.mark.parametrize(
    "config, best_epoch, note",
    [
        ({"epochs": 2, "eval_step": 5}, 1, None),  # RecBole validates every min(eval_step, epochs) epochs
        ({"epochs": 2, "eval_step": 0}, None, None),  # eval_step 0: no validation, a checkpoint every epoch
        ({"epochs": 4, "eval_step": 3, "max_train_steps": 1}, None, "no validation ran"),  # the cap came first
    ],
)
def test_best_epoch_is_an_epoch_that_ran_or_none(caplog, config, best_epoch, note):
    with caplog.at_level(logging.INFO):
        result = quick_start.run_recbole("BPR", config_dict={"show_progress": False, **config})
    assert result["best_epoch"] == best_epoch
    assert result["best_epoch"] is None or result["best_epoch"] < result["epochs"]
    assert (result["valid_curve"] == []) == (best_epoch is None)
    assert result["test_result"]  # evaluated from the checkpoint kept
    if best_epoch is not None:
        progress = [line for line in caplog.text.splitlines() if "progress: epoch" in line]
        assert progress and f"at epoch {best_epoch}, " in progress[-1]
    if note:
        assert f"{note}: the checkpoint keeps the model of the last epoch trained" in caplog.text


def test_every_metric_in_results_and_log_lines_has_metric_decimal_place_decimals(caplog):
    import re

    config = {"show_progress": False, "epochs": 1, "metrics": ["Recall", "GAUC"], "metric_decimal_place": 2}
    with caplog.at_level(logging.INFO):
        result = quick_start.run_recbole("BPR", config_dict=config)
    values = [*result["test_result"].values(), *result["best_valid_result"].values(), result["best_valid_score"]]
    assert "gauc" in result["test_result"]
    for value in values:  # RecBole's GAUC is a float32 rounded: 0.49000000953674316
        assert type(value) is float and value == round(value, 2) and len(repr(value).split(".")[1]) <= 2, value
    lines = [line for line in caplog.text.splitlines() if re.search(r"recall@|gauc|valid_score|progress", line)]
    assert lines and not [line for line in lines if re.search(r"\d\.\d{3,}", line)]
    assert re.search(r"valid_score: \d\.\d\d\]", caplog.text)
