"""Several processes (RecBole's distributed data parallel) on the CPU: gloo, 2 processes, the embedded vagnn-demo.

The tests that start processes are ``slow``; the checks of the flags are not.
"""

import os
import socket
import time
from pathlib import Path

import pytest
import torch

from recbole_vagnn.cli import run as run_cli
from recbole_vagnn.cli.base import run_main
from recbole_vagnn.experiments import benchmark
from recbole_vagnn.quick_start import run
from recbole_vagnn.quick_start.quick_start import spawn_processes
from recbole_vagnn.utils.errors import DistributedError
from tests.conftest import fails

QUICK = {"epochs": 1, "show_progress": False, "min_train_steps": 0, "eval_step": 1, "fast_loader": False}


def free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--nproc=0"], "--nproc 0: the number of processes must be 1 or more"),
        (["--nproc=-2"], "--nproc -2: the number of processes must be 1 or more"),
        (["--nproc=two"], "--nproc 'two' is not an integer"),
        (["--nproc=1.5"], "--nproc '1.5' is not an integer"),
        (["--nproc=2", "--world_size=1"], "--world_size 1 is below --group_offset 0 + --nproc 2"),
        (["--nproc=2", "--group_offset=-1"], "--group_offset -1"),
        (["--nproc=2", "--port=70000"], "--port 70000: a TCP port is 1 to 65535"),
    ],
)
def test_bad_process_flags_are_one_line(argv, message, capsys):
    assert message in fails(run_cli.main, ["--model=BPR", *argv], capsys)


def test_a_port_in_use_is_one_line(capsys):
    with socket.socket() as holder:
        holder.bind(("localhost", 0))
        holder.listen()
        port = holder.getsockname()[1]
        error = fails(run_cli.main, ["--model=BPR", "--nproc=2", f"--port={port}"], capsys)
    assert f"--port {port} on localhost cannot be used by rank 0" in error


def test_more_processes_than_gpus_is_one_line_naming_both(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(DistributedError, match="--nproc 2 is more than the 1 GPU visible"):
        run("BPR", "vagnn-demo", config_dict=dict(QUICK), nproc=2)


def test_benchmark_refuses_nproc_with_tune(tmp_path, capsys):
    out = tmp_path / "out"
    error = fails(benchmark.main, ["--models", "BPR", "--tune", "--nproc", "2", "--out", str(out)], capsys)
    assert "--nproc 2: a tuning's trials are one process each" in error and "--ray_address" in error
    assert not out.exists()


def _dying(rank, port, kwargs):
    import torch.distributed as dist

    dist.init_process_group("gloo", rank=rank, world_size=2, init_method=f"tcp://localhost:{port}")
    if rank == 1:
        os._exit(3)
    dist.barrier()  # waits for rank 1, which is gone
    time.sleep(600)


@pytest.mark.slow
def test_a_rank_that_dies_ends_the_run_with_one_line_in_bounded_time():
    start = time.monotonic()
    with pytest.raises(DistributedError) as error:
        spawn_processes(_dying, (free_port(),), {}, 2)
    assert time.monotonic() - start < 120
    message = str(error.value)
    assert "\n" not in message and "of 2" in message and "the others were stopped" in message


def _train_and_evaluate(rank, port, model_file, kwargs):
    """One rank: train VA-GNN (RecBole's early stopping, stopping_step 1), then evaluate ``model_file``'s weights."""
    import torch.distributed as dist

    from recbole_vagnn.quick_start import build_data_and_model
    from recbole_vagnn.utils import get_trainer

    config_dict = {**QUICK, "epochs": 6, "stopping_step": 1, "world_size": 2, "ip": "localhost", "port": port}
    config_dict.update({"nproc": 2, "offset": 0, "local_rank": rank})
    config, model, _, train_data, valid_data, test_data = build_data_and_model("VAGNN", "vagnn-demo", None, config_dict)
    assert config["device"].type == "cpu" and dist.get_backend() == "gloo"
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    trainer.fit(train_data, valid_data, saved=False)
    weights = torch.cat([parameter.detach().flatten() for parameter in model.parameters()]).numpy()  # a tensor
    # in the queue would be shared memory, gone with this process
    mine = (weights, trainer.optimizer_steps, len(trainer.epoch_seconds), trainer.valid_curve, trainer.cur_step)
    everyone = [None, None]
    dist.all_gather_object(everyone, mine)
    result = trainer.evaluate(test_data, load_best_model=True, model_file=model_file)
    per_user = {key: value.tolist() for key, value in trainer.evaluator.per_user.items()}
    if rank == 0:
        kwargs["queue"].put({"ranks": everyone, "test_result": result, "per_user": per_user})
    dist.barrier()
    dist.destroy_process_group()


@pytest.mark.slow
def test_two_ranks_train_alike_stop_alike_and_evaluate_as_one_process():
    from recbole_vagnn.quick_start import build_data_and_model
    from recbole_vagnn.utils import get_trainer

    config, model, _, train_data, valid_data, test_data = build_data_and_model("VAGNN", "vagnn-demo", None, dict(QUICK))
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    trainer.fit(train_data, valid_data, saved=True)
    expected = trainer.evaluate(test_data, load_best_model=True)
    expected_per_user = {key: value.tolist() for key, value in trainer.evaluator.per_user.items()}
    model_file = str(Path(trainer.saved_model_file).resolve())

    got = spawn_processes(_train_and_evaluate, (free_port(), model_file), {}, 2)
    (weights0, steps0, epochs0, curve0, patience0), (weights1, steps1, epochs1, curve1, patience1) = got["ranks"]
    assert (weights0 == weights1).all()  # DDP: every rank holds the same weights after training
    assert (steps0, epochs0, curve0, patience0) == (steps1, epochs1, curve1, patience1)  # same stop, same step
    assert got["test_result"] == expected  # every user once, gathered: the single-process metrics exactly
    assert got["per_user"] == expected_per_user  # in user order


@pytest.mark.slow
def test_the_command_line_trains_with_two_processes_and_writes_once(capsys):
    port = free_port()
    argv = ["--model=BPR", "--nproc=2", f"--port={port}", "--epochs=1", "--show_progress=False"]
    run_main(run_cli.main, argv)
    logs = list(Path("log").rglob("*.log"))
    assert len(logs) == 1, logs
    text = logs[0].read_text()
    assert "2 processes (gloo)" in text and text.count("test result") == 1
    assert len(list(Path("saved").glob("*.pth"))) == 1
    assert not any(path.name.startswith("model-") for path in Path("log_tensorboard").iterdir())


@pytest.mark.slow
def test_run_returns_rank_zeros_result_for_a_recbole_model():
    result = run("LightGCN", "vagnn-demo", config_dict=dict(QUICK), nproc=2, port=str(free_port()), saved=False)
    assert result["model"] == "LightGCN" and set(result["test_result"]) >= {"recall@10", "ndcg@10"}
    assert result["epochs"] == 1


STEP = {
    **QUICK,
    "train_batch_size": 64,
    "learning_rate": 0.5,
    "learner": "sgd",
}  # Adam's first step is sign(g): ill-conditioned near g = 0


def _first_step(rank, port, kwargs):
    """One rank: LightGCN's first optimizer step, RecBole's (reduce hook, sync loss, backward, step), on its shard."""
    import torch.distributed as dist

    from recbole_vagnn.quick_start import build_data_and_model
    from recbole_vagnn.utils import get_trainer

    config_dict = {**STEP, "world_size": 2, "ip": "localhost", "port": port, "nproc": 2, "offset": 0}
    config, model, _, train_data, _, _ = build_data_and_model(
        "LightGCN", "vagnn-demo", None, {**config_dict, "local_rank": rank}
    )
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    before = {name: value.detach().clone().numpy() for name, value in model.state_dict().items()}
    batch = next(iter(train_data))
    trainer.optimizer.zero_grad()
    trainer.set_reduce_hook()
    (model.calculate_loss(batch) + trainer.sync_grad_loss()).backward()
    trainer.optimizer.step()
    after = {name: value.detach().clone().numpy() for name, value in model.state_dict().items()}
    rows = {name: value.numpy() for name, value in batch.interaction.items()}
    everyone = [None, None]
    dist.all_gather_object(everyone, (before, rows, after))
    if rank == 0:
        kwargs["queue"].put(everyone)
    dist.barrier()
    dist.destroy_process_group()


@pytest.mark.slow
def test_lightgcns_first_step_with_two_ranks_is_one_process_step_on_the_global_batch():
    from recbole.data.interaction import Interaction, cat_interactions

    from recbole_vagnn.quick_start import build_data_and_model
    from recbole_vagnn.utils import get_trainer

    (before, batch0, after0), (_, batch1, after1) = spawn_processes(_first_step, (free_port(),), {}, 2)
    assert len(batch0["user_id"]) == len(batch1["user_id"]) == 32  # the global batch of 64, halved
    config, model, _, _, _, _ = build_data_and_model("LightGCN", "vagnn-demo", None, dict(STEP))
    model.load_state_dict({name: torch.from_numpy(value) for name, value in before.items()})
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    trainer.optimizer.zero_grad()
    batches = [
        Interaction({name: torch.from_numpy(value) for name, value in rows.items()}) for rows in (batch0, batch1)
    ]
    model.calculate_loss(cat_interactions(batches)).backward()
    trainer.optimizer.step()
    for name, value in model.state_dict().items():
        assert (after0[name] == after1[name]).all()
        assert torch.allclose(value, torch.from_numpy(after0[name]), atol=1e-6), name
