"""The benchmark's report: per-model summaries, the significance tests, the Markdown table, CSV and charts.

Every metric the runs were evaluated with (the config's ``metrics`` and ``topk``) is reported, in
RecBole's order; for a metric where smaller is better (RecBole's ``smaller_metrics``: MAE, RMSE,
LogLoss, GiniIndex, AveragePopularity) the best value is the smallest. Significance tests need
per-user values (:mod:`recbole_vagnn.evaluator.evaluator`); the table says which metrics have none.

Every Markdown file the benchmark writes opens, under its title, with :func:`provenance_lines`: the
command that made it, the versions, the date and the machine, so that a table copied into the
manual says what it is a measurement of.
"""

import datetime
import json
import os
import platform
import shlex
import statistics

from recbole_vagnn.experiments.jobs import settings_text

PROVENANCE_KEYS = ("command", "version", "date", "machine")


def _cpu_name():
    """The processor's model name where the system tells it (Linux: /proc/cpuinfo), else platform's guess."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count()


def machine_text(device=None):
    """``Linux x86_64, 2 CPU cores (MODEL), 2 torch threads, device cpu`` plus the GPUs torch sees."""
    import torch

    threads = torch.get_num_threads()
    text = (
        f"{platform.system()} {platform.machine()}, {_cores()} CPU cores ({_cpu_name()}), "
        f"{threads} torch thread{'s' * (threads != 1)}"
    )
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(k) for k in range(torch.cuda.device_count())]
        text += ", GPU " + ", ".join(names)
    else:
        text += ", no GPU"
    return text + (f"; runs on {device}" if device else "")


def provenance_lines(command, device=None, today=None):
    """The header of a results file: one Markdown list item per :data:`PROVENANCE_KEYS` entry.

    ``command`` is the argument list after ``recbole-vagnn`` (e.g. ``["benchmark", "--tune"]``) or a
    string; ``device`` the device the runs trained on (their config's ``device``).
    """
    import recbole
    import torch

    from recbole_vagnn import __version__

    if not isinstance(command, str):
        command = shlex.join(["recbole-vagnn", *command])
    versions = (
        f"recbole-vagnn {__version__}, RecBole {recbole.__version__}, torch {torch.__version__}, "
        f"Python {platform.python_version()}"
    )
    today = today or datetime.date.today()
    return [
        f"- command: `{command}`",
        f"- version: {versions}",
        f"- date: {today.isoformat()}",
        f"- machine: {machine_text(device)}",
    ]


def metric_keys(runs_by_label):
    """The test metrics every run has, in the first run's (RecBole's) order."""
    runs = [run for label_runs in runs_by_label.values() for run in label_runs]
    return [key for key in runs[0]["test"] if all(key in run["test"] for run in runs)]


def row_metrics(rows):
    """The metric columns of :func:`summarise`'s rows."""
    first = next(iter(rows.values()))
    return [key for key in first if f"{key} std" in first]


def smaller_is_better(key):
    from recbole.evaluator import smaller_metrics

    return key.split("@")[0] in {metric.lower() for metric in smaller_metrics}


def _best(values, key):
    return min(values) if smaller_is_better(key) else max(values)


def steps_to_near_best(run, share=0.95):
    """Optimizer steps of the run's first validation within ``1 - share`` of its best validation score.

    Larger-better scores must reach ``share`` x best, smaller-better ones at most best / ``share``.
    """
    curve = run["valid_curve"]
    if not curve:
        return 0
    bigger = run.get("valid_score_bigger", True)
    best = (max if bigger else min)(score for _, score in curve)
    return next(steps for steps, score in curve if (score >= share * best if bigger else score <= best / share))


def summarise(runs_by_label):
    """Per label: mean and std (0 for one seed) of each test metric, the kept validation, time, steps, best epoch, capped runs."""
    metrics = metric_keys(runs_by_label)
    rows = {}
    for label, runs in runs_by_label.items():
        row = {}
        for key in metrics:
            values = [run["test"][key] for run in runs]
            row[key] = statistics.fmean(values)
            row[f"{key} std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        row["valid"] = statistics.fmean(run["valid_score"] for run in runs)
        errors = [run.get("valid_standard_error") for run in runs]
        row["valid SE"] = statistics.fmean(errors) if all(error is not None for error in errors) else None
        row["seconds/epoch"] = statistics.fmean(run["seconds_per_epoch"] for run in runs)
        row["minutes"] = statistics.fmean(run["seconds_per_epoch"] * run["epochs"] / 60 for run in runs)
        row["steps to 95%"] = statistics.fmean(steps_to_near_best(run) for run in runs)
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
    for key in row_metrics(rows):
        best_other = _best([rows[label][key] for label in others], key)
        gain = 100.0 * (rows[reference][key] - best_other) / best_other if best_other > 0 else float("nan")
        result[key] = -gain if smaller_is_better(key) else gain
    return result


def significance(runs_by_label, rows, reference):
    """Per metric, the paired test of the reference against the best other model (by mean), or None.

    A metric without per-user values in every compared run (AUC, ItemCoverage, ...) maps to None.
    """
    from recbole_vagnn.experiments.significance import paired_test

    others = [label for label in rows if label != reference]
    if reference not in rows or not others:
        return None
    tests = {}
    for key in row_metrics(rows):
        best_other = sorted(others, key=lambda label: rows[label][key], reverse=not smaller_is_better(key))[0]
        compared = runs_by_label[reference] + runs_by_label[best_other]
        if all(key in run.get("test_per_user", {}) for run in compared):
            tests[key] = {"versus": best_other, **paired_test(runs_by_label[reference], runs_by_label[best_other], key)}
        else:
            tests[key] = None
    return tests if any(tests.values()) else None


METRIC_NAMES = {  # RecBole's class names, for the lower-case keys of its results
    **{
        name.lower(): name
        for name in "Recall MRR NDCG Hit Precision MAP GAUC AUC MAE RMSE LogLoss ItemCoverage AveragePopularity "
        "GiniIndex ShannonEntropy TailPercentage".split()
    },
    "recall_head": "Recall (head)",  # head_tail (recbole_vagnn.evaluator.evaluator)
    "recall_tail": "Recall (tail)",
}


def metric_name(key):
    name, at, k = key.partition("@")
    return METRIC_NAMES.get(name, name) + at + k


def markdown_table(rows, names, reference, title, tests=None, header_lines=()):
    metrics = row_metrics(rows)
    # best and runner-up by value, so that tied models get the same mark
    ranked = {
        key: sorted({round(row[key], 4) for row in rows.values()}, reverse=not smaller_is_better(key))
        for key in metrics
    }
    header = "| Model | " + " | ".join(metric_name(k) for k in metrics)
    lines = [f"### {title}", "", *header_lines]
    if header_lines:
        lines.append("")
    lines += [
        header + " | valid ± SE | s/epoch | minutes | steps | steps to 95% | best epoch |",
        "|---" * (len(metrics) + 7) + "|",
    ]
    for label, row in rows.items():
        cells = []
        for key in metrics:
            cell = f"{row[key]:.4f}" + (f" ± {row[key + ' std']:.4f}" if row["seeds"] > 1 else "")
            if label == reference and key in significant_improvements(tests):
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
            + f" | {_valid_cell(row)} | {row['seconds/epoch']:.3f} | {row['minutes']:.1f} | {row['steps']:.0f}"
            + f" | {row['steps to 95%']:.0f} | {row['best epoch']:.0f} |"
        )
    gains = improvement(rows, reference)
    if gains:
        lines.append("| Improv. (%) | " + " | ".join(f"{gains[k]:.2f}" for k in metrics) + " | | | | | | |")
    if tests:
        lines.append("| p (Wilcoxon, users) | " + " | ".join(_p_cell(tests.get(k)) for k in metrics) + " | | | | | | |")
        lines.append(
            "| seeds with p < 0.05 | "
            + " | ".join(f"{t['seeds_better']}/{t['seeds']}" if t else "" for t in (tests.get(k) for k in metrics))
            + " | | | | | | |"
        )
    seeds = {row["seeds"] for row in rows.values()}
    notes = [
        f"Test metrics, mean ± sample std over {'/'.join(map(str, sorted(seeds)))} seed(s); **best**, <u>runner-up</u>; "
        "minutes: training time (s/epoch x epochs trained, mean); steps: optimizer steps trained (mean); "
        "steps to 95%: optimizer steps to the first validation within 5% of the run's best (mean); "
        "best epoch counted from 0."
    ]
    if any(key.startswith("recall_head@") for key in metrics):
        from recbole_vagnn.evaluator.evaluator import HEAD_SHARE  # here: the evaluator loads torch, --help must not

        notes.append(
            f"Recall (head) / (tail): Recall counted only on the users' test videos among the {HEAD_SHARE:.0%} most "
            f"trained-on videos / among the other {1 - HEAD_SHARE:.0%}, in the same ranking (users without such a "
            "video left out)."
        )
    if gains:
        notes.append(f"Improv. = {names.get(reference, reference)} over the best other model of each column.")
    if tests:
        versus = sorted({names.get(t["versus"], t["versus"]) for t in tests.values() if t})
        notes.append(
            f"p: two-sided Wilcoxon signed-rank test of {names.get(reference, reference)} against the best other model "
            f"({', '.join(versus)}) on per-user values averaged over seeds; † marks a significant improvement "
            "(p < 0.05); 'seeds with p < 0.05' counts the seeds whose own test finds it significantly better."
        )
        untested = [metric_name(key) for key in metrics if not tests.get(key)]
        if untested:
            notes.append(
                f"No per-user test for {', '.join(untested)}: RecBole defines {'it' if len(untested) == 1 else 'them'} "
                "over the whole evaluation, not per user."
            )
    if any(row["capped"] for row in rows.values()):
        notes.append(
            "‡ some runs reached the epoch cap (or --max_steps) before early stopping: not converged, raise the cap."
        )
    lines += ["", " ".join(notes)]
    return "\n".join(lines) + "\n"


def _valid_cell(row):
    """The kept validation score (mean over seeds) with its standard error over validation users."""
    if row.get("valid") is None:
        return ""
    return f"{row['valid']:.4f}" + (f" ± {row['valid SE']:.4f}" if row.get("valid SE") is not None else "")


VLOGGER_PARTS_OFF = {"use_vlogger_loss": False, "use_vlogger_view": False, "use_vlogger_score": False}
NEARLY_OFF_WEIGHT = 0.01  # vlogger_loss_weight (lambda1) at or below this is the vlogger loss all but off


def vlogger_parts_verdict(label, run):
    """A sentence when the run's setting switches VA-GNN's vlogger parts off or nearly off, else None.

    Read from the run's effective config, so a tuned choice, a variant and a user's config count alike.
    """
    config = run.get("identity", {}).get("config", {})
    if run.get("identity", {}).get("model") != "VAGNN":
        return None
    off = [key for key, value in VLOGGER_PARTS_OFF.items() if config.get(key) is value]
    weight = config.get("vlogger_loss_weight")
    if weight is not None and weight <= NEARLY_OFF_WEIGHT and config.get("use_vlogger_loss", True):
        off.append(f"vlogger_loss_weight (lambda1) = {weight}")
    if config.get("walk_q1") == 0:
        off.append("the meta-path walk (walk_q1 = 0)")
    if not off:
        return None
    return (
        f"On this data {label}'s vlogger parts did not help validation: its setting turns off or all but off "
        f"{', '.join(off)}."
    )


def trials_table(trial_runs, names, title, header_lines=(), no_grid=()):
    """Every trial of every model: its setting, validation score and standard error over users.

    ``≈`` marks a trial within one standard error of the chosen one (its SE): choosing between
    those is a coin toss on this validation set. ``header_lines`` go under the title. The labels
    in ``no_grid`` have no search space: their one trial is their defaults ("no grid: defaults").
    """
    lines = [f"### {title}", "", *header_lines]
    if header_lines:
        lines.append("")
    lines += ["| Model | trial | setting | valid ± SE | |", "|---|---|---|---|---|"]
    for label, runs in trial_runs.items():
        best = max(runs, key=lambda run: run["choice_score"])
        for k, run in enumerate(runs, start=1):
            setting = "no grid: defaults" if label in no_grid else settings_text(run["params"])
            if run.get("stopped_early"):
                lines.append(f"| {names.get(label, label)} | {k} | {setting} | stopped early | |")
                continue
            error = best.get("valid_standard_error")
            close = run is not best and error is not None and abs(run["choice_score"] - best["choice_score"]) <= error
            mark = "chosen" if run is best else "≈" if close else ""
            lines.append(
                f"| {names.get(label, label)} | {k} | {setting} | {_valid_cell({'valid': run['valid_score'], 'valid SE': run.get('valid_standard_error')})} | {mark} |"
            )
    lines += [
        "",
        "valid: the early-stopping score of the kept checkpoint (the mean of the last stopping_window validations "
        "up to it; the score tuning chooses on); SE: the standard error over the validation users of the kept "
        "checkpoint's own validation. "
        "≈ marks a trial within one SE of the chosen one: between those, validation cannot tell."
        + (
            " no grid: the model has no search space (properties/tuning/MODEL.yaml) and runs once with its defaults."
            if any(label in no_grid for label in trial_runs)
            else ""
        ),
    ]
    return "\n".join(lines) + "\n"


def _p_cell(test):
    if not test:
        return "no per-user test"
    return f"{test['p']:.2g} ({test['diff']:+.4f})"


def write_csv(rows, path, reference=None, tests=None, chosen=None):
    """One row per model; the reference's row carries each metric's p-value, mean per-user difference,
    the model it was tested against and the seeds whose own test finds it better; ``params`` holds
    the tuned settings."""
    import csv

    metrics = row_metrics(rows)
    columns = ["model"] + [c for key in metrics for c in (key, f"{key} std")]
    columns += [
        "valid",
        "valid SE",
        "seconds/epoch",
        "minutes",
        "steps",
        "steps to 95%",
        "best epoch",
        "capped",
        "seeds",
    ]
    test_columns = (
        [c for key in metrics for c in (f"{key} p", f"{key} diff", f"{key} versus", f"{key} seeds better")]
        if tests
        else []
    )
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns + test_columns + (["params"] if chosen else []))
        for label, row in rows.items():
            values = [label] + ["" if row.get(c) is None else f"{row[c]:.6g}" for c in columns[1:]]
            for key in metrics if tests else ():
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


def significant_improvements(tests):
    """The metric keys where the reference model is significantly better (p < 0.05, positive difference): † marks."""
    return {key for key, test in (tests or {}).items() if test and test["p"] < 0.05 and test["diff"] > 0}


def bar_chart(rows, names, path, title, reference=None, tests=None):
    """Test metrics per model, each bar labelled with its value (``†`` where the reference is significantly
    better), with the std over seeds as error bars where there are several seeds."""
    metrics = row_metrics(rows)
    marked = significant_improvements(tests)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(rows)
    for i, (label, row) in enumerate(rows.items()):
        positions = [j + i * width for j in range(len(metrics))]
        errors = [row[f"{k} std"] for k in metrics] if row["seeds"] > 1 else None
        bars = ax.bar(
            positions, [row[k] for k in metrics], width, yerr=errors, label=names.get(label, label), capsize=2
        )
        marks = [f"{row[k]:.3f}" + ("†" if label == reference and k in marked else "") for k in metrics]
        ax.bar_label(bars, labels=marks, fontsize=5 if len(rows) * len(metrics) > 24 else 6, rotation=90, padding=2)
    ax.margins(y=0.2)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(metrics))])
    ax.set_xticklabels([metric_name(k) for k in metrics])
    ax.set_ylabel("test score" + (" († significant improvement, p < 0.05)" if marked else ""))
    ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def curve_chart(runs_by_label, names, path, title):
    """Validation score against optimizer steps, the first seed's run of each model, the kept checkpoint marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, runs in runs_by_label.items():
        curve = runs[0].get("valid_curve") or []
        if not curve:
            continue
        steps, scores = zip(*curve)
        (line,) = ax.plot(steps, scores, label=names.get(label, label), linewidth=1.2)
        kept = steps.index(runs[0]["best_valid_step"])
        ax.plot(steps[kept], scores[kept], marker="o", color=line.get_color())
    ax.set_xlabel("optimizer steps")
    ax.set_ylabel(f"valid {metric_name(next(iter(runs_by_label.values()))[0]['valid_metric'])}")
    ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
