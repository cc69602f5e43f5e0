"""Tuning on Ray as users run it: relative paths, the first failure, GPU shares, ASHA, a two-node cluster."""

import json
import os
import shutil

import pytest

from recbole_vagnn.config.configurator import Config
from recbole_vagnn.experiments import benchmark
from recbole_vagnn.experiments.ray_jobs import DEFAULT_GPU_SHARE, run_on_ray, trial_device_config, trial_resources
from recbole_vagnn.utils.errors import TrialError
from recbole_vagnn.utils.paths import EMBEDDED_DATA_DIR
from tests.conftest import fails

ray = pytest.importorskip("ray")


@pytest.fixture
def shutdown_ray():
    yield
    ray.shutdown()


def trial_runs(out, dataset="vagnn-demo"):
    return {p.stem: json.loads(p.read_text()) for p in (out / "runs" / dataset / "tune").glob("*.json")}


@pytest.mark.slow  # starts a Ray cluster
def test_tuning_runs_with_relative_paths_prints_validation_and_time_left_and_asha_stops_early(
    tmp_path, capsys, shutdown_ray
):
    """The manual's form: --data_path, --config_files and --out relative to the working folder."""
    shutil.copytree(EMBEDDED_DATA_DIR / "vagnn-demo", tmp_path / "data" / "vagnn-demo")
    (tmp_path / "conf.yaml").write_text("embedding_size: 16\nmin_train_steps: 25\n")
    arguments = ["--models", "LightGCN", "--tune", "--trials", "3", "--epochs", "5", "--data_path", "data"]
    arguments += ["--config_files", "conf.yaml", "--out", "out", "--scheduler", "asha", "--cpus_per_trial", "1"]
    # the embedded data trains 25 steps an epoch; ASHA's first rung is at min_train_steps, one epoch
    benchmark.main(arguments + ["--max_steps", "50"])
    runs = trial_runs(tmp_path / "out")
    assert sorted(runs) == ["LightGCN-trial0", "LightGCN-trial1", "LightGCN-trial2"]
    assert all(run["identity"]["config"]["embedding_size"] == 16 for run in runs.values())  # the relative config file
    finished = [run for run in runs.values() if not run.get("stopped_early")]
    stopped = [run for run in runs.values() if run.get("stopped_early")]
    assert finished and all(run["optimizer_steps"] == 50 and not run["converged"] for run in finished)
    assert all(run["optimizer_steps"] == 25 for run in stopped)  # stopped at the first rung, never before it
    printed = capsys.readouterr().out
    lines = [line for line in printed.splitlines() if line.startswith("[")]
    assert len(lines) == 3 and "[3/3]" in lines[-1] and "left" in lines[0]
    assert all("test" not in line for line in lines)  # trials show validation only
    assert "ASHA scheduler" in printed and "| LightGCN" in printed  # the table is printed at the end
    table = (tmp_path / "out" / "vagnn-demo-LightGCN-tuned.md").read_text()
    assert (
        "tuned with 3 trial(s) per model on valid Recall@10, ASHA scheduler, at most 50 optimizer steps a run" in table
    )
    assert "Failed to fetch metrics" not in printed and "Trial Status" not in printed


def test_a_missing_dataset_fails_once_before_ray_starts(tmp_path, capsys):
    message = fails(benchmark.main, ["--models", "LightGCN", "--tune", "--dataset", "nowhere"], capsys)
    assert "dataset 'nowhere' not found" in message
    assert not ray.is_initialized()


@pytest.mark.slow  # starts a Ray cluster
def test_the_first_failed_trial_stops_the_tuning_in_one_line(tmp_path, capsys, shutdown_ray):
    """A dataset whose Config is fine but whose rows are not: every trial fails while loading it."""
    folder = tmp_path / "data" / "broken"
    shutil.copytree(EMBEDDED_DATA_DIR / "vagnn-demo", folder)
    for suffix in ("inter", "item", "uvl"):
        (folder / f"vagnn-demo.{suffix}").rename(folder / f"broken.{suffix}")
    with open(folder / "broken.inter", "a") as handle:
        handle.write("1\t2\tsoon\n")
    arguments = ["--models", "LightGCN", "--tune", "--trials", "2", "--epochs", "1", "--dataset", "broken"]
    message = fails(benchmark.main, arguments + ["--data_path", str(tmp_path / "data"), "--out", str(tmp_path)], capsys)
    assert message.startswith("error: LightGCN trial ") and "failed on Ray" in message
    assert "reg_weight=" in message and "soon" in message  # the trial's setting and the error itself


class Trial:
    title, setting = "LightGCN trial 1/2", "reg_weight=0.001"


@pytest.mark.slow  # starts a Ray cluster
def test_a_failure_of_ray_itself_reruns_the_unfinished_trials_and_a_trials_own_error_does_not(tmp_path, shutdown_ray):
    def dies_once(marker, device_config=None, report=None):  # defined here: Ray's workers cannot import tests/
        """A trial whose worker process dies the first time (as when Ray cannot start it), then trains."""
        if not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
        return {"optimizer_steps": 1, "choice_score": 0.5}

    def raises(marker, device_config=None, report=None):
        with open(marker, "a") as handle:
            handle.write("x")
        raise ValueError("bad rows")

    options = {"storage": str(tmp_path / "ray")}
    job = Trial()
    [(returned_job, run)] = run_on_ray(dies_once, [(job, (str(tmp_path / "died"),))], options, lambda job, run: run)
    assert returned_job is job and run["choice_score"] == 0.5  # the rerun trained it

    marker = tmp_path / "raised"
    with pytest.raises(TrialError, match=r"LightGCN trial 1/2 \(reg_weight=0.001\) failed on Ray: .*bad rows"):
        run_on_ray(raises, [(Trial(), (str(marker),))], options, on_result=lambda job, run: run)
    assert marker.read_text() == "x"  # tried once


def test_a_trial_asks_ray_for_a_gpu_share_only_where_the_cluster_has_gpus():
    assert trial_resources(2, None, cluster_gpus=0) == {"cpu": 2}
    assert trial_resources(2, None, cluster_gpus=8) == {"cpu": 2, "gpu": DEFAULT_GPU_SHARE}
    assert trial_resources(1, 0.5, cluster_gpus=1) == {"cpu": 1, "gpu": 0.5}
    assert trial_resources(1, 0, cluster_gpus=1) == {"cpu": 1}
    with pytest.raises(TrialError, match="has no GPU"):
        trial_resources(1, 0.25, cluster_gpus=0)


def test_a_trial_trains_on_the_gpu_ray_assigned_not_on_recboles_gpu_id(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # what Ray sets for a trial without a GPU
    config = Config(model="LightGCN", config_dict=trial_device_config([]))
    assert config["device"].type == "cpu" and os.environ["CUDA_VISIBLE_DEVICES"] == ""  # RecBole left it alone

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")  # Ray gave this trial the node's GPU 3
    Config(model="LightGCN", config_dict=trial_device_config([3]))
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "3"  # RecBole's gpu_id "0" would have moved it to GPU 0
    assert trial_device_config(["1", "2"]) == {"gpu_id": "1,2"}


@pytest.mark.slow  # starts a Ray cluster
def test_a_two_node_cluster_runs_trials_on_both_nodes_with_the_results_of_a_local_run(tmp_path, shutdown_ray):
    from ray.cluster_utils import Cluster

    arguments = ["--models", "LightGCN", "--tune", "--trials", "2", "--epochs", "2"]
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)  # one CPU a node: two one-CPU trials at once take both nodes
        benchmark.main(arguments + ["--out", str(tmp_path / "cluster"), "--ray_address", cluster.address])
    finally:
        ray.shutdown()
        cluster.shutdown()
    on_cluster = trial_runs(tmp_path / "cluster")
    assert len({run["ray_node"] for run in on_cluster.values()}) == 2

    benchmark.main(arguments + ["--out", str(tmp_path / "local")])
    local = trial_runs(tmp_path / "local")
    assert sorted(local) == sorted(on_cluster)
    for name, run in local.items():
        assert run["params"] == on_cluster[name]["params"]
        assert run["test"] == on_cluster[name]["test"] and run["valid_curve"] == on_cluster[name]["valid_curve"]
