"""Side-by-side benchmark: the paper's Tables 2 and 3 on any dataset, from one command.

    python -m recbole_vagnn.experiments.benchmark --dataset NAME [--models VAGNN,LightGCN,...] [--seeds 3]
                                      [--ablations] [--out DIR] [--config_files a.yaml ...]
                                      [--data_path PATH] [--epochs N]
                                      [--tune [--trials 8] [--ray_address ADDR] [--cpus_per_trial 1]]

Every model trains with early stopping on valid Recall@10 under the same split, evaluator and
convergence rule (:mod:`recbole_vagnn.protocol`: enough optimizer steps per epoch, patience in
steps); a run that reached the epoch cap first is marked in the table.

``--tune`` first searches each model's own hyper-parameters with one budget: ``--trials`` settings
per model, drawn without repeats (seeded) from the grid in ``properties/tuning/MODEL.yaml``, each
trained with the first seed; the setting with the best validation Recall@10 is then trained with
every seed and tested. Trials and runs go to Ray Tune (local, or a cluster with ``--ray_address``)
and are stored like any run (``runs/NAME/tune/LABEL-trialK.json``), so a killed tuning resumes.

VA-GNN (or the ``--reference`` model) is compared with the best other model of every metric by a
paired Wilcoxon signed-rank test over test users (:mod:`recbole_vagnn.experiments.significance`);
a significant improvement (p < 0.05) is marked with ``†``, and the CSV carries the p-values. The
table's header gives the dataset's link lift (:mod:`recbole_vagnn.data.signal`). For each model and seed the finished run is stored as
``OUT/runs/NAME/LABEL-seedS.json`` (written atomically) with its identity: the model, the SHA-256
of the dataset's files, every effective config value and the versions of this package, RecBole
and torch. A stored run is reused only when its identity equals the new run's (so a killed
benchmark started again with the same command resumes); otherwise, or when the file is not a
readable run, it is trained again and the reason is printed. Then OUT gets ``NAME.md`` / ``NAME.csv`` (Table 2 form: test Recall and
NDCG at 10/20/50, mean and sample standard deviation over seeds, best in bold, runner-up
underlined, the improvement of the reference model over the best other model and its
significance, seconds per epoch and the epoch of the best validation score), ``NAME.png`` (bar
chart) and ``NAME-curves.png`` (validation Recall@10 against optimizer steps, first seed, the
chosen checkpoint marked). A ``--models`` list other than the paper's eight writes
``NAME-A+B+....*`` instead (e.g. ``vagnn-10x-LightGCN+VAGNN.md``), so no run with fewer models
overwrites the full table. ``--ablations`` runs VA-GNN and its Table 3 variants A-E instead and
writes ``NAME-ablations.*``; ``--tune`` adds ``-tuned`` to the name.

Model labels: any RecBole or recbole-vagnn model name, plus ``SGL-ED``, ``SGL-ND``, ``SGL-RW``,
``VAGNN-A`` ... ``VAGNN-E`` (the ablations), ``VAGNN-watched`` (``vlogger_view_graph: watched``, the
authors' vlogger view) and ``VAGNN-uvl-paper`` (``uvl_rule: paper``, the leaky relation).
"""

import json
import os
import statistics
import tempfile
from pathlib import Path

from recbole_vagnn.cli import argument_parser, run_main
from recbole_vagnn.data.atomic import follow_umask
from recbole_vagnn.errors import ConfigError
from recbole_vagnn.experiments.cli import add_experiment_arguments, parse_experiment_arguments
from recbole_vagnn.model.ablations import ABLATIONS

METRICS = [f"{m}@{k}" for m in ("recall", "ndcg") for k in (10, 20, 50)]
PAPER_MODELS = ["NGCF", "LightGCN", "GTN", "SGL-ED", "SGL-ND", "SGL-RW", "SimGCL", "VAGNN"]
VARIANTS = {f"SGL-{kind}": ("SGL", {"type": kind}) for kind in ("ED", "ND", "RW")}
VARIANTS.update({f"VAGNN-{letter}": ("VAGNN", switches) for letter, switches in ABLATIONS.items()})
VARIANTS.update(
    {
        "VAGNN-watched": ("VAGNN", {"vlogger_view_graph": "watched"}),  # the authors' vlogger view
        "VAGNN-uvl-paper": ("VAGNN", {"uvl_rule": "paper"}),  # the paper's literal, leaky relation
    }
)
ABLATION_NAMES = {
    "VAGNN": "VA-GNN",
    "VAGNN-A": "(A) w/o CL loss",
    "VAGNN-B": "(B) w/o vlogger loss",
    "VAGNN-C": "(C) w/o video-view",
    "VAGNN-D": "(D) w/o vlogger-view",
    "VAGNN-E": "(E) w/o y_up",
}


def resolve(label):
    """Model label -> (RecBole model name, config overrides)."""
    return VARIANTS.get(label, (label, {}))


def check_labels(labels):
    """Raise :class:`ConfigError` naming the first label that is no model and no variant, before any training."""
    from recbole_vagnn.utils import get_model

    for label in labels:
        try:
            get_model(resolve(label)[0])
        except ConfigError as error:
            raise ConfigError(
                f"--models: '{label}' is no model label; use a model name (e.g. {', '.join(PAPER_MODELS[:2])}) "
                f"or a variant ({', '.join(VARIANTS)}). {error}"
            ) from error


def _write_atomically(path, text):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    follow_umask(tmp)
    os.replace(tmp, path)


# Config keys that say where files go or how much is printed, not what is computed.
NOT_IDENTITY = {
    "checkpoint_dir",
    "data_path",
    "show_progress",
    "state",
    "log_wandb",
    "wandb_project",
    "worker",
    "local_rank",
    "nproc",
    "world_size",
    "offset",
    "ip",
    "port",
}


def run_identity(label, seed, dataset, base_config, config_files):
    """What a stored run must match to be reused: model, data, every config value, versions."""
    import recbole
    import torch

    from recbole_vagnn import __version__
    from recbole_vagnn.checkpoint import data_digest
    from recbole_vagnn.config import Config

    model, overrides = resolve(label)
    config = Config(
        model=model,
        dataset=dataset,
        config_file_list=config_files,
        config_dict={**base_config, **overrides, "seed": seed},
    )
    values = {k: v for k, v in config.final_config_dict.items() if k not in NOT_IDENTITY}
    return {
        "model": model,
        "data_sha256": data_digest(config["data_path"], dataset),
        "versions": {"recbole_vagnn": __version__, "recbole": recbole.__version__, "torch": torch.__version__},
        "config": json.loads(json.dumps(values, sort_keys=True, default=str)),
    }


def identity_changes(stored, current):
    """What differs between two identities, one short phrase per differing value."""
    changes = []
    for key in sorted(set(stored) | set(current)):
        old, new = stored.get(key), current.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            changes += [f"{key}.{change}" for change in identity_changes(old, new)]
        else:
            changes.append(f"{key}: {old!r} -> {new!r}" if key != "data_sha256" else "dataset files changed")
    return changes


def stored_run(path, identity):
    """``(run, None)`` if ``path`` holds a run with ``identity``, else ``(None, why it cannot be reused)``."""
    if not path.is_file():
        return None, None
    try:
        run = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        run = None
    if not (
        isinstance(run, dict)
        and isinstance(run.get("test"), dict)
        and set(METRICS) <= set(run["test"])
        and isinstance(run.get("identity"), dict)
    ):
        return None, f"{path.name} is not a readable stored run"
    if run["identity"] != identity:
        changes = identity_changes(run["identity"], identity)
        return None, f"stored run differs ({'; '.join(changes[:4])}{' ...' if len(changes) > 4 else ''})"
    return run, None


def train_run(label, seed, dataset, base_config, config_files, checkpoint_dir, identity, params=None):
    """Train and test ``label`` with ``seed`` (and the tuned ``params``); return the run to store."""
    from recbole_vagnn.quick_start import run_recbole

    model, overrides = resolve(label)
    config = {**base_config, **overrides, **(params or {}), "seed": seed, "checkpoint_dir": str(checkpoint_dir)}
    result = run_recbole(model=model, dataset=dataset, config_file_list=config_files, config_dict=config)
    return {
        "label": label,
        "seed": seed,
        "params": params or {},
        "identity": identity,
        "test": {k: float(result["test_result"][k]) for k in METRICS},
        "valid": {k: float(result["best_valid_result"][k]) for k in METRICS},
        "seconds_per_epoch": result["seconds_per_epoch"],
        "epochs": result["epochs"],
        "best_epoch": result["best_epoch"],
        "converged": result["converged"],
        "train_batch_size": result["train_batch_size"],
        "optimizer_steps": result["optimizer_steps"],
        "valid_curve": result["valid_curve"],
        "video_only_curve": result["video_only_curve"],
        "link_lift": result["link_lift"],
        "test_users": result["test_users"],
        "test_per_user": {k: result["test_per_user"][k] for k in METRICS},
    }


class Job:
    """One run to make: ``label`` with ``seed`` and ``params``, stored at ``path``."""

    def __init__(self, label, seed, path, params=None, title=None):
        self.label, self.seed, self.path, self.params = label, seed, path, params or {}
        self.title = title or f"{label} seed {seed}"


def run_jobs(jobs, dataset, base_config, config_files, run_dir, ray_options=None):
    """Make every job whose identical run is not stored; return the runs in the jobs' order.

    Without ``ray_options`` the runs are made one after another in this process; with it
    (``{"address": ..., "cpus_per_trial": ...}``) they are Ray Tune trials. Each finished run is
    written at once, so a killed benchmark resumes where it stopped.
    """
    identities, runs, pending = {}, {}, []
    for job in jobs:
        identities[job] = run_identity(job.label, job.seed, dataset, {**base_config, **job.params}, config_files)
        run, why_not = stored_run(job.path, identities[job])
        if run is not None:
            runs[job] = run
            print(f"{job.title}: stored, reused", flush=True)
        else:
            pending.append((job, why_not))
    headers = {
        job: f"[{index}/{len(pending)}] {job.title}" + (f": trained again: {why_not}" if why_not else "")
        for index, (job, why_not) in enumerate(pending, start=1)
    }
    if ray_options is not None:  # Ray runs them at once: say up front what will run
        print("\n".join(headers.values()), flush=True)
    # One checkpoint folder per run: RecBole names checkpoints MODEL-time-to-the-second, so two runs
    # of one model started in the same second (parallel Ray trials) would share a file.
    checkpoints = {
        job: run_dir / "checkpoints" / job.path.relative_to(run_dir).with_suffix("").as_posix().replace("/", "-")
        for job, _ in pending
    }
    if ray_options is None:
        for job, _ in pending:
            print(headers[job], flush=True)
            run = train_run(
                job.label, job.seed, dataset, base_config, config_files, checkpoints[job], identities[job], job.params
            )
            runs[job] = _store(job, run)
    elif pending:
        from recbole_vagnn.experiments.ray_jobs import run_on_ray

        todo = [
            (
                job,
                (
                    job.label,
                    job.seed,
                    dataset,
                    base_config,
                    config_files,
                    checkpoints[job],
                    identities[job],
                    job.params,
                ),
            )
            for job, _ in pending
        ]
        options = {"storage": (run_dir / "ray").resolve(), **ray_options}
        for job, run in run_on_ray(train_run, todo, options, on_result=_store):
            runs[job] = run
    return [runs[job] for job in jobs]


def _store(job, run):
    job.path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(job.path, json.dumps(run))
    print(
        f"{job.title}: valid recall@10 {run['valid']['recall@10']:.4f}, test {run['test']['recall@10']:.4f}", flush=True
    )
    return run


def tuning_space(model):
    """``properties/tuning/MODEL.yaml``: config key -> list of values."""
    import yaml

    from recbole_vagnn.paths import tuning_space_file

    path = tuning_space_file(model)
    if not path.is_file():
        raise ConfigError(f"--tune: no search space for {model}; write {path} with 'key: [value, ...]' lines")
    space = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not (isinstance(space, dict) and space and all(isinstance(v, list) and v for v in space.values())):
        raise ConfigError(f"{path}: a search space holds 'key: [value, ...]' lines, each with at least one value")
    return space


def trial_settings(model, trials, seed=0):
    """``trials`` distinct settings of ``model``'s grid, drawn uniformly without repeats (seeded)."""
    import itertools
    import random

    space = tuning_space(model)
    grid = [dict(zip(space, values)) for values in itertools.product(*space.values())]
    if len(grid) < trials:
        raise ConfigError(
            f"--trials {trials}: {model}'s grid (properties/tuning/{model}.yaml) has only {len(grid)} settings; "
            "every model gets the same number of trials, so lower --trials or extend the grid"
        )
    return random.Random(seed).sample(grid, trials)


def tune(labels, trials, seeds, dataset, base_config, config_files, run_dir, ray_options):
    """Tune every label on its grid (first seed, valid metric), then run the chosen settings on every seed.

    Returns ``(runs by label, chosen params by label)``.
    """
    metric = "recall@10"
    trial_jobs = {
        label: [
            Job(label, seeds[0], run_dir / "tune" / f"{label}-trial{k}.json", params, f"{label} trial {k + 1}/{trials}")
            for k, params in enumerate(trial_settings(resolve(label)[0], trials))
        ]
        for label in labels
    }
    print(f"tuning: {trials} trial(s) per model, chosen on valid {metric}, seed {seeds[0]}", flush=True)
    flat = [job for jobs in trial_jobs.values() for job in jobs]
    trial_runs = dict(zip(flat, run_jobs(flat, dataset, base_config, config_files, run_dir, ray_options)))
    chosen, best_runs = {}, {}
    for label, jobs in trial_jobs.items():
        best = max(jobs, key=lambda job: trial_runs[job]["valid"][metric])
        chosen[label], best_runs[label] = best.params, trial_runs[best]
    final = [
        Job(label, seed, run_dir / "tuned" / f"{label}-seed{seed}.json", chosen[label])
        for label in labels
        for seed in seeds[1:]
    ]
    final_runs = dict(zip(final, run_jobs(final, dataset, base_config, config_files, run_dir, ray_options)))
    runs = {label: [best_runs[label]] + [final_runs[j] for j in final if j.label == label] for label in labels}
    return runs, chosen


def summarise(runs_by_label):
    """Per label: mean and std (0 for one seed) of each test metric, seconds per epoch, best epoch, capped runs."""
    rows = {}
    for label, runs in runs_by_label.items():
        row = {}
        for key in METRICS:
            values = [run["test"][key] for run in runs]
            row[key] = statistics.fmean(values)
            row[f"{key} std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        row["seconds/epoch"] = statistics.fmean(run["seconds_per_epoch"] for run in runs)
        row["best epoch"] = statistics.fmean(run["best_epoch"] for run in runs)
        row["steps"] = statistics.fmean(run.get("optimizer_steps", 0) for run in runs)
        row["capped"] = sum(not run.get("converged", True) for run in runs)
        row["seeds"] = len(runs)
        rows[label] = row
    return rows


def improvement(rows, reference):
    """Per metric, % of the reference model over the best other model (the paper's 'Improv.')."""
    others = [label for label in rows if label != reference]
    if reference not in rows or not others:
        return None
    result = {}
    for key in METRICS:
        best_other = max(rows[label][key] for label in others)
        result[key] = 100.0 * (rows[reference][key] - best_other) / best_other if best_other > 0 else float("nan")
    return result


def significance(runs_by_label, rows, reference):
    """Per metric, the paired test of the reference against the best other model (by mean), or None."""
    from recbole_vagnn.experiments.significance import paired_test

    others = [label for label in rows if label != reference]
    if reference not in rows or not others:
        return None
    tests = {}
    for key in METRICS:
        best_other = max(others, key=lambda label: rows[label][key])
        if all("test_per_user" in run for run in runs_by_label[reference] + runs_by_label[best_other]):
            tests[key] = {"versus": best_other, **paired_test(runs_by_label[reference], runs_by_label[best_other], key)}
    return tests or None


def _metric_name(key):
    return key.replace("recall", "Recall").replace("ndcg", "NDCG")


def markdown_table(rows, names, reference, title, tests=None, header_lines=()):
    # best and runner-up by value, so that tied models get the same mark
    ranked = {key: sorted({round(row[key], 4) for row in rows.values()}, reverse=True) for key in METRICS}
    header = "| Model | " + " | ".join(_metric_name(k) for k in METRICS)
    lines = [f"### {title}", "", *header_lines]
    if header_lines:
        lines.append("")
    lines += [header + " | s/epoch | steps | best epoch |", "|---" * (len(METRICS) + 4) + "|"]
    for label, row in rows.items():
        cells = []
        for key in METRICS:
            cell = f"{row[key]:.4f}" + (f" ± {row[key + ' std']:.4f}" if row["seeds"] > 1 else "")
            if label == reference and tests and key in tests and tests[key]["p"] < 0.05 and tests[key]["diff"] > 0:
                cell += "†"
            if round(row[key], 4) == ranked[key][0]:
                cell = f"**{cell}**"
            elif len(ranked[key]) > 1 and round(row[key], 4) == ranked[key][1]:
                cell = f"<u>{cell}</u>"
            cells.append(cell)
        name = names.get(label, label) + (" ‡" if row["capped"] else "")
        lines.append(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {row['seconds/epoch']:.3f} | {row['steps']:.0f} | {row['best epoch']:.0f} |"
        )
    gains = improvement(rows, reference)
    if gains:
        lines.append("| Improv. (%) | " + " | ".join(f"{gains[k]:.2f}" for k in METRICS) + " | | | |")
    if tests:
        lines.append("| p (Wilcoxon, users) | " + " | ".join(_p_cell(tests.get(k)) for k in METRICS) + " | | | |")
        lines.append(
            "| seeds with p < 0.05 | "
            + " | ".join(f"{t['seeds_better']}/{t['seeds']}" if t else "" for t in (tests.get(k) for k in METRICS))
            + " | | | |"
        )
    seeds = {row["seeds"] for row in rows.values()}
    notes = [
        f"Test metrics, mean ± sample std over {'/'.join(map(str, sorted(seeds)))} seed(s); **best**, <u>runner-up</u>; "
        "steps: optimizer steps trained (mean); best epoch counted from 0."
    ]
    if gains:
        notes.append(f"Improv. = {names.get(reference, reference)} over the best other model of each column.")
    if tests:
        versus = sorted({names.get(t["versus"], t["versus"]) for t in tests.values()})
        notes.append(
            f"p: two-sided Wilcoxon signed-rank test of {names.get(reference, reference)} against the best other model "
            f"({', '.join(versus)}) on per-user values averaged over seeds; † marks a significant improvement "
            "(p < 0.05); 'seeds with p < 0.05' counts the seeds whose own test finds it significantly better."
        )
    if any(row["capped"] for row in rows.values()):
        notes.append("‡ some runs reached the epoch cap before early stopping: not converged, raise --epochs.")
    lines += ["", " ".join(notes)]
    return "\n".join(lines) + "\n"


def _p_cell(test):
    if not test:
        return ""
    return f"{test['p']:.2g} ({test['diff']:+.4f})"


def write_csv(rows, path, reference=None, tests=None, chosen=None):
    """One row per model; the reference's row carries each metric's p-value, mean per-user difference,
    the model it was tested against and the seeds whose own test finds it better; ``params`` holds
    the tuned settings."""
    import csv

    columns = ["model"] + [c for key in METRICS for c in (key, f"{key} std")]
    columns += ["seconds/epoch", "steps", "best epoch", "capped", "seeds"]
    test_columns = (
        [c for key in METRICS for c in (f"{key} p", f"{key} diff", f"{key} versus", f"{key} seeds better")]
        if tests
        else []
    )
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns + test_columns + (["params"] if chosen else []))
        for label, row in rows.items():
            values = [label] + [f"{row[c]:.6g}" for c in columns[1:]]
            for key in METRICS if tests else ():
                test = tests.get(key) if label == reference else None
                values += (
                    [
                        f"{test['p']:.6g}",
                        f"{test['diff']:.6g}",
                        test["versus"],
                        f"{test['seeds_better']}/{test['seeds']}",
                    ]
                    if test
                    else ["", "", "", ""]
                )
            writer.writerow(values + ([json.dumps(chosen.get(label, {}))] if chosen else []))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bar_chart(rows, names, path, title):
    """Test metrics per model, with the std over seeds as error bars where there are several seeds."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(rows)
    for i, (label, row) in enumerate(rows.items()):
        positions = [j + i * width for j in range(len(METRICS))]
        errors = [row[f"{k} std"] for k in METRICS] if row["seeds"] > 1 else None
        ax.bar(positions, [row[k] for k in METRICS], width, yerr=errors, label=names.get(label, label), capsize=2)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(METRICS))])
    ax.set_xticklabels([_metric_name(k) for k in METRICS])
    ax.set_ylabel("test score")
    ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def curve_chart(runs_by_label, names, path, title):
    """Validation score against optimizer steps, the first seed's run of each model, the chosen checkpoint marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, runs in runs_by_label.items():
        curve = runs[0].get("valid_curve") or []
        if not curve:
            continue
        steps, scores = zip(*curve)
        (line,) = ax.plot(steps, scores, label=names.get(label, label), linewidth=1.2)
        best = max(range(len(scores)), key=scores.__getitem__)
        ax.plot(steps[best], scores[best], marker="o", color=line.get_color())
    ax.set_xlabel("optimizer steps")
    ax.set_ylabel("valid Recall@10")
    ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def benchmark(
    dataset,
    labels,
    seeds,
    out_dir,
    config_files=None,
    base_config=None,
    reference="VAGNN",
    names=None,
    stem=None,
    trials=None,
    ray_options=None,
):
    """Run (or tune, with ``trials``) every label, then write the table, CSV and charts; return the rows."""
    from recbole_vagnn.data.signal import format_link_lift

    out_dir = Path(out_dir)
    run_dir = out_dir / "runs" / dataset
    base_config = {"show_progress": False, **(base_config or {})}
    chosen = None
    if trials:
        runs, chosen = tune(labels, trials, seeds, dataset, base_config, config_files, run_dir, ray_options)
    else:
        jobs = [Job(label, seed, run_dir / f"{label}-seed{seed}.json") for label in labels for seed in seeds]
        done = run_jobs(jobs, dataset, base_config, config_files, run_dir, ray_options)
        runs = {label: [run for job, run in zip(jobs, done) if job.label == label] for label in labels}
    rows = summarise(runs)
    tests = significance(runs, rows, reference)
    names = names or {}
    stem = stem or dataset
    lift = next((run.get("link_lift") for label_runs in runs.values() for run in label_runs), None)
    protocol = f"{len(seeds)} seed(s) from {seeds[0]}" + (
        f", tuned with {trials} trial(s) per model on valid Recall@10" if trials else ", each model's defaults"
    )
    header = [
        f"{format_link_lift(lift)}.",
        "",
        f"Protocol: {protocol}; early stopping on valid Recall@10 under the convergence rule.",
    ]
    if chosen:
        header += [
            "",
            "Chosen settings: "
            + "; ".join(f"{names.get(label, label)} {_settings(params)}" for label, params in chosen.items())
            + ".",
        ]
    epochs = sorted(run["epochs"] for label_runs in runs.values() for run in label_runs)
    trained = f"{epochs[0]}" if epochs[0] == epochs[-1] else f"{epochs[0]}-{epochs[-1]}"
    title = f"{dataset}: test performance, {len(seeds)} seed(s), {trained} epochs per run" + (
        f", tuned ({trials} trials per model)" if trials else ""
    )
    (out_dir / f"{stem}.md").write_text(
        markdown_table(rows, names, reference, f"{dataset}: test performance", tests, header)
    )
    write_csv(rows, out_dir / f"{stem}.csv", reference, tests, chosen)
    bar_chart(rows, names, out_dir / f"{stem}.png", title)
    curve_chart(runs, names, out_dir / f"{stem}-curves.png", f"{dataset}: validation curves, seed {seeds[0]}")
    print(format_link_lift(lift))
    print(f"wrote {out_dir / stem}.md, .csv, .png, -curves.png")
    return rows


def output_stem(dataset, labels):
    """``NAME`` for the paper's model set, else ``NAME-A+B+...``: a run with other models never overwrites it."""
    return dataset if labels == PAPER_MODELS else f"{dataset}-{'+'.join(labels)}"


def _settings(params):
    return ", ".join(f"{key}={value}" for key, value in params.items()) or "(defaults)"


def main(argv=None):
    parser = argument_parser(__doc__.splitlines()[0])
    add_experiment_arguments(parser)
    parser.add_argument(
        "--models",
        default=",".join(PAPER_MODELS),
        help=f"comma-separated labels: any model name (VAGNN, SimGCL, GTN or a RecBole model) or {', '.join(VARIANTS)}",
    )
    parser.add_argument("--seeds", type=int, default=1, help="number of seeds per model: 2020, 2021, ...")
    parser.add_argument("--ablations", action="store_true", help="VA-GNN and its variants A-E (Table 3)")
    parser.add_argument(
        "--tune", action="store_true", help="tune every model on its grid (properties/tuning/MODEL.yaml) first"
    )
    parser.add_argument("--trials", type=int, default=8, help="with --tune: settings tried per model (one budget)")
    parser.add_argument("--ray_address", default=None, help="with --tune: a running Ray cluster (None: a local one)")
    parser.add_argument("--cpus_per_trial", type=int, default=1, help="with --tune: CPU cores Ray gives each run")
    parser.add_argument(
        "--verbose", action="store_true", help="log every run's epochs (RecBole's state: INFO); else warnings only"
    )
    args, base_config = parse_experiment_arguments(parser, argv)
    if not args.verbose:  # one line per run from the benchmark itself; the stored runs keep the curves
        base_config["state"] = "WARNING"
    if args.seeds < 1:
        raise ConfigError(f"--seeds must be at least 1, got {args.seeds}")
    if args.trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {args.trials}")
    seeds = [2020 + i for i in range(args.seeds)]
    if args.ablations:
        labels, names, stem = ["VAGNN"] + [f"VAGNN-{k}" for k in ABLATIONS], ABLATION_NAMES, f"{args.dataset}-ablations"
    else:
        labels, names = [m.strip() for m in args.models.split(",") if m.strip()], {"VAGNN": "VA-GNN"}
        if not labels:
            raise ConfigError(f"--models names no model; give comma-separated labels, e.g. {','.join(PAPER_MODELS)}")
        stem = output_stem(args.dataset, labels)
    check_labels(labels)
    trials, ray_options = None, None
    if args.tune:
        for label in labels:  # every grid must hold the budget before anything runs
            trial_settings(resolve(label)[0], args.trials)
        trials, stem = args.trials, f"{stem}-tuned"
        ray_options = {"address": args.ray_address, "cpus_per_trial": args.cpus_per_trial}
    benchmark(
        args.dataset,
        labels,
        seeds,
        args.out,
        args.config_files,
        base_config,
        names=names,
        stem=stem,
        trials=trials,
        ray_options=ray_options,
    )


if __name__ == "__main__":
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    run_main(main)
