"""Job orchestration: make every run that is not stored, here one after another or as Ray Tune trials.

Each finished run is stored at once (:mod:`~recbole_vagnn.experiments.run_store`), so a killed or
failed benchmark resumes where it stopped. One line is printed per finished run, with the
validation score it is chosen on (test scores appear in the final table only), the runs done out
of the total and an estimate of the time left.
"""

import time

from recbole_vagnn.experiments.run_store import run_identity, store, stored_run, train_run, valid_summary


def settings_text(params):
    """``lambda1=0.5, tau=1`` or ``defaults``."""
    return ", ".join(f"{key}={value}" for key, value in params.items()) or "defaults"


class Job:
    """One run to make: ``label`` with ``seed`` and ``params``, stored at ``path``."""

    def __init__(self, label, seed, path, params=None, title=None):
        self.label, self.seed, self.path, self.params = label, seed, path, params or {}
        self.title = title or f"{label} seed {seed}"
        self.setting = settings_text(self.params)


class Progress:
    """``[3/8] LightGCN trial 2/4: valid recall@10 0.2312 (4m elapsed, ~6m left)``, one line per finished run."""

    def __init__(self, total):
        self.total, self.done, self.start = total, 0, time.monotonic()

    def line(self, job, run):
        self.done += 1
        elapsed = time.monotonic() - self.start
        left = elapsed / self.done * (self.total - self.done)
        outcome = "stopped early by the scheduler" if run.get("stopped_early") else valid_summary(run)
        timing = f"{_duration(elapsed)} elapsed" + (f", ~{_duration(left)} left" if self.done < self.total else "")
        return f"[{self.done}/{self.total}] {job.title}: {outcome} ({timing})"


def _duration(seconds):
    return f"{seconds:.0f}s" if seconds < 90 else f"{seconds / 60:.0f}m" if seconds < 5400 else f"{seconds / 3600:.1f}h"


def run_jobs(jobs, dataset, base_config, config_files, run_dir, ray_options=None):
    """Make every job whose identical run is not stored; return the runs in the jobs' order.

    Without ``ray_options`` the runs are made one after another in this process; with it they are
    Ray Tune trials (:func:`recbole_vagnn.experiments.ray_jobs.run_on_ray` says which options).
    A trial that Ray's scheduler stopped early is stored as such (``stopped_early``, with its
    validation score), so that a resumed tuning does not train it again.
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
    for job, why_not in pending:
        if why_not:
            print(f"{job.title}: trained again: {why_not}", flush=True)
    if not pending:
        return [runs[job] for job in jobs]
    # One checkpoint folder per run: RecBole names checkpoints MODEL-time-to-the-second, so two runs
    # of one model started in the same second (parallel Ray trials) would share a file.
    checkpoints = {
        job: run_dir / "checkpoints" / job.path.relative_to(run_dir).with_suffix("").as_posix().replace("/", "-")
        for job, _ in pending
    }
    progress = Progress(len(pending))

    def finish(job, run):
        if run.get("stopped_early"):
            run.update({"label": job.label, "seed": job.seed, "params": job.params, "identity": identities[job]})
        store(job, run)
        print(progress.line(job, run), flush=True)
        return run

    arguments = {
        job: (job.label, job.seed, dataset, base_config, config_files, checkpoints[job], identities[job], job.params)
        for job, _ in pending
    }
    if ray_options is None:
        print(f"{len(pending)} run(s) to train, one after another", flush=True)
        for job, _ in pending:
            runs[job] = finish(job, train_run(*arguments[job]))
    else:
        from recbole_vagnn.experiments.ray_jobs import run_on_ray

        print(f"{len(pending)} run(s) to train as Ray trials", flush=True)
        options = {"storage": (run_dir / "ray").resolve(), **ray_options}
        todo = [(job, arguments[job]) for job, _ in pending]
        for job, run in run_on_ray(train_run, todo, options, on_result=finish):
            runs[job] = run
    return [runs[job] for job in jobs]
