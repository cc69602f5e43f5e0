"""Speed and memory figures for VA-GNN next to LightGCN: ``python -m recbole_vagnn.experiments.speed``.

Prints, for the embedded ``vagnn-demo`` data and a generated set 10x larger: model construction
seconds (VA-GNN's includes the meta-path walk and both normalised graphs), median seconds per
training epoch for VAGNN and LightGCN trained in this same process, and each model's peak
resident memory while it is built, trained and evaluated (the process's, sampled; Python, torch,
RecBole and the shared dataset included: they alone take about 0.5 GB), and for VA-GNN the share of
a training step spent in its InfoNCE (the same batches timed without it). With ``--wechat_scale`` also a generated set of WeChat's size
(20k users, ~1.5M interactions): seconds per training step (batch of 4096) over a few steps and the
epoch time they imply. Then the meta-path walk alone on 20k users / ~1.5M interactions.
Per model it also prints the seconds of one full-ranking evaluation of the validation split and
the share of an epoch spent outside model compute: the seconds the training data loader needs to
produce the epoch's batches alone (negative sampling, building batches), over the epoch's
seconds. The loaders are this package's device loaders (``fast_loader: True``, the default) or,
with ``--recbole_loaders``, RecBole's own. ``--profile`` adds, per model and stage, the
operators with the most self CPU time over one epoch (``torch.profiler``, CUDA time too on a GPU).
``--help_latency`` instead times ``recbole-vagnn COMMAND --help`` for every command (median of
three fresh processes): each command loads RecBole, torch and Ray only when it runs, so help is fast.
Figures depend on the machine; nothing here asserts a target.
"""

import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple, Optional

from recbole_vagnn.cli.base import argument_parser, run_main
from recbole_vagnn.utils.errors import ConfigError
from recbole_vagnn.utils.paths import DEFAULT_DATASET


class Timing(NamedTuple):
    """One model's figures on one dataset (:func:`time_models`)."""

    built: float  # seconds to build the model (VA-GNN: walk and graphs included)
    per_epoch: float  # median training seconds per epoch
    peak_mb: float  # peak resident memory while built, trained and evaluated
    loader_share: float  # share of an epoch the training loader alone takes
    per_eval: float  # seconds of one full-ranking evaluation of the validation split
    infonce_share: Optional[float]  # share of a training step in the contrastive loss (None: it has none)
    gpu_peak_mb: Optional[float]  # peak GPU memory torch allocated (None: on the CPU)


class PeakMemory:
    """Peak resident memory (MB) of this process while the block runs, sampled every 5 ms (psutil).

    The process's whole RSS: Python, torch, RecBole and the loaded dataset (shared by the models)
    included, so two models' peaks compare what each needs at most on top of the same base.
    """

    def __enter__(self):
        import threading

        import psutil

        process, self.peak, self._stop = psutil.Process(), 0, threading.Event()

        def sample():
            while not self._stop.is_set():
                self.peak = max(self.peak, process.memory_info().rss)
                self._stop.wait(0.005)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def mb(self):
        return self.peak / 2**20


def time_models(dataset, data_path, models, epochs, steps=None, profile=False, fast_loader=True, device="cpu"):
    """{model: :class:`Timing`} on one dataset, the models trained one after the other in this process.

    With ``steps``, each model trains on that many batches (after one warm-up batch) instead of
    ``epochs`` full epochs, and the epoch time is extrapolated from the seconds per step. For a
    model with a contrastive loss (VA-GNN) the same batches are timed once more without it: the
    InfoNCE share of a step is 1 - (step without it) / (step with it). ``device`` is ``cpu`` or
    ``cuda`` (RecBole's ``use_gpu``); on ``cuda`` the peak GPU memory torch allocated is kept too.
    """
    import torch
    from recbole.data import data_preparation
    from recbole.utils import init_seed

    from recbole_vagnn.config.configurator import Config
    from recbole_vagnn.data import create_dataset
    from recbole_vagnn.data.dataloader.device_loader import device_loaders
    from recbole_vagnn.utils.utils import get_model, get_trainer

    overrides = {"show_progress": False, "state": "WARNING", "fast_loader": fast_loader, "use_gpu": device == "cuda"}
    if data_path:
        overrides["data_path"] = data_path
    results = {}
    loaded = None
    for name in models:
        config = Config(model=name, dataset=dataset, config_dict=overrides)
        init_seed(config["seed"], config["reproducibility"])
        if loaded is None:
            loaded = data_preparation(config, create_dataset(config))
        train_data, valid_data, _ = device_loaders(config, get_model(name), *loaded)
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        with PeakMemory() as memory:
            start = time.perf_counter()
            model = get_model(name)(config, train_data._dataset)
            built = time.perf_counter() - start
            trainer = get_trainer(config["MODEL_TYPE"], name)(config, model)
            batches = list(itertools.islice(train_data, steps + 1)) if steps else list(train_data)
            if steps:
                trainer._train_epoch(batches[:1], 0)
                timed = batches[1:]
                trainer._train_epoch(timed, 1)
                epoch_seconds = trainer.epoch_seconds[-1] / steps * len(train_data)
            else:
                timed = batches
                for epoch in range(epochs):
                    trainer._train_epoch(timed, epoch, show_progress=False)
                epoch_seconds = statistics.median(trainer.epoch_seconds[1:] or trainer.epoch_seconds)
            infonce_share = contrastive_share(trainer, timed)
            loader_share = loader_seconds(train_data, steps) / epoch_seconds
            start = time.perf_counter()
            trainer.evaluate(valid_data, load_best_model=False)
            eval_seconds = time.perf_counter() - start
        gpu_peak = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None
        results[name] = Timing(built, epoch_seconds, memory.mb, loader_share, eval_seconds, infonce_share, gpu_peak)
        if profile:
            print(f"\n{name}: one epoch under torch.profiler, top operators by self CPU time", flush=True)
            print(profile_epoch(trainer, train_data, steps))
        del model, trainer, batches, timed
    return results


def contrastive_share(trainer, batches):
    """The share of a training pass over ``batches`` spent in the model's contrastive loss, or None."""
    model = trainer.model
    if not getattr(model, "use_cl", False):
        return None
    with_cl = _pass_seconds(trainer, batches)
    model.use_cl = False
    try:
        without = _pass_seconds(trainer, batches)
    finally:
        model.use_cl = True
    return max(0.0, 1 - without / with_cl)


def _pass_seconds(trainer, batches):
    trainer._train_epoch(batches, len(trainer.epoch_seconds))
    return trainer.epoch_seconds[-1]


def loader_seconds(train_data, steps=None):
    """Seconds the training data loader takes to yield one epoch's batches (all, or ``steps`` scaled up)."""
    start = time.perf_counter()
    count = sum(1 for _ in itertools.islice(train_data, steps))
    return (time.perf_counter() - start) / max(count, 1) * len(train_data)


def profile_epoch(trainer, train_data, steps=None, rows=10):
    """The ``rows`` operators with the most self CPU time over one epoch (or ``steps`` batches)."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.cuda.is_available() else [])
    batches = list(itertools.islice(train_data, steps)) if steps else train_data
    with profile(activities=activities) as profiler:
        trainer._train_epoch(batches, len(trainer.epoch_seconds))
    return profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def walk_benchmark(users, vloggers, interactions_per_user):
    from recbole_vagnn.experiments.synthetic import as_matrices, generate
    from recbole_vagnn.model.metapath import augment_views

    inter, item, uvl = generate(users=users, vloggers=vloggers, interactions_per_user=interactions_per_user)
    X, Y, Z = as_matrices(inter, item, uvl, users)
    start = time.perf_counter()
    video_view, vlogger_view = augment_views(X, Y, Z, q1=0.4, q2=0.1, seed=0)
    seconds = time.perf_counter() - start
    added = video_view.sum() - X.sum() + vlogger_view.sum() - Y.sum()
    return len(inter), seconds, int(added)


def help_latency(repeats=3):
    """{command: median seconds of ``recbole-vagnn COMMAND --help`` in a fresh interpreter}."""
    import subprocess

    from recbole_vagnn.cli.main import COMMANDS, CONVERTERS

    commands = [[name] for name in COMMANDS] + [["convert"]] + [["convert", name] for name in CONVERTERS]
    seconds = {}
    for command in commands:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "recbole_vagnn.cli.main", *command, "--help"], check=True, capture_output=True
            )
            times.append(time.perf_counter() - start)
        seconds[" ".join(command)] = statistics.median(times)
    return seconds


def ray_overhead(models, epochs, threads):
    """``{model: (plain s/epoch, Ray trial s/epoch)}``: each model trained ``epochs`` epochs on the embedded data,
    once in this process and once as a local Ray Tune trial with as many CPUs, same seed and setting."""
    from recbole_vagnn.experiments.jobs import Job
    from recbole_vagnn.experiments.ray_jobs import run_on_ray
    from recbole_vagnn.experiments.run_store import run_identity, train_run

    config = {"epochs": epochs, "state": "WARNING", "show_progress": False, "min_train_steps": 0}
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            identity = run_identity(model, 2020, DEFAULT_DATASET, config, None)
            arguments = (model, 2020, DEFAULT_DATASET, config, None, Path(tmp) / f"{model}-plain", identity)
            plain = train_run(*arguments)
            job = Job(model, 2020, Path(tmp) / f"{model}.json", title=f"{model} as a Ray trial")
            todo = [(job, (model, 2020, DEFAULT_DATASET, config, None, Path(tmp) / f"{model}-ray", identity))]
            options = {"storage": Path(tmp) / "ray", "cpus_per_trial": threads, "gpus_per_trial": 0}
            ((_, trial),) = run_on_ray(train_run, todo, options, on_result=lambda job, run: run)
            seconds[model] = (plain["seconds_per_epoch"], trial["seconds_per_epoch"])
    return seconds


def main(argv=None):
    parser = argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="training epochs per model (first is warm-up)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the models train")
    parser.add_argument("--wechat_scale", action="store_true", help="also time steps on 20k users / ~1.5M interactions")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per model at WeChat scale")
    parser.add_argument("--profile", action="store_true", help="print each model's top operators over one epoch")
    parser.add_argument(
        "--recbole_loaders", action="store_true", help="time RecBole's own data loaders (fast_loader: False)"
    )
    parser.add_argument(
        "--help_latency", action="store_true", help="only time 'recbole-vagnn COMMAND --help' for every command"
    )
    parser.add_argument(
        "--ray_overhead",
        action="store_true",
        help="only compare seconds per epoch of plain runs and of the same runs as local Ray trials (embedded data)",
    )
    args = parser.parse_args(argv)
    if args.help_latency:
        print(f"{'recbole-vagnn COMMAND --help':32} {'seconds (median of 3)':>22}")
        for command, seconds in help_latency().items():
            print(f"{command:32} {seconds:22.2f}")
        return
    if args.epochs < 2:
        raise ConfigError(
            f"--epochs must be at least 2: the first epoch is a warm-up and is not timed, got {args.epochs}"
        )
    import torch

    if args.ray_overhead:
        torch.set_num_threads(args.threads)
        print(f"embedded data, {args.epochs} epochs, {args.threads} CPU thread(s) each; a quiet machine is assumed")
        print(f"{'model':10} {'plain s/epoch':>14} {'Ray trial s/epoch':>18} {'trial / plain':>14}")
        for model, (plain, trial) in ray_overhead(["LightGCN", "VAGNN"], args.epochs, args.threads).items():
            print(f"{model:10} {plain:14.3f} {trial:18.3f} {trial / plain:13.2f}x", flush=True)
        return

    from recbole_vagnn.data.atomic import write_tripartite
    from recbole_vagnn.experiments.synthetic import generate

    if args.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: torch sees no CUDA device here; use --device cpu")
    torch.set_num_threads(args.threads)
    models = ["LightGCN", "VAGNN"]
    stages = [
        ("embedded vagnn-demo", DEFAULT_DATASET, None, {}),
        ("generated 10x", "vagnn-10x", None, dict(users=4000, vloggers=600)),
    ]
    if args.wechat_scale:
        stages.append(
            (
                "generated WeChat size",
                "vagnn-wechat-size",
                args.steps,
                dict(users=20000, vloggers=2000, interactions_per_user=75),
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        for label, dataset, steps, size in stages:
            data_path = None
            if size:  # generated just before its stage, so earlier stages' memory figures exclude it
                write_tripartite(Path(tmp) / dataset, dataset, *generate(seed=7, **size))
                data_path = tmp
            run = f"{steps} pre-drawn batches, epoch = steps x s/step" if steps else f"{args.epochs} epochs"
            print(f"\n{label} ({run}, {args.device}, {args.threads} threads)", flush=True)
            results = time_models(
                dataset, data_path, models, args.epochs, steps, args.profile, not args.recbole_loaders, args.device
            )
            print(
                f"{'model':10} {'build s':>8} {'s/epoch':>8} {'s/eval':>8} {'peak RSS MB':>12} {'loader share':>13} "
                f"{'InfoNCE share':>14}"
            )
            for name, timing in results.items():
                infonce = "-" if timing.infonce_share is None else f"{timing.infonce_share:.0%}"
                print(
                    f"{name:10} {timing.built:8.3f} {timing.per_epoch:8.3f} {timing.per_eval:8.3f} "
                    f"{timing.peak_mb:12.0f} {timing.loader_share:13.0%} {infonce:>14}"
                )
            vagnn, lightgcn = results["VAGNN"], results["LightGCN"]
            if args.device == "cuda":
                print(f"peak GPU MB: LightGCN {lightgcn.gpu_peak_mb:.0f}, VAGNN {vagnn.gpu_peak_mb:.0f}")
            print(
                f"VAGNN / LightGCN: epoch {vagnn.per_epoch / lightgcn.per_epoch:.2f}x, "
                f"evaluation {vagnn.per_eval / lightgcn.per_eval:.2f}x, peak memory {vagnn.peak_mb / lightgcn.peak_mb:.2f}x",
                flush=True,
            )
    n_inter, seconds, added = walk_benchmark(20000, 2000, 75)
    print(
        f"\nmeta-path walk (q1 0.4, q2 0.1), 20,000 users / {n_inter:,} interactions: "
        f"{seconds:.2f} s, {added:,} edge weights added"
    )


if __name__ == "__main__":
    run_main(main)
