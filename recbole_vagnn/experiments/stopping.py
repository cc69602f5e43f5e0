"""Early-stopping rules replayed on recorded runs: does where a run stops decide which model wins?

    recbole-vagnn stopping --datasets vagnn-demo,vagnn-nosignal [--data_path dataset]
                           [--models LightGCN,VAGNN] [--seeds 3] [--patience 500,1000,3000] [--out DIR]

Each (dataset, model, seed) trains once, under the longest patience with ties counted as
improvements (RecBole's rule, the longest-running one) and ``record_test_curve: True``: the test
result of the model as it is at every validation. Every other rule (each patience; ties counted
or not; an improvement asked to beat the best by 0.5 or 1 standard error over users; the mean of
the last 5 validations compared instead of the last one) is then replayed on that record with the
trainer's own rule (:class:`recbole_vagnn.trainer.convergence.EarlyStopping`): where the run would have
stopped, the checkpoint it would have kept, and that checkpoint's test score. A rule sees
validation scores only, so the replay is exact wherever the rule stops within the record (a tie
that does not count, a margin or a shorter patience never makes a run longer); an averaged rule
can peak later than the recorded one, and where it would still train at the record's end the
table marks its steps with ≥. Runs are stored like benchmark runs
(``OUT/runs/DATASET/MODEL-seedS.json``), so a killed study resumes. ``OUT/stopping.md`` and
``.csv`` give, per dataset, model and rule, the test score (mean ± std over seeds) and the
optimizer steps trained, and which model leads under each rule.
"""

import csv
import math
import os
import statistics
from pathlib import Path

from recbole_vagnn.cli.base import argument_parser, run_main
from recbole_vagnn.cli.experiment_args import add_experiment_arguments, parse_experiment_arguments
from recbole_vagnn.trainer.convergence import EarlyStopping, improvement_margin
from recbole_vagnn.utils.errors import ConfigError
from recbole_vagnn.utils.paths import dataset_dir, missing_dataset_error

METRIC = "recall@10"


def replay(run, patience_steps, ties_improve, margin_se=0.0, window=1):
    """``(kept, stop, stopped)`` under the rule: the index of the kept validation, of the validation that stops the run.

    ``stopped`` is False where the rule would still train at the record's last validation (then
    ``stop`` is that validation and the kept checkpoint is the best one seen up to it). The
    patience in validations follows the convergence rule: at least the run's ``stopping_step``
    config value and ``patience_steps`` optimizer steps. With ``margin_se``, an improvement must
    beat the best by that many standard errors of the best validation (its per-user values, from
    ``valid_per_user_curve``); with ``window``, scores are the mean of the last ``window`` validations.
    """

    curve = run["valid_curve"]
    config = run["identity"]["config"]
    per_validation = curve[0][0]  # optimizer steps between validations (the run starts at step 0)
    stopping_step = max(config["stopping_step"], math.ceil(patience_steps / per_validation))
    bigger = run["valid_score_bigger"]
    rule = EarlyStopping(stopping_step, bigger, config["min_train_steps"] or 0, ties_improve, window)
    best, cur_step, kept = (-math.inf if bigger else math.inf), 0, None
    margin = 0.0
    for index, (steps, score) in enumerate(curve):
        best, cur_step, stop, improved = rule.update(score, best, cur_step, steps, margin)
        if improved:
            kept = index
            if margin_se:
                margin = improvement_margin(margin_se, run["valid_per_user_curve"][index])
        if stop:
            return kept, index, True
    return kept, len(curve) - 1, False


# (ties count, margin in standard errors, window of validations averaged); the recording rule first
RULES = ((True, 0.0, 1), (False, 0.0, 1), (False, 0.5, 1), (False, 1.0, 1), (False, 0.0, 5))


def rule_rows(runs_by_model, patiences, metric=METRIC, rules=RULES):
    """One row per model and rule: test ``metric`` at the kept checkpoint (mean, std over seeds) and steps trained.

    ``complete`` is False where some seed's record ended before the rule would have stopped: its
    steps are then a lower bound.
    """
    rows = []
    for patience in patiences:
        for ties, margin, window in rules:
            for model, runs in runs_by_model.items():
                tests, steps, complete = [], [], True
                for run in runs:
                    kept, stop, stopped = replay(run, patience, ties, margin, window)
                    tests.append(run["test_curve"][kept][1][metric])
                    steps.append(run["valid_curve"][stop][0])
                    complete &= stopped
                rows.append(
                    {
                        "model": model,
                        "patience": patience,
                        "ties": "count" if ties else "do not count",
                        "margin": margin,
                        "window": window,
                        "test": statistics.fmean(tests),
                        "test std": statistics.stdev(tests) if len(tests) > 1 else 0.0,
                        "steps": statistics.fmean(steps),
                        "complete": complete,
                    }
                )
    return rows


def leaders(rows):
    """``{(patience, ties, margin, window): model with the best mean test score}``."""
    best = {}
    for row in rows:
        key = (row["patience"], row["ties"], row["margin"], row["window"])
        if key not in best or row["test"] > best[key]["test"]:
            best[key] = row
    return {key: row["model"] for key, row in best.items()}


def markdown(dataset, rows, seeds):
    lead = leaders(rows)
    lines = [
        f"### {dataset}: test Recall@10 at the kept checkpoint, by stopping rule ({seeds} seed(s))",
        "",
        "| patience (steps) | ties | margin (SE) | window | model | test Recall@10 | steps trained | leads |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        mark = "yes" if lead[(row["patience"], row["ties"], row["margin"], row["window"])] == row["model"] else ""
        steps = f"{row['steps']:.0f}" if row["complete"] else f"≥ {row['steps']:.0f}"
        lines.append(
            f"| {row['patience']} | {row['ties']} | {row['margin']:g} | {row['window']} | {row['model']} | "
            f"{row['test']:.4f} ± {row['test std']:.4f} | {steps} | {mark} |"
        )
    changed = len(set(lead.values())) > 1
    lines += ["", f"The leading model {'changes' if changed else 'does not change'} with the rule."]
    if not all(row["complete"] for row in rows):
        lines.append(
            "≥: some record ended before this rule would have stopped (it averages or waits longer than the "
            "recording rule); its steps are a lower bound and its checkpoint the best up to the record's end."
        )
    return "\n".join(lines) + "\n"


# What every recorded run trains with: the test curve, and the longest-running rule (RecBole's: ties
# count, no margin, no averaging), whatever the defaults say
RECORDING_CONFIG = {
    "record_test_curve": True,
    "show_progress": False,
    "stopping_ties_improve": True,
    "stopping_margin_se": 0.0,
    "stopping_window": 1,
}


def study(datasets, models, seeds, patiences, out_dir, base_config, config_files):
    """Record the runs, replay the rules; return ``{dataset: rows}``. ``datasets``: ``{name: data_path}``."""
    from recbole_vagnn.experiments.jobs import Job, run_jobs

    out_dir = Path(out_dir)
    recording = {**base_config, **RECORDING_CONFIG, "patience_steps": max(patiences)}
    results = {}
    for dataset, data_path in datasets.items():
        run_dir = out_dir / "runs" / dataset
        jobs = [Job(model, seed, run_dir / f"{model}-seed{seed}.json") for model in models for seed in seeds]
        runs = run_jobs(jobs, dataset, {**recording, "data_path": data_path}, config_files, run_dir)
        results[dataset] = rule_rows(
            {model: [run for job, run in zip(jobs, runs) if job.label == model] for model in models}, patiences
        )
    return results


def main(argv=None):
    parser = argument_parser(__doc__.splitlines()[0])
    add_experiment_arguments(parser)
    parser.add_argument("--datasets", default=None, help="comma-separated datasets (None: --dataset)")
    parser.add_argument("--models", default="LightGCN,VAGNN", help="comma-separated model names")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per model: 2020, 2021, ...")
    parser.add_argument("--patience", default="500,1000,3000", help="comma-separated patiences in optimizer steps")
    args, base_config = parse_experiment_arguments(parser, argv)
    datasets = {}
    for name in [name.strip() for name in (args.datasets or args.dataset).split(",") if name.strip()]:
        folder = dataset_dir(args.data_path, name)
        if not folder.is_dir():
            raise missing_dataset_error(name, folder)
        datasets[name] = str(folder.parent.resolve()) + os.sep
    models = [name.strip() for name in args.models.split(",") if name.strip()]
    try:
        patiences = sorted({int(value) for value in args.patience.split(",") if value.strip()})
    except ValueError:
        raise ConfigError(f"--patience: {args.patience!r} is not a comma-separated list of step counts") from None
    if not (datasets and models and patiences) or args.seeds < 1 or min(patiences) < 1:
        raise ConfigError(
            "--datasets, --models and --patience need at least one value each (patience >= 1), --seeds >= 1"
        )
    base_config["state"] = "WARNING"
    seeds = [2020 + i for i in range(args.seeds)]
    results = study(datasets, models, seeds, patiences, args.out, base_config, args.config_files)
    out = Path(args.out)
    text = "\n".join(markdown(dataset, rows, len(seeds)) for dataset, rows in results.items())
    (out / "stopping.md").write_text(text)
    with open(out / "stopping.csv", "w", newline="") as handle:
        fields = ["dataset", "model", "patience", "ties", "margin", "window", "test", "test std", "steps", "complete"]
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        for dataset, rows in results.items():
            writer.writerows({"dataset": dataset, **row} for row in rows)
    print(text)
    print(f"wrote {out / 'stopping.md'}, .csv")


if __name__ == "__main__":
    run_main(main)
