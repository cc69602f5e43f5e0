"""Stored runs: what a run is (its identity), where it is kept, and training one to store.

Each finished run is one JSON file written atomically, holding its identity: the model, the
SHA-256 of the dataset's files, every effective config value and the versions of this package,
RecBole and torch. A stored run is reused only when its identity equals the new run's, so a
killed benchmark started again with the same command resumes.

A benchmark folder may be shared by processes running at once: a run is trained under
:class:`RunLock` (``.NAME.json.lock`` beside the stored run, held with ``flock``), so a run that
another process is training is waited for and reused, not trained twice. The OS releases the
lock when its process ends, ``kill -9`` included, so no lock outlives its holder.
:func:`train_fresh_run` removes what an earlier, unfinished attempt at the run left in its own
checkpoint folder before it trains.
"""

import fcntl
import glob
import json
import os
import tempfile
import time
from pathlib import Path

from recbole_vagnn.data.atomic import follow_umask
from recbole_vagnn.experiments.labels import resolve


def write_atomically(path, text):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    follow_umask(tmp)
    os.replace(tmp, path)


# Config keys that say where files go or how much is printed, not what is computed.
NOT_IDENTITY = {
    "checkpoint_dir",
    "data_path",
    "gpu_id",  # which GPU of a node (Ray assigns it per trial); the device kind stays in the identity
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


def run_config(label, seed, dataset, base_config, config_files):
    """The effective, checked RecBole ``Config`` of ``label``'s run with ``seed`` (its values are the identity's)."""
    from recbole_vagnn.config.configurator import Config

    model, overrides = resolve(label)
    return Config(
        model=model,
        dataset=dataset,
        config_file_list=config_files,
        config_dict={**base_config, **overrides, "seed": seed},
    )


def run_identity(label, seed, dataset, base_config, config_files):
    """What a stored run must match to be reused: model, data, every config value, versions."""
    import recbole
    import torch

    from recbole_vagnn import __version__
    from recbole_vagnn.trainer.checkpoint import data_digest

    model = resolve(label)[0]
    config = run_config(label, seed, dataset, base_config, config_files)
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
    finished = isinstance(run, dict) and (run.get("stopped_early") or isinstance(run.get("test"), dict) and run["test"])
    if not (finished and isinstance(run.get("identity"), dict)):
        return None, f"{path.name} is not a readable stored run"
    if run["identity"] != identity:
        changes = identity_changes(run["identity"], identity)
        return None, f"stored run differs ({'; '.join(changes[:4])}{' ...' if len(changes) > 4 else ''})"
    return run, None


def train_run(
    label,
    seed,
    dataset,
    base_config,
    config_files,
    checkpoint_dir,
    identity,
    params=None,
    device_config=None,
    report=None,
):
    """Train and test ``label`` with ``seed`` (and the tuned ``params``); return the run to store.

    ``device_config`` (a Ray trial's GPU, :func:`~recbole_vagnn.experiments.ray_jobs.trial_device_config`)
    is added to the config; it says where the run trains, not what it computes, so it is no part
    of the identity. ``report(optimizer_steps, choice score)`` is called after each validation.
    ``choice_score`` is the early-stopping score with larger better (RecBole's valid_metric,
    negated where smaller is better): what tuning chooses on.
    """
    from recbole_vagnn.quick_start import run_recbole

    model, overrides = resolve(label)
    config = {**base_config, **overrides, **(params or {}), "seed": seed, "checkpoint_dir": str(checkpoint_dir)}
    config.update(device_config or {})
    result = run_recbole(
        model=model, dataset=dataset, config_file_list=config_files, config_dict=config, on_validation=report
    )
    sign = 1 if result["valid_score_bigger"] else -1
    return {
        "label": label,
        "seed": seed,
        "params": params or {},
        "identity": identity,
        "test": {k: float(v) for k, v in result["test_result"].items()},
        "valid": {k: float(v) for k, v in result["best_valid_result"].items()},
        "valid_metric": result["valid_metric"],
        "valid_score": float(result["best_valid_mean"]),
        "valid_score_bigger": result["valid_score_bigger"],
        "choice_score": sign * float(result["best_valid_mean"]),
        "valid_standard_error": result["valid_standard_error"],
        "seconds_per_epoch": result["seconds_per_epoch"],
        "epochs": result["epochs"],
        "best_epoch": result["best_epoch"],
        "best_valid_step": result["best_valid_step"],
        "converged": result["converged"],
        "train_batch_size": result["train_batch_size"],
        "optimizer_steps": result["optimizer_steps"],
        "valid_curve": result["valid_curve"],
        "video_only_curve": result["video_only_curve"],
        "link_lift": result["link_lift"],
        "test_users": result["test_users"],
        "test_per_user": result["test_per_user"],
        "test_curve": result["test_curve"],  # empty unless record_test_curve (the stopping study)
        "valid_per_user_curve": result["valid_per_user_curve"],
    }


def train_fresh_run(label, seed, dataset, base_config, config_files, checkpoint_dir, *args, **kwargs):
    """:func:`train_run` into ``checkpoint_dir``, the run's own folder, after removing the checkpoints in it.

    Whoever calls it holds the run's :class:`RunLock`, and the stored run (if any) is not reused:
    a checkpoint there is then an earlier attempt's (a killed run's partial checkpoint, or the
    checkpoint of a stored run that is being replaced). It runs where the run trains (a Ray
    trial's node), where the checkpoints are.
    """
    for old in Path(checkpoint_dir).glob("*.pth"):
        old.unlink(missing_ok=True)
    return train_run(label, seed, dataset, base_config, config_files, checkpoint_dir, *args, **kwargs)


class RunLock:
    """The right to train the run stored at ``path``: ``fcntl.flock`` on ``.NAME.json.lock`` beside it.

    The file holds the owner's process id, for the line of a process that waits. The owner removes
    it when it releases the lock; a killed owner leaves it behind, unlocked (the OS drops a dead
    process's locks), and the next owner takes it over. Local file systems and NFS (v4, or v3
    with lockd) honour ``flock`` between machines.
    """

    def __init__(self, path):
        self.path = Path(path).with_name(f".{Path(path).name}.lock")
        self.fd = None

    def acquire(self, wait=False, on_wait=None):
        """Take the lock; without ``wait`` return False at once if another process holds it.

        With ``wait``, ``on_wait(pid)`` is called once (``pid`` the holder's, None if unknown)
        before blocking until the holder releases the lock or dies.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        announced = False
        while True:
            try:
                fd, writable = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666), True
            except PermissionError:  # another user's file, left by a killed run: lock it to replace it
                fd, writable = os.open(self.path, os.O_RDONLY), False
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if not wait:
                        os.close(fd)
                        return False
                    if on_wait and not announced:
                        on_wait(self._holder(fd))
                        announced = True
                    fcntl.flock(fd, fcntl.LOCK_EX)
                if not self._is_current(fd):  # its owner removed the file on release: lock the one there now
                    os.close(fd)
                    continue
                if not writable:
                    os.unlink(self.path)
                    os.close(fd)
                    continue
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            except BaseException:
                os.close(fd)
                raise
            self.fd = fd
            return True

    def _is_current(self, fd):
        try:
            here, there = os.fstat(fd), os.stat(self.path)
        except FileNotFoundError:
            return False
        return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)

    @staticmethod
    def _holder(fd):
        """The holder's pid from the file (it writes it just after locking: read again briefly while empty)."""
        for _ in range(20):
            text = os.pread(fd, 32, 0).decode(errors="replace").strip()
            if text.isdigit():
                return int(text)
            time.sleep(0.05)
        return None

    def release(self):
        """Remove the file, then unlock it: a waiter finds its file gone and locks a new one."""
        if self.fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)
            self.fd = None


def remove_unfinished_writes(path):
    """Remove the temporary files of a :func:`write_atomically` to ``path`` that a killed process left (hold its lock)."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}-*"):
        leftover.unlink(missing_ok=True)


def store(job, run):
    job.path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(job.path, json.dumps(run))
    return run


def valid_summary(run):
    """``valid recall@10 0.3120``: the score the run was early-stopped and is chosen on (test scores stay in the table)."""
    return f"valid {run['valid_metric']} {run['valid_score']:.4f}"
