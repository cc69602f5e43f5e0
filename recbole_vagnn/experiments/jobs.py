"""Job orchestration: make every run that is not stored, here one after another or as Ray Tune trials.

Each finished run is stored at once (:mod:`~recbole_vagnn.experiments.run_store`), so a killed or
failed benchmark resumes where it stopped; a kill at any moment loses only the runs in flight. One
line is printed per finished run, with the validation score it is chosen on (test scores appear
in the final table only), the runs done out of the total and an estimate of the time left.

Processes may share a benchmark folder: each run is trained under its lock
(:class:`~recbole_vagnn.experiments.run_store.RunLock`), and a run that another process is
training is skipped for the time being, then waited for (one line names the run and the pid that
holds it) and reused once stored. Each run checkpoints in a folder of its own, emptied when the
run is trained again (:func:`~recbole_vagnn.experiments.run_store.train_fresh_run`): a killed
run's partial checkpoint goes then, a finished run keeps the checkpoint it tested.
"""

import time

from recbole_vagnn.experiments.run_store import (
    RunLock,
    remove_unfinished_writes,
    run_identity,
    store,
    stored_run,
    train_fresh_run,
    valid_summary,
)


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
    # One checkpoint folder per run: what an unfinished attempt left there goes when the run is trained again.
    checkpoints = {
        job: run_dir / "checkpoints" / job.path.relative_to(run_dir).with_suffix("").as_posix().replace("/", "-")
        for job, _ in pending
    }
    progress = Progress(len(pending))
    locks = {}

    def claim(job, wait=False):
        """Lock ``job``'s run: True to train it here, False if it is stored now (reused), None if another process holds it."""
        lock = RunLock(job.path)

        def announce(pid):
            print(f"{job.title}: waiting for pid {pid or '?'}, which is training it", flush=True)

        if not lock.acquire(wait=wait, on_wait=announce):
            return None
        run, _ = stored_run(job.path, identities[job])
        if run is not None:  # another process trained it meanwhile
            lock.release()
            runs[job] = run
            progress.total -= 1
            print(f"{job.title}: stored by another process, reused", flush=True)
            return False
        remove_unfinished_writes(job.path)
        locks[job] = lock
        return True

    def finish(job, run):
        if run.get("stopped_early"):
            run.update({"label": job.label, "seed": job.seed, "params": job.params, "identity": identities[job]})
        store(job, run)
        locks.pop(job).release()
        print(progress.line(job, run), flush=True)
        return run

    arguments = {
        job: (job.label, job.seed, dataset, base_config, config_files, checkpoints[job], identities[job], job.params)
        for job, _ in pending
    }
    if ray_options is None:
        print(f"{len(pending)} run(s) to train, one after another", flush=True)
    else:
        from recbole_vagnn.experiments.ray_jobs import run_on_ray

        print(f"{len(pending)} run(s) to train as Ray trials", flush=True)
        options = {"storage": (run_dir / "ray").resolve(), **ray_options}
    todo = [job for job, _ in pending]
    try:
        while todo:
            # here one run at a time, so that other processes can take the next ones; on Ray all that are free
            batch = []
            for job in list(todo):
                claimed = claim(job)
                if claimed is None:
                    continue
                todo.remove(job)
                if claimed:
                    batch.append(job)
                    if ray_options is None:
                        break
            if not batch and todo:  # every run left is being trained by other processes: wait for the first
                job = todo.pop(0)
                if claim(job, wait=True):
                    batch.append(job)
            if ray_options is None:
                for job in batch:
                    runs[job] = finish(job, train_fresh_run(*arguments[job]))
            elif batch:
                for job, run in run_on_ray(train_fresh_run, [(job, arguments[job]) for job in batch], options, finish):
                    runs[job] = run
    finally:  # an error or Ctrl-C: the runs not stored are free for others (a kill frees them too)
        for lock in locks.values():
            lock.release()
    return [runs[job] for job in jobs]
