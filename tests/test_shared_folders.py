"""Processes sharing one folder: runs started in the same second, benchmarks on one --out, a benchmark killed mid-run.

Every process here is a child started with ``python -c``; the tests wait on what the children
print, not on timing, so they hold on a loaded machine.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from recbole_vagnn.experiments import benchmark
from recbole_vagnn.experiments.run_store import RunLock

pytestmark = pytest.mark.slow  # every test here starts processes or a Ray cluster

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}

SAME_SECOND_RUN = """
import json, sys
import recbole.trainer.trainer
recbole.trainer.trainer.get_local_time = lambda: "Jan-01-2030_00-00-00"  # both runs start in one second
from recbole_vagnn.quick_start import run_recbole
config = {"epochs": 2, "seed": int(sys.argv[1]), "show_progress": False, "state": "WARNING", "checkpoint_dir": "saved"}
result = run_recbole("BPR", "vagnn-demo", config_dict=config)
print("TEST " + json.dumps({key: float(value) for key, value in result["test_result"].items()}), flush=True)
"""

# The benchmark command, whose HOLD_MODEL run stops right after saving its checkpoint, until the file RELEASE exists.
HELD_BENCHMARK = """
import os, sys, time
from pathlib import Path
from recbole_vagnn.cli.base import run_main
from recbole_vagnn.experiments import benchmark
from recbole_vagnn.trainer.trainer import PluginTrainerMixin

save = PluginTrainerMixin._save_checkpoint
def save_and_hold(self, *args, **kwargs):
    save(self, *args, **kwargs)
    if self.config["model"] == os.environ.get("HOLD_MODEL"):
        print("holding " + self.saved_model_file, flush=True)
        while not Path(os.environ.get("RELEASE", "/nonexistent")).exists():
            time.sleep(0.05)
PluginTrainerMixin._save_checkpoint = save_and_hold
run_main(benchmark.main)  # as the recbole-vagnn benchmark command

"""


class Child:
    """A ``python -c SCRIPT ARGS`` process whose output (stdout and stderr) is read as it comes."""

    def __init__(self, script, args, **env):
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-c", script, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**ENV, **env},
        )
        self.pid, self.lines = self.process.pid, []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    def wait_for(self, start, timeout=120):
        """The first output line that starts with ``start``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in list(self.lines) if line.startswith(start)]
            if found:
                return found[0].strip()
            if self.process.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"pid {self.pid} printed no line starting {start!r}:\n{self.output()[-3000:]}")

    def finish(self, timeout=120):
        self.process.wait(timeout)
        self.reader.join(timeout)
        assert self.process.returncode == 0, self.output()[-3000:]
        return self.output()

    def output(self):
        return "".join(self.lines)


@pytest.fixture
def children():
    started = []
    yield lambda *args, **env: started.append(Child(*args, **env)) or started[-1]
    for child in started:  # a failed test leaves no process behind
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait()


def table_row(output, label):
    """The printed table's row of ``label``."""
    (row,) = [line for line in output.splitlines() if line.startswith(f"| {label} ")]
    return row


def leftovers(run_dir):
    """Hidden files beside the stored runs: lock files, unfinished writes."""
    return sorted(path.name for path in run_dir.iterdir() if path.name.startswith("."))


def test_two_runs_started_in_the_same_second_keep_and_test_their_own_checkpoints(tmp_path, children):
    from recbole_vagnn.quick_start import load_data_and_model
    from recbole_vagnn.utils.utils import get_trainer

    runs = [children(SAME_SECOND_RUN, [str(seed)]) for seed in (1, 2)]
    tested = {}
    for run in runs:
        run.finish()
        tested[run.pid] = json.loads(run.wait_for("TEST ").removeprefix("TEST "))
    files = sorted((tmp_path / "saved").glob("*.pth"))
    assert len(files) == 2  # RecBole's name, BPR-Jan-01-2030_00-00-00.pth, was one file for both
    weights = []
    for file in files:
        name = re.fullmatch(r"BPR-Jan-01-2030_00-00-00-(\d+)-[0-9a-f]{8}\.pth", file.name)
        assert name, file.name
        config, model, _, _, _, test_data = load_data_and_model(str(file))
        trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
        own = tested[int(name.group(1))]  # the process id in the name: the run that wrote it
        assert dict(trainer.evaluate(test_data, model_file=str(file))) == pytest.approx(own, abs=1e-6)
        weights.append(model.state_dict()["user_embedding.weight"])
    assert not weights[0].equal(weights[1])  # two models: testing the other's checkpoint would show

    trainer.resume_checkpoint(files[0])  # --resume FILE goes on saving into FILE
    assert trainer.saved_model_file == str(files[0])


def test_two_benchmarks_on_one_out_train_each_run_once(tmp_path, children):
    out, release = tmp_path / "out", tmp_path / "release"
    arguments = ["--models", "LightGCN,BPR", "--epochs", "1", "--out", str(out)]
    first = children(HELD_BENCHMARK, arguments, HOLD_MODEL="LightGCN", RELEASE=str(release))
    first.wait_for("holding ")  # training LightGCN, holding its lock
    second = children(HELD_BENCHMARK, arguments)
    # the second trains BPR meanwhile, then waits for LightGCN
    waiting = second.wait_for("LightGCN seed 2020: waiting")
    assert waiting == f"LightGCN seed 2020: waiting for pid {first.pid}, which is training it"
    release.touch()
    outputs = [first.finish(), second.finish()]

    both = "".join(outputs)
    assert len(re.findall(r"^\[\d/\d\] LightGCN seed 2020: valid", both, re.M)) == 1  # trained once
    assert len(re.findall(r"^\[\d/\d\] BPR seed 2020: valid", both, re.M)) == 1
    assert "LightGCN seed 2020: stored by another process, reused" in outputs[1]
    assert "BPR seed 2020: stored by another process, reused" in outputs[0]
    for label in ("LightGCN", "BPR"):
        assert table_row(outputs[0], label) == table_row(outputs[1], label)
    run_dir = out / "runs" / "vagnn-demo"
    lightgcn = list((run_dir / "checkpoints" / "LightGCN-seed2020").iterdir())
    bpr = list((run_dir / "checkpoints" / "BPR-seed2020").iterdir())
    assert len(lightgcn) == 1 and f"-{first.pid}-" in lightgcn[0].name
    assert len(bpr) == 1 and f"-{second.pid}-" in bpr[0].name
    assert leftovers(run_dir) == []


def test_a_benchmark_killed_mid_run_resumes_and_leaves_no_partial_checkpoint(tmp_path, children, capsys):
    out = tmp_path / "out"
    arguments = ["--models", "BPR,LightGCN", "--epochs", "1", "--out", str(out)]
    killed = children(HELD_BENCHMARK, arguments, HOLD_MODEL="LightGCN")
    partial = killed.wait_for("holding ").removeprefix("holding ")
    os.kill(killed.pid, signal.SIGKILL)
    killed.process.wait()
    run_dir = out / "runs" / "vagnn-demo"
    finished = (run_dir / "BPR-seed2020.json").read_text()
    (bpr_checkpoint,) = (run_dir / "checkpoints" / "BPR-seed2020").iterdir()
    bpr_mtime = bpr_checkpoint.stat().st_mtime_ns
    assert os.path.isfile(partial) and not (run_dir / "LightGCN-seed2020.json").exists()
    assert leftovers(run_dir) == [".LightGCN-seed2020.json.lock"]  # left by the killed owner, but not held
    lock = RunLock(run_dir / "LightGCN-seed2020.json")
    assert lock.acquire()
    lock.release()

    capsys.readouterr()
    benchmark.main(arguments)
    printed = capsys.readouterr().out
    assert "BPR seed 2020: stored, reused" in printed
    assert "[1/1] LightGCN seed 2020: valid" in printed  # the killed run, trained again
    assert (run_dir / "BPR-seed2020.json").read_text() == finished
    assert bpr_checkpoint.stat().st_mtime_ns == bpr_mtime  # a finished run keeps its checkpoint
    assert not os.path.exists(partial)
    (kept,) = (run_dir / "checkpoints" / "LightGCN-seed2020").iterdir()
    assert f"-{os.getpid()}-" in kept.name  # the checkpoint of the run stored now
    assert leftovers(run_dir) == []
