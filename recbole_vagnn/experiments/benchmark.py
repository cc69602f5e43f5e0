"""Side-by-side benchmark: the paper's Tables 2 and 3 on any dataset, from one command.

    python -m recbole_vagnn.experiments.benchmark --dataset NAME [--models VAGNN,LightGCN,...] [--seeds 3]
                                      [--ablations] [--out DIR] [--config_files a.yaml ...]
                                      [--data_path PATH] [--epochs N]
                                      [--max_steps N] [--tune [--trials 8] [--scheduler fifo|asha]
                                      [--ray_address ADDR] [--cpus_per_trial 1] [--gpus_per_trial 0.25]]
                                      [--cold_items 0.1 [--cold_split random|time] [--cold_candidates cold|all]]

Every model trains with early stopping on the config's valid metric (Recall@10 on tripartite
data) under the same split, evaluator and convergence rule (:mod:`recbole_vagnn.trainer.convergence`: enough
optimizer steps per epoch, patience in steps); a run that reached the epoch cap (or
``--max_steps``) first is marked in the table. Tuning on Ray (paths, failures, GPUs, ASHA) is
described in :mod:`recbole_vagnn.experiments.ray_jobs`.

``--tune`` first searches each model's own hyper-parameters with one budget: ``--trials`` settings
per model, drawn without repeats (seeded) from the grid in ``properties/tuning/MODEL.yaml``, each
trained with the first seed; the setting with the best validation score is then trained with
every seed and tested; ``NAME...-tuned-trials.md`` lists every trial with its validation score and
standard error over users. Trials and runs go to Ray Tune (local, or a cluster with ``--ray_address``)
and are stored like any run (``runs/NAME/tune/LABEL-trialK.json``), so a killed tuning resumes. A
model without a grid (Pop, CreatorPop, CreatorAffinity) runs once with its defaults as its one
trial ("no grid: defaults" in the trials table) and sits in the tuned table beside the tuned models.

``--cold_items s`` (with ``--cold_split`` and ``--cold_candidates``; the manual's Running, "Cold
videos") puts the cold-video setting into every run's config: a share ``s`` of the videos is held
out of training, half for validation (so tuning chooses on cold videos too) and half for test.
The header states the setting and the share of doubly cold held-out videos (their vlogger has no
training video), counted from the dataset as its split counts them (:func:`cold_video_counts`).
The runs are stored under ``runs/NAME-coldP-SPLIT[-all]/`` and the outputs are named
``...-coldP-SPLIT[-all]`` (``vagnn-demo-cold10-random.md``), so a cold benchmark neither reuses
nor overwrites the warm one (the config values are in every run's identity as well).

VA-GNN (or the ``--reference`` model) is compared with the best other model of every metric by a
paired Wilcoxon signed-rank test over test users (:mod:`recbole_vagnn.experiments.significance`);
a significant improvement (p < 0.05) is marked with ``†``, and the CSV carries the p-values. The
table's header gives the command that made it, the versions, the date and the machine
(:func:`~recbole_vagnn.experiments.report.provenance_lines`), then the dataset's link lift (:mod:`recbole_vagnn.data.link_lift`). For each model and seed the finished run is stored as
``OUT/runs/NAME/LABEL-seedS.json`` (written atomically) with its identity: the model, the SHA-256
of the dataset's files, every effective config value and the versions of this package, RecBole
and torch. A stored run is reused only when its identity equals the new run's (so a killed
benchmark started again with the same command resumes); otherwise, or when the file is not a
readable run, it is trained again and the reason is printed. Then OUT gets ``NAME.md`` / ``NAME.csv`` (Table 2 form: every test
metric the config asks for, mean and sample standard deviation over seeds, best in bold, runner-up
underlined, the improvement of the reference model over the best other model and its
significance, the kept validation score with its standard error, seconds per epoch and the epoch
of the kept checkpoint), ``NAME.png`` (bar chart, each bar labelled, ``†`` where significant) and
``NAME-curves.png`` (the validation score against optimizer steps, first seed, the kept
checkpoint marked); the table is printed too. A ``--models`` list other than the paper's eight writes
``NAME-A+B+....*`` instead (e.g. ``vagnn-10x-LightGCN+VAGNN.md``), so no run with fewer models
overwrites the full table. ``--ablations`` runs VA-GNN and its Table 3 variants A-E instead and
writes ``NAME-ablations.*``; ``--tune`` adds ``-tuned`` to the name.

Model labels: any RecBole or recbole-vagnn model name, plus ``SGL-ED``, ``SGL-ND``, ``SGL-RW``,
``VAGNN-A`` ... ``VAGNN-E`` (the ablations), ``VAGNN-watched`` (``vlogger_view_graph: watched``, the
authors' vlogger view), ``VAGNN-uvl-paper`` (``uvl_rule: paper``, the leaky relation), and for
diagnosing one part at a time ``VAGNN-no-walk`` (``walk_q1: 0``), ``VAGNN-fixed-gate``
(``use_gate: False``), ``VAGNN-sum`` (``view_fusion: sum``) and ``VAGNN-video-core`` (every
vlogger part off: LightGCN's model in VA-GNN's code, the second grid of VA-GNN's tuning).

The work is split by concern: :mod:`~recbole_vagnn.experiments.labels` (model labels and variants),
:mod:`~recbole_vagnn.experiments.run_store` (run identity and stored runs),
:mod:`~recbole_vagnn.experiments.jobs` (making the runs, here or on Ray through
:mod:`~recbole_vagnn.experiments.ray_jobs`), :mod:`~recbole_vagnn.experiments.tuning` (the tuning
budget and choice) and :mod:`~recbole_vagnn.experiments.report` (tables, CSV, charts). This module
ties them together and holds the command line.
"""

import sys
from pathlib import Path

from recbole_vagnn.cli.base import argument_parser, run_main
from recbole_vagnn.cli.experiment_args import (
    add_cold_video_arguments,
    add_experiment_arguments,
    cold_video_config,
    parse_experiment_arguments,
)
from recbole_vagnn.experiments.jobs import Job, run_jobs, settings_text
from recbole_vagnn.experiments.labels import ABLATION_NAMES, PAPER_MODELS, VARIANTS, check_labels, resolve
from recbole_vagnn.experiments.report import (
    bar_chart,
    curve_chart,
    markdown_table,
    metric_name,
    provenance_lines,
    significance,
    summarise,
    trials_table,
    vlogger_parts_verdict,
    write_csv,
)
from recbole_vagnn.experiments.run_store import run_config
from recbole_vagnn.experiments.tuning import has_grid, trial_settings, tune
from recbole_vagnn.model.ablations import ABLATIONS
from recbole_vagnn.utils.errors import ConfigError


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
    command=None,
):
    """Run (or tune, with ``trials``) every label, then write the table, CSV and charts; return the rows.

    ``command``: the arguments after ``recbole-vagnn`` that made this table, for its header (default:
    ``benchmark`` and this process's arguments). Under the cold-video setting (``cold_items`` in the
    effective config) the runs go to ``runs/NAME`` + :func:`cold_suffix` and the default ``stem``
    has the suffix too.
    """
    from recbole_vagnn.data.link_lift import format_link_lift

    out_dir = Path(out_dir)
    base_config = {"show_progress": False, **(base_config or {})}
    cold = cold_setting(dataset, labels[0], seeds[0], base_config, config_files)  # config errors before any run
    counts = cold_video_counts(dataset, labels[0], base_config, config_files, seeds) if cold else None
    cold_lines = ["", cold_video_line(cold, counts)] if cold else []
    run_dir = out_dir / "runs" / f"{dataset}{cold_suffix(cold)}"
    chosen = trial_runs = None
    if trials:
        runs, chosen, trial_runs = tune(labels, trials, seeds, dataset, base_config, config_files, run_dir, ray_options)
    else:
        jobs = [Job(label, seed, run_dir / f"{label}-seed{seed}.json") for label in labels for seed in seeds]
        done = run_jobs(jobs, dataset, base_config, config_files, run_dir, ray_options)
        runs = {label: [run for job, run in zip(jobs, done) if job.label == label] for label in labels}
    rows = summarise(runs)
    tests = significance(runs, rows, reference)
    names = names or {}
    stem = stem or f"{dataset}{cold_suffix(cold)}"
    scheduler = (ray_options or {}).get("scheduler", "fifo").upper()
    budget = base_config.get("max_train_steps")
    cap = f", at most {budget} optimizer steps a run" if budget else ""
    first_run = next(iter(runs.values()))[0]
    lift = first_run.get("link_lift")
    valid_name = metric_name(first_run["valid_metric"])
    no_grid = [label for label in labels if not has_grid(resolve(label)[0])] if trials else []
    untuned = f"; {', '.join(names.get(label, label) for label in no_grid)}: no grid, run with the defaults"
    protocol = f"{len(seeds)} seed(s) from {seeds[0]}" + (
        f", tuned with {trials} trial(s) per model on valid {valid_name}, {scheduler} scheduler{cap}"
        + (untuned if no_grid else "")
        if trials
        else ", each model's defaults"
    )
    verdicts = [vlogger_parts_verdict(names.get(label, label), label_runs[0]) for label, label_runs in runs.items()]
    verdict = " ".join(v for v in verdicts if v) if chosen else ""
    provenance = provenance_lines(
        command or ["benchmark", *sys.argv[1:]], first_run.get("identity", {}).get("config", {}).get("device")
    )
    header = [
        *provenance,
        *cold_lines,
        "",
        f"{format_link_lift(lift)}." + (f" {verdict}" if verdict else ""),
        "",
        f"Protocol: {protocol}; early stopping on valid {valid_name} under the convergence rule.",
    ]
    if chosen:
        header += [
            "",
            "Chosen settings: "
            + "; ".join(
                f"{names.get(label, label)} {settings_text(params)}" + (" (no grid)" if label in no_grid else "")
                for label, params in chosen.items()
            )
            + ".",
        ]
    epochs = sorted(run["epochs"] for label_runs in runs.values() for run in label_runs)
    trained = f"{epochs[0]}" if epochs[0] == epochs[-1] else f"{epochs[0]}-{epochs[-1]}"
    title = f"{dataset}: test performance, {len(seeds)} seed(s), {trained} epochs per run" + (
        f", tuned ({trials} trials per model)" if trials else ""
    )
    table = markdown_table(rows, names, reference, f"{dataset}: test performance", tests, header)
    (out_dir / f"{stem}.md").write_text(table)
    write_csv(rows, out_dir / f"{stem}.csv", reference, tests, chosen)
    bar_chart(rows, names, out_dir / f"{stem}.png", title, reference, tests)
    curve_chart(runs, names, out_dir / f"{stem}-curves.png", f"{dataset}: validation curves, seed {seeds[0]}")
    print(f"\n{table}")
    if trial_runs:
        trials_text = trials_table(
            trial_runs, names, f"{dataset}: tuning trials, seed {seeds[0]}", [*provenance, *cold_lines], no_grid
        )
        (out_dir / f"{stem}-trials.md").write_text(trials_text)
        print(trials_text)
    print(f"wrote {out_dir / stem}.md, .csv, .png, -curves.png" + (", -trials.md" if trial_runs else ""))
    return rows


def cold_setting(dataset, label, seed, base_config, config_files):
    """``{cold_items, cold_split, cold_candidates}`` of ``label``'s effective config, or None (warm).

    Read from the run's effective config (:func:`~recbole_vagnn.experiments.run_store.run_config`,
    whose values are the run's identity), so a setting from ``--config_files`` counts as one from
    the flags, and a bad value is refused in one line before anything runs.
    """
    config = run_config(label, seed, dataset, base_config, config_files)
    if not config["cold_items"]:
        return None
    return {key: config[key] for key in ("cold_items", "cold_split", "cold_candidates")}


def cold_suffix(cold):
    """``-cold10-random`` (``-all`` added under ``cold_candidates: all``); empty for the warm setting."""
    if not cold:
        return ""
    return f"-cold{100 * cold['cold_items']:g}-{cold['cold_split']}" + (
        "-all" if cold["cold_candidates"] == "all" else ""
    )


def cold_video_counts(dataset, label, base_config, config_files, seeds):
    """Per seed ``(validation videos, test videos, doubly cold ones)``, counted as the dataset's cold split counts them, or None.

    The dataset is loaded (not split) with ``label``'s config, and its videos are chosen by
    :func:`~recbole_vagnn.data.cold_items.choose_cold_videos` with each seed and counted by
    :func:`~recbole_vagnn.data.cold_items.doubly_cold_count`, the functions its ``build`` calls
    (a run's result does not carry the count). A share that holds out too few videos is refused
    here, before any run. None where the setting is warm, or where the runs will refuse it
    themselves (``cold_split: time`` without a time column).
    """
    import numpy as np

    from recbole_vagnn.data import create_dataset
    from recbole_vagnn.data.cold_items import choose_cold_videos, doubly_cold_count

    config = run_config(label, seeds[0], dataset, base_config, config_files)
    if not config["cold_items"]:
        return None
    data = create_dataset(config)

    def column(field):
        values = data.inter_feat[field]
        return values.numpy() if hasattr(values, "numpy") else values.to_numpy()

    how = config["cold_split"]
    if how == "time" and data.time_field not in data.inter_feat:
        return None
    items, times = column(data.iid_field), column(data.time_field) if how == "time" else None
    counts = {}
    for seed in seeds:
        validation, test = choose_cold_videos(items, times, data.item_num, config["cold_items"], how, seed)
        held_out = np.concatenate([validation, test])
        training = np.setdiff1d(np.unique(items), held_out)
        doubly = doubly_cold_count(held_out, training, data.item2vlogger, data.vlogger_num)
        counts[seed] = (len(validation), len(test), doubly)
    return counts


def cold_video_line(cold, counts):
    """The header's sentence on the cold-video setting and its doubly cold share (per seed where it differs)."""
    line = (
        f"Setting: cold videos, {100 * cold['cold_items']:g}% held out ({cold['cold_split']}), "
        f"candidates: {cold['cold_candidates']}"
    )
    if not counts:
        return line + "."
    validation, test, _ = next(iter(counts.values()))
    held = validation + test
    shares = {seed: f"{doubly} ({100 * doubly / held:.1f}%)" for seed, (_, _, doubly) in counts.items()}
    doubly = (
        next(iter(shares.values()))
        if len(set(shares.values())) == 1
        else ", ".join(f"{share} with seed {seed}" for seed, share in shares.items())
    )
    return (
        f"{line}; {held} videos held out of training ({validation} for validation, {test} for test), "
        f"doubly cold (vlogger without a training video): {doubly}."
    )


def output_stem(dataset, labels):
    """``NAME`` for the paper's model set, else ``NAME-A+B+...``: a run with other models never overwrites it."""
    return dataset if labels == PAPER_MODELS else f"{dataset}-{'+'.join(labels)}"


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
        "--gpus_per_trial",
        type=float,
        default=None,
        help="with --tune: share of a GPU Ray gives each run, e.g. 0.25 packs four on a GPU (None: 0.25 where the "
        "cluster has GPUs, else 0)",
    )
    parser.add_argument(
        "--scheduler",
        choices=("fifo", "asha"),
        default="fifo",
        help="with --tune: fifo runs every trial to its end; asha (Ray's ASHA) stops the worst trials of each model "
        "early, its first rung at the convergence rule's min_train_steps",
    )
    parser.add_argument(
        "--max_steps",
        type=int,
        default=0,
        help="cap on each run's optimizer steps, the same for every model (0: none beyond --epochs)",
    )
    add_cold_video_arguments(parser)
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="log every run's epochs (RecBole's state: INFO) and Ray's own output; else warnings only",
    )
    parser.add_argument(
        "--nproc",
        default=None,
        help="refused: every run of a benchmark is one process (with --tune Ray runs many at once, "
        "--cpus_per_trial/--gpus_per_trial, on a cluster with --ray_address); "
        "train one model on several processes with 'recbole-vagnn run --nproc N'",
    )
    command = ["benchmark", *(sys.argv[1:] if argv is None else argv)]
    args, base_config = parse_experiment_arguments(parser, argv)
    if args.nproc not in (None, "1"):
        raise ConfigError(
            f"--nproc {args.nproc}: "
            + (
                "a tuning's trials are one process each, and Ray runs many at once (--cpus_per_trial, "
                "--gpus_per_trial; a cluster with --ray_address)"
                if args.tune
                else "a benchmark trains each run in one process"
            )
            + "; train one model on several processes with 'recbole-vagnn run --nproc N'"
        )
    if not args.verbose:  # one line per run from the benchmark itself; the stored runs keep the curves
        base_config["state"] = "WARNING"
    if args.seeds < 1:
        raise ConfigError(f"--seeds must be at least 1, got {args.seeds}")
    if args.trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {args.trials}")
    if args.max_steps < 0 or (args.gpus_per_trial is not None and args.gpus_per_trial < 0):
        raise ConfigError("--max_steps and --gpus_per_trial must be >= 0")
    if args.max_steps:
        base_config["max_train_steps"] = args.max_steps
    base_config.update(cold_video_config(args))
    seeds = [2020 + i for i in range(args.seeds)]
    if args.ablations:
        labels, names, stem = ["VAGNN"] + [f"VAGNN-{k}" for k in ABLATIONS], ABLATION_NAMES, f"{args.dataset}-ablations"
    else:
        labels, names = [m.strip() for m in args.models.split(",") if m.strip()], {"VAGNN": "VA-GNN"}
        if not labels:
            raise ConfigError(f"--models names no model; give comma-separated labels, e.g. {','.join(PAPER_MODELS)}")
        stem = output_stem(args.dataset, labels)
    check_labels(labels)
    # the effective config's setting (flags or --config_files); its errors come before anything runs
    stem += cold_suffix(cold_setting(args.dataset, labels[0], seeds[0], base_config, args.config_files))
    trials, ray_options = None, None
    if args.tune:
        for label in labels:  # every grid must hold the budget before anything runs; no grid: defaults once
            if has_grid(resolve(label)[0]):
                trial_settings(resolve(label)[0], args.trials)
        trials, stem = args.trials, f"{stem}-tuned"
        ray_options = {
            "address": args.ray_address,
            "cpus_per_trial": args.cpus_per_trial,
            "gpus_per_trial": args.gpus_per_trial,
            "scheduler": args.scheduler,
            "max_steps": args.max_steps or 10**9,  # ASHA's max_t; without a cap the runs end by early stopping
            "verbose": args.verbose,
        }
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
        command=command,
    )


if __name__ == "__main__":
    run_main(main)
