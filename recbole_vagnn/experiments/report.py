"""The benchmark's report: per-model summaries, the significance tests, the Markdown table, CSV and charts."""

import json
import statistics

from recbole_vagnn.experiments.run_store import METRICS


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
