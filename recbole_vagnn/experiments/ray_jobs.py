"""Runs as Ray Tune trials: locally, or on a cluster with ``--ray_address`` (benchmark --tune, sweep).

On a cluster, start Ray there (``ray start --head`` on one node, ``ray start --address=HEAD:6379``
on the others, each with this package installed and the dataset at the same absolute path) and
pass the head's address (or ``auto`` on a cluster node). The driver resolves every path a trial
needs (data, config files, output, checkpoints) to an absolute one before the trials start, since
each trial runs in a working folder of its own. Results travel back inside Ray's results, so the
nodes need no shared output folder; checkpoints are written on the node that trains.

- Resources: each trial asks Ray for ``cpus_per_trial`` CPUs and, where the cluster has GPUs,
  ``gpus_per_trial`` of a GPU (default :data:`DEFAULT_GPU_SHARE`, so four small trials share one
  GPU). The trial trains on the GPU Ray assigned it (``ray.get_gpu_ids()``), not on RecBole's
  ``gpu_id``: RecBole's ``Config`` would set ``CUDA_VISIBLE_DEVICES`` to ``gpu_id`` ("0") and pile
  every trial of a node onto its first GPU (:func:`trial_device_config`).
- Reports: a trial reports ``optimizer_steps`` and ``valid_score`` (RecBole's ``valid_metric``,
  negated where smaller is better, so larger is better) after every validation, and its run at
  the end. ``scheduler="asha"`` (Ray's ASHA) stops the worst trials at rungs counted in optimizer
  steps; its grace period is at least the convergence rule's ``min_train_steps``, so a slow
  starter is not stopped before it may stop itself. FIFO (the default) runs every trial to its end.
- Failures: the first failed trial stops the others (Ray's ``fail_fast``) and raises
  :class:`~recbole_vagnn.utils.errors.TrialError` naming the trial and the error; finished runs are
  already stored, so the same command resumes. A failure of Ray itself rather than of the
  trial's code (a worker that could not start, a runtime environment Ray could not set up, a lost
  node) is retried up to :data:`RAY_FAILURE_RETRIES` times for the trials that did not finish.
- Workers: Ray starts its workers niced; a local Ray is started with ``RAY_worker_niceness=0`` so
  that trials run as fast as plain runs (``recbole-vagnn speed --ray_overhead`` measures it).
  Ray's own progress and warnings are hidden unless ``verbose``.
"""

import json
import logging
import os
import time
import warnings

from recbole_vagnn.utils.errors import TrialError

RAY_FAILURE_RETRIES = 2  # reruns of the unfinished trials after a failure of Ray itself, not of a trial's code
DEFAULT_GPU_SHARE = 0.25  # of one GPU per trial, where the cluster has GPUs: the paper-size models fit four to an H200


def tune_api():
    """``(RunConfig, FailureConfig, report)`` of the installed Ray: 2.6's ``ray.air`` or the current ``ray.tune``."""
    from ray import tune

    if hasattr(tune, "RunConfig"):
        return tune.RunConfig, tune.FailureConfig, tune.report
    from ray import air
    from ray.air import session

    return air.RunConfig, air.FailureConfig, session.report


def quiet_ray():
    """Hide Ray's notices that need no action from a user of these commands (its warnings, deprecations, status)."""
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")  # no per-trial CSV/TensorBoard files
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    # Ray 2.6's own import of pkg_resources warns in every worker
    os.environ.setdefault("PYTHONWARNINGS", "ignore:pkg_resources is deprecated:UserWarning")
    for name in ("ray", "ray.tune", "ray.train", "ray.air"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"ray(\.|$)")
    warnings.filterwarnings("ignore", message=".*[Dd]eprecat.*", category=Warning, module=r"ray")


def init_ray(address=None, verbose=False):
    """Connect to the Ray cluster at ``address``, or start a local Ray without dashboard, workers not niced."""
    import ray

    if not verbose:
        quiet_ray()
    if ray.is_initialized():
        return
    level = logging.INFO if verbose else logging.ERROR
    if address:
        ray.init(address=address, logging_level=level, log_to_driver=verbose)
    else:
        os.environ.setdefault("RAY_worker_niceness", "0")
        ray.init(include_dashboard=False, log_to_driver=verbose, logging_level=level)


def trial_resources(cpus, gpus, cluster_gpus):
    """The resources a trial asks Ray for: ``cpus`` CPUs, and ``gpus`` of a GPU where the cluster has any.

    ``gpus`` None means :data:`DEFAULT_GPU_SHARE` on a cluster with GPUs and none elsewhere.
    """
    if gpus is None:
        gpus = DEFAULT_GPU_SHARE if cluster_gpus else 0
    if gpus and not cluster_gpus:
        raise TrialError(f"--gpus_per_trial {gpus}: the Ray cluster has no GPU; use --gpus_per_trial 0")
    return {"cpu": cpus, "gpu": gpus} if gpus else {"cpu": cpus}


def trial_device_config(gpu_ids):
    """RecBole config keys that make a trial train on the GPUs Ray assigned it, or on the CPU if none.

    RecBole's ``Config`` sets ``CUDA_VISIBLE_DEVICES`` to ``gpu_id`` and trains on the CPU where
    it is empty; given Ray's ids it sets the value Ray already set, so ``cuda:0`` in the trial is the
    GPU Ray planned for it, and a trial without a GPU stays on the CPU.
    """
    return {"gpu_id": ",".join(str(gpu) for gpu in gpu_ids)}


def asha_scheduler(min_train_steps, max_steps):
    """Ray's ASHA over optimizer steps; the first rung is at ``min_train_steps`` (at least 1).

    Its cap lies one step past ``max_steps``: a run ends itself there (``max_train_steps``) and
    reports its test result, which ASHA's own stop at the cap would cut off.
    """
    from ray.tune.schedulers import ASHAScheduler

    grace = max(int(min_train_steps or 0), 1)
    return ASHAScheduler(
        time_attr="optimizer_steps",
        metric="valid_score",
        mode="max",
        grace_period=grace,
        max_t=max(int(max_steps) + 1, grace + 1),
        reduction_factor=4,
    )


def ray_failed(error):
    """Whether ``error`` is a failure of Ray itself (worker, runtime environment, node), not one raised by a trial's code.

    Ray hands a trial's own exception back as a ``RayTaskError`` (inside Tune's ``TuneError``);
    any other failure (Ray 2.6 rebuilds those as a ``TuneError`` from their text) is Ray's.
    """
    from ray.exceptions import RayTaskError

    while error is not None:
        if isinstance(error, RayTaskError):
            return False
        error = error.__cause__
    return True


def run_on_ray(function, todo, options, on_result, retries=RAY_FAILURE_RETRIES):
    """Run ``function(*arguments, device_config=..., report=...)`` for every ``(job, arguments)`` of ``todo``.

    One Ray Tune trial each. ``function`` returns a JSON-serialisable run and calls
    ``report(optimizer_steps, valid_score)`` after each validation. ``on_result(job, run)`` is
    called on the driver as each trial ends; a trial that the scheduler stopped early ends with a
    run holding only its validation (``stopped_early``). ``options``: ``address`` (None: local
    Ray), ``cpus_per_trial``, ``gpus_per_trial`` (None: :data:`DEFAULT_GPU_SHARE` where the cluster
    has GPUs), ``storage`` (Ray's folder, absolute), ``scheduler`` (``fifo`` or ``asha``),
    ``min_train_steps`` and ``max_steps`` (ASHA's first rung and its cap), ``verbose``.
    Returns ``[(job, on_result's value)]`` in ``todo``'s order; raises :class:`TrialError` at the
    first failed trial, after up to ``retries`` reruns of the unfinished trials where Ray itself failed.
    """
    import ray
    from ray import tune

    init_ray(options.get("address"), options.get("verbose", False))
    run_config_class, failure_config_class, report = tune_api()
    cpus = int(options.get("cpus_per_trial") or 1)
    resources = trial_resources(cpus, options.get("gpus_per_trial"), ray.cluster_resources().get("GPU", 0))
    arguments = [args for _, args in todo]

    def trainable(config):
        import torch

        from recbole_vagnn.config.command_line import recbole_command_line

        torch.set_num_threads(cpus)
        node = ray.get_runtime_context().get_node_id()

        def report_validation(steps, score):
            report({"optimizer_steps": steps, "valid_score": score, "node": node})

        with recbole_command_line():  # the worker's own flags are no config keys
            run = function(
                *arguments[config["index"]],
                device_config=trial_device_config(ray.get_gpu_ids()),
                report=report_validation,
            )
        run["ray_node"] = node
        report({"optimizer_steps": run["optimizer_steps"], "valid_score": run["choice_score"], "run": json.dumps(run)})

    collected, failed = {}, []

    class Collect(tune.Callback):
        def on_trial_error(self, iteration, trials, trial, **info):
            failed.append(trial.config["index"])

        def on_trial_complete(self, iteration, trials, trial, **info):
            index = trial.config["index"]
            result = trial.last_result or {}
            if "run" not in result and failed:  # ended by fail_fast, not by the scheduler: nothing to store
                return
            if "run" in result:
                run = json.loads(result["run"])
            else:  # stopped by the scheduler before its own end
                run = {"stopped_early": True, "optimizer_steps": result.get("optimizer_steps", 0)}
                run["choice_score"] = result.get("valid_score", float("-inf"))
                run["ray_node"] = result.get("node")
            collected[index] = on_result(todo[index][0], run)

    scheduler = None
    if options.get("scheduler", "fifo") == "asha":
        scheduler = asha_scheduler(options.get("min_train_steps"), options.get("max_steps"))
    tuner = tune.Tuner(
        tune.with_resources(trainable, resources),
        param_space={"index": tune.grid_search(list(range(len(todo))))},
        tune_config=tune.TuneConfig(scheduler=scheduler),
        run_config=run_config_class(
            name=f"benchmark-{time.strftime('%Y%m%d-%H%M%S')}",
            storage_path=str(options["storage"]),
            verbose=1 if options.get("verbose") else 0,
            callbacks=[Collect()],
            failure_config=failure_config_class(fail_fast=True),
        ),
    )
    errors = [result.error for result in tuner.fit() if result.error]
    if errors:
        unfinished = [index for index in range(len(todo)) if index not in collected]
        if retries > 0 and ray_failed(errors[0]):
            print(f"Ray failed ({error_message(errors[0])}); running the {len(unfinished)} unfinished trial(s) again")
            rerun = run_on_ray(function, [todo[index] for index in unfinished], options, on_result, retries - 1)
            collected.update(zip(unfinished, (value for _, value in rerun)))
        else:
            job = todo[(failed or unfinished)[0]][0]
            raise TrialError(f"{job.title} ({job.setting}) failed on Ray: {error_message(errors[0])}") from errors[0]
    return [(todo[index][0], collected[index]) for index in range(len(todo))]


def error_message(error):
    """The error's own message: the last non-empty line of Ray's wrapped traceback text."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__
