"""Side-by-side benchmark: the paper's Tables 2 and 3 on any dataset, from one command.

    python -m recbole_vagnn.benchmark --dataset NAME [--models VAGNN,LightGCN,...] [--seeds 3]
                                      [--ablations] [--out DIR] [--config_files a.yaml ...]
                                      [--data_path PATH] [--epochs N]

Every model trains with early stopping on valid Recall@10 under the same split and evaluator
(the tripartite defaults). For each model and seed the finished run is stored as
``OUT/runs/LABEL-seedS.json`` (written atomically); a killed benchmark started again with the same
command skips finished runs. Then OUT gets ``NAME.md`` / ``NAME.csv`` (Table 2 form: test Recall and
NDCG at 10/20/50, mean and sample standard deviation over seeds, best in bold, runner-up
underlined, the improvement of the reference model over the best other model, seconds per epoch
and the epoch of the best validation score) and ``NAME.png`` (bar chart). ``--ablations``
runs VA-GNN and its Table 3 variants A-E instead and writes ``NAME-ablations.*``.

Model labels: any RecBole or recbole-vagnn model name, plus ``SGL-ED``, ``SGL-ND``, ``SGL-RW`` and
``VAGNN-A`` ... ``VAGNN-E`` (the ablations).
"""

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from recbole_vagnn.cli import add_experiment_arguments, parse_experiment_arguments
from recbole_vagnn.model.general_recommender.vagnn import ABLATIONS

METRICS = [f"{m}@{k}" for m in ("recall", "ndcg") for k in (10, 20, 50)]
PAPER_MODELS = ["NGCF", "LightGCN", "GTN", "SGL-ED", "SGL-ND", "SGL-RW", "SimGCL", "VAGNN"]
VARIANTS = {f"SGL-{kind}": ("SGL", {"type": kind}) for kind in ("ED", "ND", "RW")}
VARIANTS.update({f"VAGNN-{letter}": ("VAGNN", switches) for letter, switches in ABLATIONS.items()})
ABLATION_NAMES = {
    "VAGNN": "VA-GNN", "VAGNN-A": "(A) w/o CL loss", "VAGNN-B": "(B) w/o vlogger loss",
    "VAGNN-C": "(C) w/o video-view", "VAGNN-D": "(D) w/o vlogger-view", "VAGNN-E": "(E) w/o y_up",
}


def resolve(label):
    """Model label -> (RecBole model name, config overrides)."""
    return VARIANTS.get(label, (label, {}))


def _write_atomically(path, text):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def run_one(label, seed, dataset, base_config, config_files, run_dir):
    """Train and test ``label`` with ``seed`` unless its result is already stored; return the result."""
    from recbole_vagnn.quick_start import run_recbole

    path = run_dir / f"{label}-seed{seed}.json"
    if path.is_file():
        return json.loads(path.read_text())
    model, overrides = resolve(label)
    config = {**base_config, **overrides, "seed": seed, "checkpoint_dir": str(run_dir / "checkpoints")}
    result = run_recbole(model=model, dataset=dataset, config_file_list=config_files, config_dict=config)
    stored = {
        "label": label, "seed": seed,
        "test": {k: float(result["test_result"][k]) for k in METRICS},
        "valid": {k: float(result["best_valid_result"][k]) for k in METRICS},
        "seconds_per_epoch": result["seconds_per_epoch"], "epochs": result["epochs"], "best_epoch": result["best_epoch"],
    }
    _write_atomically(path, json.dumps(stored, indent=1))
    return stored


def summarise(runs_by_label):
    """Per label: mean and std (0 for one seed) of each test metric, seconds per epoch, best epoch."""
    rows = {}
    for label, runs in runs_by_label.items():
        row = {}
        for key in METRICS:
            values = [run["test"][key] for run in runs]
            row[key] = statistics.fmean(values)
            row[f"{key} std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        row["seconds/epoch"] = statistics.fmean(run["seconds_per_epoch"] for run in runs)
        row["best epoch"] = statistics.fmean(run["best_epoch"] for run in runs)
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


def markdown_table(rows, names, reference, title):
    # best and runner-up by value, so that tied models get the same mark
    ranked = {key: sorted({round(row[key], 4) for row in rows.values()}, reverse=True) for key in METRICS}
    header = "| Model | " + " | ".join(k.replace("recall", "Recall").replace("ndcg", "NDCG") for k in METRICS)
    lines = [f"### {title}", "", header + " | s/epoch | best epoch |", "|---" * (len(METRICS) + 3) + "|"]
    for label, row in rows.items():
        cells = []
        for key in METRICS:
            cell = f"{row[key]:.4f}" + (f" ± {row[key + ' std']:.4f}" if row["seeds"] > 1 else "")
            if round(row[key], 4) == ranked[key][0]:
                cell = f"**{cell}**"
            elif len(ranked[key]) > 1 and round(row[key], 4) == ranked[key][1]:
                cell = f"<u>{cell}</u>"
            cells.append(cell)
        lines.append(f"| {names.get(label, label)} | " + " | ".join(cells)
                     + f" | {row['seconds/epoch']:.3f} | {row['best epoch']:.1f} |")
    gains = improvement(rows, reference)
    if gains:
        lines.append("| Improv. (%) | " + " | ".join(f"{gains[k]:.2f}" for k in METRICS) + " | | |")
    seeds = {row["seeds"] for row in rows.values()}
    lines += ["", f"Test metrics, mean ± sample std over {'/'.join(map(str, sorted(seeds)))} seed(s); "
              f"**best**, <u>runner-up</u>; Improv. = {names.get(reference, reference)} over the best other model."]
    return "\n".join(lines) + "\n"


def write_csv(rows, path):
    import csv

    columns = ["model"] + [c for key in METRICS for c in (key, f"{key} std")] + ["seconds/epoch", "best epoch", "seeds"]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for label, row in rows.items():
            writer.writerow([label] + [f"{row[c]:.6g}" for c in columns[1:]])


def bar_chart(rows, names, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(METRICS) * len(rows) / 3), 4))
    width = 0.8 / len(rows)
    for i, (label, row) in enumerate(rows.items()):
        positions = [j + i * width for j in range(len(METRICS))]
        ax.bar(positions, [row[k] for k in METRICS], width, yerr=[row[f"{k} std"] for k in METRICS],
               label=names.get(label, label), capsize=2)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(METRICS))])
    ax.set_xticklabels([k.replace("recall", "Recall").replace("ndcg", "NDCG") for k in METRICS])
    ax.set_ylabel("test score")
    ax.set_title(title)
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def benchmark(dataset, labels, seeds, out_dir, config_files=None, base_config=None, reference="VAGNN",
              names=None, stem=None):
    """Run every (label, seed) not yet stored, then write the table, CSV and chart; return the rows."""
    out_dir = Path(out_dir)
    run_dir = out_dir / "runs" / dataset
    run_dir.mkdir(parents=True, exist_ok=True)
    base_config = {"show_progress": False, **(base_config or {})}
    total = len(labels) * len(seeds)
    runs = {label: [] for label in labels}
    for index, (label, seed) in enumerate(((label, seed) for label in labels for seed in seeds), start=1):
        done = (run_dir / f"{label}-seed{seed}.json").is_file()
        print(f"[{index}/{total}] {label} seed {seed}" + (" (stored, skipped)" if done else ""), flush=True)
        runs[label].append(run_one(label, seed, dataset, base_config, config_files, run_dir))
    rows = summarise(runs)
    names = names or {}
    stem = stem or dataset
    title = f"{dataset}: test performance"
    (out_dir / f"{stem}.md").write_text(markdown_table(rows, names, reference, title))
    write_csv(rows, out_dir / f"{stem}.csv")
    bar_chart(rows, names, out_dir / f"{stem}.png", title)
    print(f"wrote {out_dir / stem}.md, .csv, .png")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_experiment_arguments(parser)
    parser.add_argument("--models", default=",".join(PAPER_MODELS), help="comma-separated labels")
    parser.add_argument("--seeds", type=int, default=1, help="seeds 2020, 2021, ... per model")
    parser.add_argument("--ablations", action="store_true", help="VA-GNN and its variants A-E (Table 3)")
    args, base_config = parse_experiment_arguments(parser, argv)
    seeds = [2020 + i for i in range(args.seeds)]
    if args.ablations:
        labels, names, stem = ["VAGNN"] + [f"VAGNN-{k}" for k in ABLATIONS], ABLATION_NAMES, f"{args.dataset}-ablations"
    else:
        labels, names, stem = [m.strip() for m in args.models.split(",") if m.strip()], {"VAGNN": "VA-GNN"}, None
    benchmark(args.dataset, labels, seeds, args.out, args.config_files, base_config, names=names, stem=stem)


if __name__ == "__main__":
    main()
