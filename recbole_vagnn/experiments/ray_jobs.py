"""Runs as Ray Tune trials: locally, or on a cluster with ``--ray_address`` (benchmark --tune, sweep).

On a cluster, start Ray there (``ray start --head`` on one node, ``ray start --address=HEAD:6379``
on the others, each with this package and the dataset at the same path) and pass the head's
address (or ``auto`` on a cluster node). Results travel back inside Ray's result, so the nodes
need no shared output folder.
"""

import json
import os
import sys


def init_ray(address=None):
    """Connect to the Ray cluster at ``address``, or start a local Ray without dashboard."""
    import logging

    import ray

    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")  # no per-trial CSV/TensorBoard files
    # Ray 2.6's own import of pkg_resources warns in every worker; not actionable for a user
    os.environ.setdefault("PYTHONWARNINGS", "ignore:pkg_resources is deprecated:UserWarning")
    if not ray.is_initialized():
        if address:
            ray.init(address=address, logging_level=logging.WARNING)
        else:
            ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)


def run_on_ray(function, todo, options, on_result):
    """Run ``function(*arguments)`` for every ``(job, arguments)`` of ``todo`` as one Ray Tune trial each.

    ``function`` returns a JSON-serialisable run; ``on_result(job, run)`` is called on the driver as
    each trial finishes (the benchmark stores the run there) and its return value is collected.
    ``options``: ``address`` (None: local Ray), ``cpus_per_trial`` and ``storage`` (Ray's folder).
    Returns ``[(job, on_result's value)]`` in ``todo``'s order; raises if a trial failed.
    """
    from ray import air, tune

    init_ray(options.get("address"))
    cpus = int(options.get("cpus_per_trial") or 1)
    arguments = [args for _, args in todo]

    def trainable(config):
        import torch

        sys.argv = sys.argv[:1]  # RecBole's Config would read the worker's flags as config keys
        torch.set_num_threads(cpus)
        return {"run": json.dumps(function(*arguments[config["index"]]))}

    collected = {}

    class Collect(tune.Callback):
        def on_trial_complete(self, iteration, trials, trial, **info):
            index = trial.config["index"]
            collected[index] = on_result(todo[index][0], json.loads(trial.last_result["run"]))

        def on_trial_error(self, iteration, trials, trial, **info):
            print(f"{todo[trial.config['index']][0].title}: failed", flush=True)

    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": cpus}),
        param_space={"index": tune.grid_search(list(range(len(todo))))},
        run_config=air.RunConfig(
            name="benchmark",
            storage_path=str(options.get("storage") or "ray_results"),
            verbose=0,
            callbacks=[Collect()],
        ),
    )
    results = tuner.fit()
    errors = [result.error for result in results if result.error]
    if errors:
        raise RuntimeError(f"{len(errors)} run(s) failed on Ray, first: {errors[0]}")
    return [(todo[index][0], collected[index]) for index in range(len(todo))]
