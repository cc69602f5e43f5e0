"""Job orchestration: make every run that is not stored, here one after another or as Ray Tune trials."""

from recbole_vagnn.experiments.run_store import run_identity, store, stored_run, train_run


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
            runs[job] = store(job, run)
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
        for job, run in run_on_ray(train_run, todo, options, on_result=store):
            runs[job] = run
    return [runs[job] for job in jobs]
