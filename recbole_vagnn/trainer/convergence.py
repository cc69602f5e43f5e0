"""The convergence rule: enough optimizer steps per epoch and a patience counted in steps, for every model.

The paper trains with batch 4096 and stops after 10 epochs without a better validation Recall@10
(Sec. 5.1). On its data (about 1.4M training interactions) an epoch is some 350 optimizer steps,
so the patience is 3,500 steps. On a dataset of a few thousand interactions the same numbers give
an epoch of 2 steps and a patience of 20, and models stop before they learn. The rule keeps the
paper's setting where it is already enough and scales it down where it is not:

- ``min_epoch_steps`` (default 20): ``train_batch_size`` is halved until an epoch has at least
  this many optimizer steps (0 keeps the batch size as set);
- ``patience_steps`` (default 1000): ``stopping_step`` (counted in evaluations, as RecBole counts
  it) is raised until it spans at least this many optimizer steps (0 keeps it as set); with the
  default early-stopping rule (:class:`EarlyStopping`, the mean of the last 5 validations, ties
  not counted) 1,000 is the shortest patience whose outcome no longer changed on the measured
  sets (README, "Where a run stops"); 500 cost VA-GNN 0.02 test Recall@10 on the embedded data;
- ``min_train_steps`` (default 2000): early stopping cannot end a run before this many optimizer
  steps; until then the patience does not run down (the trainer holds it at its start), so it
  counts from the later of the best validation and this point. On the embedded data VA-GNN's
  validation Recall@10 peaks after one epoch, stays below that for some 500 steps and then climbs
  by half again over 3,000 steps: a patience alone would end it on the early peak.

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


def training_schedule(train_rows, batch_size, stopping_step, eval_step, min_epoch_steps, patience_steps):
    """``(batch size, stopping_step, optimizer steps per epoch)`` under the rule (module docstring)."""
    if min_epoch_steps:
        while batch_size > 1 and math.ceil(train_rows / batch_size) < min_epoch_steps:
            batch_size //= 2
    steps_per_epoch = max(1, math.ceil(train_rows / batch_size))
    if patience_steps:
        stopping_step = max(stopping_step, math.ceil(patience_steps / (steps_per_epoch * eval_step)))
    return batch_size, stopping_step, steps_per_epoch


def apply_training_schedule(config, train_data):
    """Set ``train_batch_size`` and ``stopping_step`` of ``config`` for ``train_data``; return steps per epoch.

    Called after the split and before the training loader is used and the trainer is built;
    RecBole's loader re-reads its batch size from the config.
    """
    batch_size, stopping_step, steps = training_schedule(
        len(train_data._dataset),
        config["train_batch_size"],
        config["stopping_step"],
        config["eval_step"],
        config["min_epoch_steps"] or 0,
        config["patience_steps"] or 0,
    )
    if (batch_size, stopping_step) != (config["train_batch_size"], config["stopping_step"]):
        getLogger().info(
            f"convergence rule: train_batch_size {config['train_batch_size']} -> {batch_size}, stopping_step "
            f"{config['stopping_step']} -> {stopping_step} ({steps} optimizer steps per epoch, min_epoch_steps "
            f"{config['min_epoch_steps']}, patience_steps {config['patience_steps']})"
        )
    config["train_batch_size"], config["stopping_step"] = batch_size, stopping_step
    train_data.update_config(config)
    return steps
