"""Epoch time and test Recall@10 of one and several processes: ``recbole-vagnn scaling``.

For each process count of ``--nproc`` (default 1 and 2) and each seed of ``--seeds`` it trains
``--model`` through :func:`recbole_vagnn.quick_start.run`, the path of ``recbole-vagnn run --nproc N``
(DistributedDataParallel; gloo on the CPU where no GPU is visible), and prints one row per count:
the seeds, the mean seconds per training epoch (the trainer's own epoch times, evaluation
excluded, rank 0's, averaged over a run's epochs and then over the seeds), the epochs and
optimizer steps trained (mean over the seeds) and the test Recall@10 of the kept checkpoint, mean
± standard error over the seeds. Then, for each count above one, whether its Recall@10 mean lies
within two standard errors of the difference, sqrt(SE_1² + SE_N²) with each SE over the seeds, of
one process's mean (this needs two seeds or more). A line per run shows progress, with the epoch
of its kept checkpoint.

Without ``--dataset`` the generated set 10x the embedded one (4,000 users, 600 vloggers; the set
``recbole-vagnn speed`` times) is written to a temporary folder. Every process runs ``--threads``
torch threads (default 1, so that 1 process x 1 thread is compared with 2 processes x 1 thread:
more processes are more cores). A run stops by the package's convergence rule; ``--epochs N``
caps it at N epochs, and any other RecBole config key passes on as ``--key value``, as in
``recbole-vagnn run``. Figures depend on the machine and on its load; nothing here asserts a target.
"""

import math
import os
import socket
import statistics
import tempfile
from pathlib import Path
from typing import NamedTuple

from recbole_vagnn.cli.base import argument_parser, recbole_flags, run_main
from recbole_vagnn.utils.errors import ConfigError

METRIC = "recall@10"
GENERATED = "vagnn-10x"


class Run(NamedTuple):
    """One training run's figures (:func:`train`)."""

    seconds_per_epoch: float  # rank 0's mean training seconds per epoch, evaluation excluded
    epochs: int
    steps: int  # optimizer steps
    best_epoch: int  # the epoch of the kept checkpoint, counted from 0 as RecBole counts
    recall: float  # test Recall@10 of the kept checkpoint


def counts(text, flag, least):
    """The comma-separated integers of ``flag``, each at least ``least``, else :class:`ConfigError`."""
    values = [value.strip() for value in str(text).split(",")]
    if not all(value.lstrip("-").isdigit() and int(value) >= least for value in values):
        raise ConfigError(f"{flag} {text!r}: give comma-separated integers of {least} or more, e.g. {flag} 1,2")
    return [int(value) for value in values]


def free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return str(probe.getsockname()[1])


def mean_and_error(values):
    """The mean of ``values`` and its standard error (None for one value)."""
    error = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None
    return statistics.fmean(values), error


def train(model, dataset, config_dict, nproc, seed):
    """One :class:`Run` through :func:`recbole_vagnn.quick_start.run`."""
    from recbole_vagnn.quick_start import run

    result = run(model, dataset, config_dict={**config_dict, "seed": seed}, nproc=nproc, port=free_port())
    recall = float(result["test_result"][METRIC])
    return Run(result["seconds_per_epoch"], result["epochs"], result["optimizer_steps"], result["best_epoch"], recall)


def comparison(nproc, runs, single):
    """The line saying whether ``nproc`` processes' Recall@10 mean is within 2 SE of the difference of one process's."""
    (mean, error), (single_mean, single_error) = mean_and_error(runs), mean_and_error(single)
    if error is None or single_error is None:
        return f"{nproc} processes: Recall@10 {mean:.4f} vs {single_mean:.4f} for 1; two seeds or more give an SE"
    difference, difference_error = mean - single_mean, math.hypot(error, single_error)
    verdict = "within" if abs(difference) <= 2 * difference_error else "NOT within"
    return (
        f"{nproc} processes: Recall@10 {mean:.4f} vs {single_mean:.4f} for 1, difference {difference:+.4f}, "
        f"{verdict} 2 SE of the difference (SE {difference_error:.4f} = sqrt(SE_1^2 + SE_{nproc}^2), seeds' SEs)"
    )


def measure(model, dataset, config_dict, nprocs, seeds):
    """``{nproc: [a Run per seed]}``, a progress line per run."""
    runs = {}
    for nproc in nprocs:
        for seed in seeds:
            run = train(model, dataset, config_dict, nproc, seed)
            print(
                f"  {nproc} process(es), seed {seed}: {run.seconds_per_epoch:.2f} s/epoch, {run.epochs} epochs "
                f"(kept: epoch {run.best_epoch + 1}), {run.steps} steps, test Recall@10 {run.recall:.4f}",
                flush=True,
            )
            runs.setdefault(nproc, []).append(run)
    return runs


def print_table(runs):
    print(f"\n{'processes':>9} {'seeds':>5} {'s/epoch':>8} {'epochs':>7} {'steps':>8} {'test Recall@10':>18}")
    for nproc, rows in runs.items():
        mean, error = mean_and_error([row.recall for row in rows])
        recall = f"{mean:.4f} ± {error:.4f}" if error is not None else f"{mean:.4f}"
        seconds, epochs, steps = (statistics.fmean(column) for column in list(zip(*rows))[:3])
        print(f"{nproc:>9} {len(rows):>5} {seconds:8.2f} {epochs:7.1f} {steps:8.0f} {recall:>18}")
    if 1 in runs:
        single = [row.recall for row in runs[1]]
        for nproc, rows in runs.items():
            if nproc > 1:
                print(comparison(nproc, [row.recall for row in rows], single))


def main(argv=None):
    parser = argument_parser(
        __doc__.splitlines()[0],
        epilog="Any RecBole config key passes on as --key value (e.g. --epochs 20): a cap on the epochs of every run.",
    )
    parser.add_argument("--model", default="VAGNN", help="model to train")
    parser.add_argument("--dataset", default=None, help="dataset name (None: the generated 10x set)")
    parser.add_argument("--data_path", default=None, help="folder holding the --dataset folder")
    parser.add_argument("--nproc", default="1,2", help="process counts to compare, comma-separated")
    parser.add_argument("--seeds", default="2020,2021,2022", help="seeds, comma-separated")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads of every process")
    args, rest = parser.parse_known_args(argv)
    nprocs, seeds = counts(args.nproc, "--nproc", 1), counts(args.seeds, "--seeds", 0)
    if args.threads < 1:
        raise ConfigError(f"--threads {args.threads}: a process needs 1 thread or more")
    if args.data_path and not args.dataset:
        raise ConfigError("--data_path needs --dataset: the folder under it to read")
    flags = recbole_flags(rest)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the spawned processes' torch threads
    import torch

    from recbole_vagnn.config.command_line import recbole_command_line

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        config_dict = {"show_progress": False, "state": "WARNING", "checkpoint_dir": str(Path(tmp) / "saved")}
        dataset, data_path = args.dataset, args.data_path
        if dataset is None:
            from recbole_vagnn.data.atomic import write_tripartite
            from recbole_vagnn.experiments.synthetic import generate

            dataset, data_path = GENERATED, tmp
            write_tripartite(Path(tmp) / dataset, dataset, *generate(seed=7, users=4000, vloggers=600))
        if data_path:
            config_dict["data_path"] = data_path
        print(
            f"{args.model} on {dataset}, processes {nprocs}, seeds {seeds}, {args.threads} torch thread(s) per "
            f"process, {torch.cuda.device_count() or 'no'} GPU(s) visible; config flags: {' '.join(flags) or 'none'}",
            flush=True,
        )
        with recbole_command_line(flags):
            runs = measure(args.model, dataset, config_dict, nprocs, seeds)
    print_table(runs)


if __name__ == "__main__":
    run_main(main)
