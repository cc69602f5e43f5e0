"""Tuning with one budget: ``--trials`` settings per model from ``properties/tuning/MODEL.yaml``, chosen on validation."""

from recbole_vagnn.errors import ConfigError
from recbole_vagnn.experiments.jobs import Job, run_jobs
from recbole_vagnn.experiments.labels import resolve


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
