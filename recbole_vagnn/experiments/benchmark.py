"""Side-by-side benchmark: the paper's Tables 2 and 3 on any dataset, from one command.

    python -m recbole_vagnn.experiments.benchmark --dataset NAME [--models VAGNN,LightGCN,...] [--seeds 3]
                                      [--ablations] [--out DIR] [--config_files a.yaml ...]
                                      [--data_path PATH] [--epochs N]

Every model trains with early stopping on valid Recall@10 under the same split and evaluator
(the tripartite defaults). For each model and seed the finished run is stored as
``OUT/runs/NAME/LABEL-seedS.json`` (written atomically) with its identity: the model, the SHA-256
of the dataset's files, every effective config value and the versions of this package, RecBole
and torch. A stored run is reused only when its identity equals the new run's (so a killed
benchmark started again with the same command resumes); otherwise, or when the file is not a
readable run, it is trained again and the reason is printed. Then OUT gets ``NAME.md`` / ``NAME.csv`` (Table 2 form: test Recall and
NDCG at 10/20/50, mean and sample standard deviation over seeds, best in bold, runner-up
underlined, the improvement of the reference model over the best other model, seconds per epoch
and the epoch of the best validation score) and ``NAME.png`` (bar chart). ``--ablations``
runs VA-GNN and its Table 3 variants A-E instead and writes ``NAME-ablations.*``.

Model labels: any RecBole or recbole-vagnn model name, plus ``SGL-ED``, ``SGL-ND``, ``SGL-RW``,
``VAGNN-A`` ... ``VAGNN-E`` (the ablations), ``VAGNN-watched`` (``vlogger_view_graph: watched``, the
authors' vlogger view) and ``VAGNN-uvl-paper`` (``uvl_rule: paper``, the leaky relation).
"""

import json
import os
import statistics
import tempfile
from pathlib import Path

from recbole_vagnn.checkpoint import data_digest
from recbole_vagnn.commands import argument_parser, run_main
from recbole_vagnn.errors import ConfigError
from recbole_vagnn.experiments.cli import add_experiment_arguments, parse_experiment_arguments
from recbole_vagnn.model.general_recommender.vagnn import ABLATIONS
from recbole_vagnn.utils import get_model

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


def run_one(label, seed, dataset, base_config, config_files, run_dir):
    """Train and test ``label`` with ``seed`` unless an identical run is stored; return ``(result, note)``."""
    from recbole_vagnn.quick_start import run_recbole

    path = run_dir / f"{label}-seed{seed}.json"
    identity = run_identity(label, seed, dataset, base_config, config_files)
    run, why_not = stored_run(path, identity)
    if run is not None:
        return run, "stored, reused"
    model, overrides = resolve(label)
    config = {**base_config, **overrides, "seed": seed, "checkpoint_dir": str(run_dir / "checkpoints")}
    result = run_recbole(model=model, dataset=dataset, config_file_list=config_files, config_dict=config)
    stored = {
        "label": label,
        "seed": seed,
        "identity": identity,
        "test": {k: float(result["test_result"][k]) for k in METRICS},
        "valid": {k: float(result["best_valid_result"][k]) for k in METRICS},
        "seconds_per_epoch": result["seconds_per_epoch"],
        "epochs": result["epochs"],
        "best_epoch": result["best_epoch"],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, json.dumps(stored, indent=1))
    return stored, (f"trained again: {why_not}" if why_not else None)


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
        lines.append(
            f"| {names.get(label, label)} | "
            + " | ".join(cells)
            + f" | {row['seconds/epoch']:.3f} | {row['best epoch']:.1f} |"
        )
    gains = improvement(rows, reference)
    if gains:
        lines.append("| Improv. (%) | " + " | ".join(f"{gains[k]:.2f}" for k in METRICS) + " | | |")
    seeds = {row["seeds"] for row in rows.values()}
    lines += [
        "",
        f"Test metrics, mean ± sample std over {'/'.join(map(str, sorted(seeds)))} seed(s); "
        f"**best**, <u>runner-up</u>; Improv. = {names.get(reference, reference)} over the best other model.",
    ]
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
        ax.bar(
            positions,
            [row[k] for k in METRICS],
            width,
            yerr=[row[f"{k} std"] for k in METRICS],
            label=names.get(label, label),
            capsize=2,
        )
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(METRICS))])
    ax.set_xticklabels([k.replace("recall", "Recall").replace("ndcg", "NDCG") for k in METRICS])
    ax.set_ylabel("test score")
    ax.set_title(title)
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def benchmark(
    dataset, labels, seeds, out_dir, config_files=None, base_config=None, reference="VAGNN", names=None, stem=None
):
    """Run every (label, seed) not yet stored, then write the table, CSV and chart; return the rows."""
    out_dir = Path(out_dir)
    run_dir = out_dir / "runs" / dataset
    base_config = {"show_progress": False, **(base_config or {})}
    total = len(labels) * len(seeds)
    runs = {label: [] for label in labels}
    for index, (label, seed) in enumerate(((label, seed) for label in labels for seed in seeds), start=1):
        print(f"[{index}/{total}] {label} seed {seed}", flush=True)
        run, note = run_one(label, seed, dataset, base_config, config_files, run_dir)
        if note:
            print(f"[{index}/{total}] {label} seed {seed}: {note}", flush=True)
        runs[label].append(run)
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
    parser = argument_parser(__doc__.splitlines()[0])
    add_experiment_arguments(parser)
    parser.add_argument(
        "--models",
        default=",".join(PAPER_MODELS),
        help=f"comma-separated labels: any model name (VAGNN, SimGCL, GTN or a RecBole model) or {', '.join(VARIANTS)}",
    )
    parser.add_argument("--seeds", type=int, default=1, help="number of seeds per model: 2020, 2021, ...")
    parser.add_argument("--ablations", action="store_true", help="VA-GNN and its variants A-E (Table 3)")
    args, base_config = parse_experiment_arguments(parser, argv)
    if args.seeds < 1:
        raise ConfigError(f"--seeds must be at least 1, got {args.seeds}")
    seeds = [2020 + i for i in range(args.seeds)]
    if args.ablations:
        labels, names, stem = ["VAGNN"] + [f"VAGNN-{k}" for k in ABLATIONS], ABLATION_NAMES, f"{args.dataset}-ablations"
    else:
        labels, names, stem = [m.strip() for m in args.models.split(",") if m.strip()], {"VAGNN": "VA-GNN"}, None
        if not labels:
            raise ConfigError(f"--models names no model; give comma-separated labels, e.g. {','.join(PAPER_MODELS)}")
    check_labels(labels)
    benchmark(args.dataset, labels, seeds, args.out, args.config_files, base_config, names=names, stem=stem)


if __name__ == "__main__":
    run_main(main)
