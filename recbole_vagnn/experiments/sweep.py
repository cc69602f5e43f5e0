"""Hyper-parameter sensitivity of VA-GNN (the paper's Figures 2-4) on Ray Tune.

    python -m recbole_vagnn.experiments.sweep --dataset NAME [--params lambda1,lambda2,tau] [--grid 0.1,1]
                                  [--ray_address ADDR] [--cpus_per_trial 1] [--out DIR]

Each grid point is one Ray Tune trial that trains VA-GNN with early stopping (our quick-start, the
same as ``run_recbole.py``) and reports validation and test Recall/NDCG. This follows RecBole's own
Ray Tune route (``run_hyper.py --tool Ray``) with an objective that knows this package's models.

- Locally (default) Ray starts on this machine and runs as many trials at once as it has CPUs
  for (``--cpus_per_trial`` each).
- On a cluster, start Ray there (``ray start --head`` on one node, ``ray start --address=HEAD:6379``
  on the others, each with this package and the dataset installed at the same path) and pass
  ``--ray_address HEAD:6379`` (or ``auto`` on a cluster node). Trials then spread over the nodes.

For every parameter the output folder gets ``sweep-PARAM.csv`` and ``sweep-PARAM.png`` (test
Recall@10 and NDCG@10 against the value, log scale, as in the paper's figures).
"""

import csv
from pathlib import Path

from recbole_vagnn.cli.base import argument_parser, run_main
from recbole_vagnn.cli.experiment_args import add_experiment_arguments, parse_experiment_arguments
from recbole_vagnn.config.checks import PAPER_NAMES, check_values
from recbole_vagnn.utils.errors import ConfigError

PARAMS = PAPER_NAMES
PAPER_GRIDS = {  # Sec. 5.1: {0.01, 0.05, ..., 5, 10}, {0.0001, 0.0005, ..., 1, 5}, {0.01, 0.05, ..., 1, 5}
    "lambda1": [0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    "lambda2": [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    "tau": [0.01, 0.05, 0.1, 0.5, 1, 5],
}
REPORTED = ["recall@10", "ndcg@10", "recall@20", "ndcg@20"]


def trial(config):
    """Ray Tune trainable: one VA-GNN run with ``config`` as RecBole config overrides."""
    import ray
    import torch

    from recbole_vagnn.experiments.ray_jobs import trial_device_config
    from recbole_vagnn.quick_start import run_recbole

    torch.set_num_threads(int(config.pop("_threads")))
    config.update(trial_device_config(ray.get_gpu_ids()))
    config_files = config.pop("_config_files") or None
    dataset = config.pop("_dataset")
    result = run_recbole(model="VAGNN", dataset=dataset, config_file_list=config_files, config_dict=config)
    report = {f"test_{k}": float(result["test_result"][k]) for k in REPORTED}
    report.update({f"valid_{k}": float(result["best_valid_result"][k]) for k in REPORTED})
    return report


def progress_callback(param, total):
    """A Ray Tune callback printing one line per finished trial (in place of Ray's status table)."""
    from ray import tune

    class TrialProgress(tune.Callback):
        done = 0

        def _line(self, trial, outcome):
            TrialProgress.done += 1
            print(f"[{TrialProgress.done}/{total}] {param}={trial.config[PARAMS[param]]}: {outcome}", flush=True)

        def on_trial_complete(self, iteration, trials, trial, **info):
            result = trial.last_result
            self._line(trial, f"test recall@10 {result['test_recall@10']:.4f} ({result.get('time_total_s', 0):.0f} s)")

        def on_trial_error(self, iteration, trials, trial, **info):
            self._line(trial, "failed")

    return TrialProgress()


def sweep(
    param,
    grid,
    dataset,
    out_dir,
    ray_address=None,
    cpus_per_trial=1,
    base_config=None,
    config_files=None,
    gpus_per_trial=None,
):
    """Run the grid for one parameter on Ray Tune; write CSV and PNG; return [(value, metrics)]."""
    import ray
    from ray import tune

    from recbole_vagnn.experiments.ray_jobs import error_message, init_ray, trial_resources, tune_api
    from recbole_vagnn.utils.errors import TrialError

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    init_ray(ray_address)
    config = {
        **(base_config or {}),
        "show_progress": False,
        "state": "WARNING",
        PARAMS[param]: tune.grid_search(list(grid)),
        "_dataset": dataset,
        "_config_files": [str(Path(f).resolve()) for f in config_files or []],
        "_threads": cpus_per_trial,
    }
    if "data_path" in config:
        config["data_path"] = str(Path(config["data_path"]).resolve())
    run_config, failure_config, _ = tune_api()
    resources = trial_resources(cpus_per_trial, gpus_per_trial, ray.cluster_resources().get("GPU", 0))
    tuner = tune.Tuner(
        tune.with_resources(trial, resources),
        param_space=config,
        run_config=run_config(
            name=f"sweep-{dataset}-{param}",
            storage_path=str((out_dir / "ray").resolve()),  # Ray needs an absolute path
            verbose=0,
            callbacks=[progress_callback(param, len(grid))],
            failure_config=failure_config(fail_fast=True),  # the first failed trial stops the sweep
        ),
    )
    results = tuner.fit()
    for result in results:
        if result.error:
            value = result.config[PARAMS[param]]
            raise TrialError(
                f"sweep trial {param}={value} failed on Ray: {error_message(result.error)}"
            ) from result.error
    points = sorted((r.config[PARAMS[param]], r.metrics) for r in results)
    write_outputs(param, points, dataset, out_dir)
    return points


def write_outputs(param, points, dataset, out_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [f"{split}_{k}" for split in ("test", "valid") for k in REPORTED]
    with open(out_dir / f"sweep-{param}.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([param] + keys)
        for value, metrics in points:
            writer.writerow([value] + [f"{metrics[k]:.6g}" for k in keys])
    fig, ax = plt.subplots(figsize=(5, 3.5))
    values = [value for value, _ in points]
    for key, label in (("test_recall@10", "Recall@10"), ("test_ndcg@10", "NDCG@10")):
        ax.plot(values, [metrics[key] for _, metrics in points], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_xticks(values)
    ax.set_xticklabels([f"{value:g}" for value in values], rotation=45 if len(values) > 6 else 0)
    ax.minorticks_off()
    ax.set_xlabel(f"{param} ({PARAMS[param]})")
    ax.set_ylabel("test score")
    ax.set_title(f"{dataset}: sensitivity to {param}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / f"sweep-{param}.png", dpi=120)
    plt.close(fig)
    print(f"wrote {out_dir / f'sweep-{param}'}.csv, .png")


def parse_grid(text, param):
    """``--grid`` values as floats, each checked as a value of ``param``'s config key."""
    try:
        grid = [float(value) for value in text.split(",") if value.strip()]
    except ValueError:
        raise ConfigError(f"--grid: {text!r} is not a comma-separated list of numbers") from None
    if not grid:
        raise ConfigError("--grid names no value")
    for value in grid:
        check_values({PARAMS[param]: value})
    return grid


def main(argv=None):
    parser = argument_parser(__doc__.splitlines()[0])
    add_experiment_arguments(parser)
    parser.add_argument("--params", default="lambda1,lambda2,tau", help=f"comma-separated, from {list(PARAMS)}")
    parser.add_argument(
        "--grid", default=None, help="comma-separated values replacing the paper's grid (None: the paper's)"
    )
    parser.add_argument("--ray_address", default=None, help="address of a running Ray cluster (None: a local one)")
    parser.add_argument("--cpus_per_trial", type=int, default=1, help="CPU cores Ray gives each trial")
    parser.add_argument(
        "--gpus_per_trial",
        type=float,
        default=None,
        help="share of a GPU Ray gives each trial (None: 0.25 where the cluster has GPUs, else 0)",
    )
    args, base_config = parse_experiment_arguments(parser, argv)
    params = [p.strip() for p in args.params.split(",") if p.strip()]
    unknown = [p for p in params if p not in PARAMS]
    if unknown:
        raise ConfigError(f"--params: unknown parameter(s) {unknown}; choose from {list(PARAMS)}")
    grids = {param: parse_grid(args.grid, param) if args.grid else PAPER_GRIDS[param] for param in params}
    for param, grid in grids.items():
        sweep(
            param,
            grid,
            args.dataset,
            args.out,
            args.ray_address,
            args.cpus_per_trial,
            base_config,
            args.config_files,
            args.gpus_per_trial,
        )


if __name__ == "__main__":
    run_main(main)
