"""The convergence rule: enough optimizer steps per epoch and a patience counted in steps.

The paper trains with batch 4096 and stops after 10 epochs without a better validation Recall@10
(Sec. 5.1). On its data (about 1.4M training interactions) an epoch is some 350 optimizer steps,
so the patience is 3,500 steps. On a dataset of a few thousand interactions the same numbers give
an epoch of 2 steps and a patience of 20, and models stop before they learn. The rule keeps the
paper's setting where it is already enough and scales it down where it is not. Its defaults are
``properties/training.yaml``'s, which apply to tripartite data and this package's models; on
RecBole's models on other data all three are 0 (``properties/overall.yaml``) and a run is plain
RecBole's:

- ``min_epoch_steps`` (default 20): ``train_batch_size`` is halved until an epoch has at least
  this many optimizer steps, counted on the training loader itself (RecBole's loader takes
  ``train_batch_size // negatives`` interactions a step where each has several negatives); 0
  keeps the batch size as set;
- ``patience_steps`` (default 1000): ``stopping_step`` (counted in evaluations, as RecBole counts
  it) is raised until it spans at least this many optimizer steps (0 keeps it as set); with the
  default early-stopping rule (:class:`EarlyStopping`, the mean of the last 5 validations, ties
  not counted) 1,000 is the shortest patience whose outcome no longer changed on the measured
  sets (the manual: Benchmark and tuning, "Where a run stops"); 500 cost VA-GNN 0.02 test Recall@10 on the embedded data;
- ``min_train_steps`` (default 2000): early stopping cannot end a run before this many optimizer
  steps; until then the patience does not run down (the trainer holds it at its start), so it
  counts from the later of the best validation and this point. On the embedded data VA-GNN's
  validation Recall@10 peaks after one epoch, stays below that for some 500 steps and then climbs
  by half again over 3,000 steps: a patience alone would end it on the early peak.

The rule fills only what the user did not set: a ``train_batch_size`` or ``stopping_step`` given
in a config file, ``config_dict`` or on the command line (``config.external_config_dict``) is
never changed, and an explicit ``stopping_step`` alone also selects RecBole's early stopping
(:data:`recbole_vagnn.config.configurator.RECBOLE_STOPPING`). With ``eval_step`` 0 (RecBole's
"no validation") there is no patience to scale. When the rule changes anything it says so in one
WARNING line, with the steps per epoch actually trained and how to keep the values.

On paper-size data none of them changes anything. ``properties/presets/paper-training.yaml`` sets
all three to 0: the paper's literal training schedule. A run that ends at ``epochs`` before its patience ran out has
not converged; :func:`recbole_vagnn.quick_start.run_recbole` reports it (``converged: False``).
"""

import math
from collections import namedtuple
from logging import getLogger

StoppingDecision = namedtuple("StoppingDecision", ["best", "cur_step", "stop", "improved"])
"""What :meth:`EarlyStopping.update` decides after a validation, in the order of RecBole's
``early_stopping`` result ``(best, cur_step, stop_flag, update_flag)``: the best (mean) score,
the validations since it, whether to stop, and whether this validation improved (keeps its checkpoint)."""


def standard_error(values):
    """The standard error over users of a per-user metric's mean (sample std / sqrt(n)), or None without values."""
    if values is None:
        return None
    import numpy as np

    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else None


def improvement_margin(margin_se, per_user_values):
    """The margin the next improvement must beat: ``margin_se`` standard errors of the kept validation's per-user values."""
    return margin_se * (standard_error(per_user_values) or 0.0) if margin_se else 0.0


class EarlyStopping:
    """RecBole's early stopping (``recbole.utils.early_stopping``) with the convergence rule's ``min_train_steps``.

    A validation score at least as good as the best (ties count, as in RecBole) is an improvement
    and keeps its checkpoint (with ``ties_improve=False`` a tie is not: only a strictly better score
    resets the patience and replaces the checkpoint); a ``margin`` passed to :meth:`update` asks an
    improvement to beat the best by more than that (a tie with the raised bar counts as
    ``ties_improve`` says). With ``window`` above 1 every comparison is made on the mean of the
    last ``window`` validation scores (fewer at the start) instead of the last score alone, and
    ``best`` is the best such mean: one lucky or unlucky validation moves it by a ``window``-th.
    The checkpoint kept is the model at the validation whose mean was the best (the last one of
    that window). Scores within 1e-12 of the bar are ties (a mean's rounding is no gain).
    Otherwise ``cur_step``, the validations since the best, grows. The run stops once
    ``cur_step`` exceeds ``stopping_step`` and ``min_train_steps`` optimizer steps are trained;
    before that point ``cur_step`` is held at 0, so the patience counts from the later of the
    best validation and that point. ``recent`` (the raw scores of the last validations, kept in a
    checkpoint) lets a resumed run go on with the same means.
    """

    def __init__(self, stopping_step, bigger, min_train_steps, ties_improve=True, window=1, recent=()):
        self.stopping_step, self.bigger, self.min_train_steps = stopping_step, bigger, min_train_steps
        self.ties_improve, self.window = ties_improve, max(int(window), 1)
        self.recent = list(recent)[-self.window :]

    def update(self, score, best, cur_step, steps, margin=0.0):
        """The :data:`StoppingDecision` after a validation with ``score`` at ``steps`` optimizer steps."""
        self.recent = (self.recent + [float(score)])[-self.window :]
        score = math.fsum(self.recent) / len(self.recent)
        bar = best + margin if self.bigger else best - margin
        if math.isclose(score, bar, rel_tol=0.0, abs_tol=1e-12):
            improved = self.ties_improve
        else:
            improved = score > bar if self.bigger else score < bar
        best, cur_step = (score, 0) if improved else (best, cur_step + 1)
        if steps < self.min_train_steps:
            return StoppingDecision(best, 0, False, improved)
        return StoppingDecision(best, cur_step, cur_step > self.stopping_step, improved)

    def steps_left(self, cur_step, steps, steps_per_validation):
        """Optimizer steps until the patience runs out if no validation improves (the convergence rule's floor included)."""
        return max((self.stopping_step + 1 - cur_step) * steps_per_validation, self.min_train_steps - steps)


def training_schedule(
    train_rows, batch_size, stopping_step, eval_step, min_epoch_steps, patience_steps, steps_for=None
):
    """``(batch size, stopping_step, optimizer steps per epoch)`` under the rule (module docstring).

    ``steps_for(batch_size)``: the optimizer steps of an epoch at that batch size; by default
    ``ceil(train_rows / batch_size)``, one interaction a row. ``eval_step`` 0 (or less): no
    validation, ``stopping_step`` is kept.
    """
    steps_for = steps_for or (lambda batch: math.ceil(train_rows / batch))
    if min_epoch_steps:
        while batch_size > 1 and steps_for(batch_size) < min_epoch_steps:
            batch_size //= 2
    steps_per_epoch = max(1, steps_for(batch_size))
    if patience_steps and eval_step > 0:
        stopping_step = max(stopping_step, math.ceil(patience_steps / (steps_per_epoch * eval_step)))
    return batch_size, stopping_step, steps_per_epoch


def _loaders(train_data):
    """The torch loaders that iterate ``train_data``: itself, or a knowledge-based loader's two."""
    parts = [getattr(train_data, name, None) for name in ("general_dataloader", "kg_dataloader")]
    return [part for part in parts if part is not None] or [train_data]


def set_train_batch_size(config, train_data, batch_size):
    """Set ``train_batch_size`` in ``config`` and make ``train_data`` train with it; return its optimizer steps per epoch.

    RecBole's ``update_config`` recomputes a loader's ``step`` (``train_batch_size``, divided by
    the rows each interaction brings with its negatives) but its torch batch sampler, built with
    the loader, keeps the old size: the sampler is rebuilt here with the new step (same sampler,
    same seeded generator, nothing drawn yet), so ``len(train_data)`` and the batches agree. In a
    distributed run each rank's step is then divided by the world size, as RecBole's loader does
    when it is built: ``train_batch_size`` stays the global batch.
    """
    from torch.utils.data import BatchSampler, DataLoader

    config["train_batch_size"] = batch_size
    if hasattr(train_data, "update_config"):
        train_data.update_config(config)
        if config["single_spec"] is False:  # RecBole's loader divides its step by the world size when built, not here
            for loader in _loaders(train_data):
                loader.step = max(1, loader.step // config["world_size"])
    elif hasattr(train_data, "batch_size"):  # this package's device loader
        train_data.batch_size = batch_size
    for loader in _loaders(train_data):
        step = getattr(loader, "step", None)
        if isinstance(loader, DataLoader) and step and loader.batch_sampler is not None and loader.batch_size != step:
            # DataLoader refuses these attributes once built; a loader not yet iterated may take new ones
            object.__setattr__(loader, "batch_size", step)
            object.__setattr__(loader, "batch_sampler", BatchSampler(loader.sampler, step, loader.drop_last))
    return len(train_data)


def apply_training_schedule(config, train_data):
    """Set ``train_batch_size`` and ``stopping_step`` of ``config`` for ``train_data``; return steps per epoch.

    Called after the split and before the training loader is used and the trainer is built
    (RecBole's loader is resized here, this package's device loader reads the config). Values the
    user set are kept (module docstring); a change is logged as one WARNING line.
    """
    explicit = getattr(config, "external_config_dict", {}) or {}
    before = config["train_batch_size"], config["stopping_step"]
    min_epoch_steps = 0 if "train_batch_size" in explicit else config["min_epoch_steps"] or 0
    patience_steps = 0 if "stopping_step" in explicit else config["patience_steps"] or 0
    batch_size, stopping_step, steps = training_schedule(
        len(train_data._dataset),
        config["train_batch_size"],
        config["stopping_step"],
        config["eval_step"],
        min_epoch_steps,
        patience_steps,
        steps_for=lambda batch: set_train_batch_size(config, train_data, batch),
    )  # its last look at the loader was at batch_size: the loader and the config as they will train
    config["stopping_step"] = stopping_step
    rules = (("train_batch_size", "min_epoch_steps"), ("stopping_step", "patience_steps"))
    changed = [(key, rule, old, new) for (key, rule), old, new in zip(rules, before, (batch_size, stopping_step))]
    changed = [change for change in changed if change[2] != change[3]]
    if changed:
        step = getattr(train_data, "step", batch_size)
        per_step = "" if step == batch_size else f", {step} interactions a step with their negatives"
        getLogger().warning(
            "convergence rule: "
            + ", ".join(f"{key} {old} -> {new} ({rule} {config[rule]})" for key, rule, old, new in changed)
            + f"; {steps} optimizer steps per epoch{per_step}. Set "
            + " and ".join(key for key, *_ in changed)
            + " to keep a value of yours, or turn this off with "
            + " ".join(f"--{rule}=0" for _, rule, *_ in changed)
        )
    return steps
