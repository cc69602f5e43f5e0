"""Speed and memory figures for VA-GNN next to LightGCN: ``python -m recbole_vagnn.experiments.speed``.

Prints, for the embedded ``vagnn-demo`` data and a generated set 10x larger: model construction
seconds (VA-GNN's includes the meta-path walk and both normalised graphs), median seconds per
training epoch for VAGNN and LightGCN trained in this same process, and the process's peak
resident memory so far after each (``ru_maxrss``; Python, torch and RecBole alone take about
0.5 GB). With ``--wechat_scale`` also a generated set of WeChat's size
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
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from recbole_vagnn.cli import argument_parser, run_main
from recbole_vagnn.errors import ConfigError
from recbole_vagnn.paths import DEFAULT_DATASET


def peak_memory_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_models(dataset, data_path, models, epochs, steps=None, profile=False, fast_loader=True):
    """{model: (construction s, median epoch s, peak RSS MB, loader share, s per validation)} on one dataset.

    With ``steps``, each model trains on that many batches (after one warm-up batch) instead of
    ``epochs`` full epochs, and the epoch time is extrapolated from the seconds per step.
    """
    from recbole.data import data_preparation
    from recbole.utils import init_seed

    from recbole_vagnn.config import Config
    from recbole_vagnn.data import create_dataset
    from recbole_vagnn.data.device_loader import device_loaders
    from recbole_vagnn.utils import get_model, get_trainer

    overrides = {"show_progress": False, "state": "WARNING", "fast_loader": fast_loader}
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
        start = time.perf_counter()
        model = get_model(name)(config, train_data._dataset)
        built = time.perf_counter() - start
        trainer = get_trainer(config["MODEL_TYPE"], name)(config, model)
        if steps:
            batches = list(itertools.islice(train_data, steps + 1))
            trainer._train_epoch(batches[:1], 0)
            trainer._train_epoch(batches[1:], 1)
            epoch_seconds = trainer.epoch_seconds[-1] / steps * len(train_data)
        else:
            for epoch in range(epochs):
                trainer._train_epoch(train_data, epoch, show_progress=False)
            epoch_seconds = statistics.median(trainer.epoch_seconds[1:] or trainer.epoch_seconds)
        loader_share = loader_seconds(train_data, steps) / epoch_seconds
        start = time.perf_counter()
        trainer.evaluate(valid_data, load_best_model=False)
        eval_seconds = time.perf_counter() - start
        results[name] = (built, epoch_seconds, peak_memory_mb(), loader_share, eval_seconds)
        if profile:
            print(f"\n{name}: one epoch under torch.profiler, top operators by self CPU time", flush=True)
            print(profile_epoch(trainer, train_data, steps))
    return results


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

    from recbole_vagnn.commands import COMMANDS, CONVERTERS

    commands = [[name] for name in COMMANDS] + [["convert"]] + [["convert", name] for name in CONVERTERS]
    seconds = {}
    for command in commands:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "recbole_vagnn.commands", *command, "--help"], check=True, capture_output=True
            )
            times.append(time.perf_counter() - start)
        seconds[" ".join(command)] = statistics.median(times)
    return seconds


def main(argv=None):
    parser = argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="training epochs per model (first is warm-up)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--wechat_scale", action="store_true", help="also time steps on 20k users / ~1.5M interactions")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per model at WeChat scale")
    parser.add_argument("--profile", action="store_true", help="print each model's top operators over one epoch")
    parser.add_argument(
        "--recbole_loaders", action="store_true", help="time RecBole's own data loaders (fast_loader: False)"
    )
    parser.add_argument(
        "--help_latency", action="store_true", help="only time 'recbole-vagnn COMMAND --help' for every command"
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

    from recbole_vagnn.data.atomic import write_tripartite
    from recbole_vagnn.experiments.synthetic import generate

    sys.argv = sys.argv[:1]  # RecBole's Config reads --key=value flags from sys.argv: not ours
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
            print(f"\n{label} ({run}, {args.threads} threads)", flush=True)
            results = time_models(
                dataset, data_path, models, args.epochs, steps, args.profile, not args.recbole_loaders
            )
            print(f"{'model':10} {'build s':>8} {'s/epoch':>8} {'s/eval':>8} {'peak RSS MB':>12} {'loader share':>13}")
            for name, (built, per_epoch, peak, share, per_eval) in results.items():
                print(f"{name:10} {built:8.3f} {per_epoch:8.3f} {per_eval:8.3f} {peak:12.0f} {share:13.0%}")
            ratio = results["VAGNN"][1] / results["LightGCN"][1]
            print(f"VAGNN / LightGCN epoch time: {ratio:.2f}x")
    n_inter, seconds, added = walk_benchmark(20000, 2000, 75)
    print(
        f"\nmeta-path walk (q1 0.4, q2 0.1), 20,000 users / {n_inter:,} interactions: "
        f"{seconds:.2f} s, {added:,} edge weights added"
    )


if __name__ == "__main__":
    run_main(main)
