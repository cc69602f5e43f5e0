"""Tuning with one budget: ``--trials`` settings per model from ``properties/tuning/MODEL.yaml``, chosen on validation.

A model without a grid (RecBole's Pop, CreatorPop, CreatorAffinity: nothing to tune) runs once
with its defaults as its one trial (:func:`tuning_plan`), so that reference models sit in a tuned
table next to the tuned ones.
"""

from recbole_vagnn.experiments.jobs import Job, run_jobs
from recbole_vagnn.experiments.labels import resolve
from recbole_vagnn.experiments.run_store import run_identity
from recbole_vagnn.utils.errors import ConfigError


def trial_settings(model, trials, seed=0):
    """``trials`` distinct settings of ``model``'s search space, drawn uniformly without repeats (seeded).

    With a list of grids in ``properties/tuning/MODEL.yaml`` the trials take the grids in turn
    (trial k from grid k mod n), so each grid gets its share of the one budget.
    """
    import itertools
    import random

    from recbole_vagnn.utils.paths import tuning_grids, tuning_space_file

    grids = tuning_grids(model)
    if not grids:
        path = tuning_space_file(model)
        raise ConfigError(f"--tune: no search space for {model}; write {path} with 'key: [value, ...]' lines")
    rng = random.Random(seed)
    drawn = []
    for index, space in enumerate(grids):
        grid = [dict(zip(space, values)) for values in itertools.product(*space.values())]
        share = len(range(index, trials, len(grids)))
        if len(grid) < share:
            raise ConfigError(
                f"--trials {trials}: {model}'s grid {index + 1} (properties/tuning/{model}.yaml) has only "
                f"{len(grid)} settings for its {share} trial(s); every model gets the same number of trials, "
                "so lower --trials or extend the grid"
            )
        drawn.append(rng.sample(grid, share))
    return [drawn[k % len(grids)][k // len(grids)] for k in range(trials)]


def has_grid(model):
    """Whether ``model`` has a search space, ``properties/tuning/MODEL.yaml``."""
    from recbole_vagnn.utils.paths import tuning_grids

    return bool(tuning_grids(model))


def tuning_plan(model, trials):
    """The settings ``model``'s tuning tries: :func:`trial_settings`, or its defaults once (``[{}]``) without a grid."""
    return trial_settings(model, trials) if has_grid(model) else [{}]


def trial_title(label, k, trials, grid=True):
    """``LightGCN trial 2/8``, or ``Pop defaults (no grid)``: what the progress lines call a trial."""
    return f"{label} trial {k + 1}/{trials}" if grid else f"{label} defaults (no grid)"


def tune(labels, trials, seeds, dataset, base_config, config_files, run_dir, ray_options):
    """Tune every label on its grid (first seed, valid metric), then run the chosen settings on every seed.

    With ``ray_options["scheduler"] == "asha"`` each model's trials form one Ray Tune run of their
    own (ASHA compares a trial with the other trials of its model only), and ASHA's first rung is
    the convergence rule's ``min_train_steps``. A chosen trial that the scheduler stopped before
    its end is trained again in full as the first seed's final run. A label without a grid has one
    trial, its defaults (:func:`tuning_plan`), which is then its chosen setting.

    Returns ``(runs by label, chosen params by label, trial runs by label)``.
    """
    trial_jobs = {
        label: [
            Job(
                label,
                seeds[0],
                run_dir / "tune" / f"{label}-trial{k}.json",
                params,
                trial_title(label, k, trials, has_grid(resolve(label)[0])),
            )
            for k, params in enumerate(tuning_plan(resolve(label)[0], trials))
        ]
        for label in labels
    }
    scheduler = ray_options.get("scheduler", "fifo")
    if scheduler == "asha":
        identity = run_identity(labels[0], seeds[0], dataset, base_config, config_files)
        ray_options = {**ray_options, "min_train_steps": identity["config"]["min_train_steps"]}
    print(
        f"tuning: {trials} trial(s) per model, {scheduler.upper()} scheduler, chosen on validation, seed {seeds[0]}",
        flush=True,
    )
    groups = (
        list(trial_jobs.values()) if scheduler == "asha" else [[job for jobs in trial_jobs.values() for job in jobs]]
    )
    trial_runs = {}
    for group in groups:
        trial_runs.update(zip(group, run_jobs(group, dataset, base_config, config_files, run_dir, ray_options)))
    chosen, best_runs = {}, {}
    for label, jobs in trial_jobs.items():
        best = max(jobs, key=lambda job: trial_runs[job]["choice_score"])
        chosen[label], best_runs[label] = best.params, trial_runs[best]
    final = [
        Job(label, seed, run_dir / "tuned" / f"{label}-seed{seed}.json", chosen[label])
        for label in labels
        for seed in seeds
        if seed != seeds[0] or best_runs[label].get("stopped_early")
    ]
    final_options = {**ray_options, "scheduler": "fifo"}  # final runs are never stopped early
    final_runs = dict(zip(final, run_jobs(final, dataset, base_config, config_files, run_dir, final_options)))
    runs = {
        label: [run for run in [best_runs[label]] if not run.get("stopped_early")]
        + [final_runs[job] for job in final if job.label == label]
        for label in labels
    }
    return runs, chosen, {label: [trial_runs[job] for job in jobs] for label, jobs in trial_jobs.items()}
