"""Trainers: RecBole's, with seconds per epoch, a learning curve, per-user metrics and checkpoints
that load without unpickling code."""

import time

import numpy as np
import torch
from recbole.trainer import Trainer as RecBoleTrainer
from recbole.utils import get_trainer as recbole_get_trainer
from recbole.utils import set_color

from recbole_vagnn.checkpoint import checkpoint_state, data_digest, load_checkpoint
from recbole_vagnn.data.device_loader import DeviceFullSortEval
from recbole_vagnn.errors import CheckpointError
from recbole_vagnn.evaluator import PerUserEvaluator


class _StepBudgetSpent(Exception):
    """Raised before an epoch once ``max_train_steps`` optimizer steps are trained; :meth:`fit` ends there."""


class PluginTrainerMixin:
    """Trainer additions: seconds per epoch, the learning curve, per-user metrics, plain checkpoints.

    ``epoch_seconds`` lists the wall-clock seconds of every training epoch (evaluation excluded).
    ``optimizer_steps`` counts the batches trained; ``valid_curve`` holds one ``(optimizer steps,
    valid score)`` pair per validation; before ``min_train_steps`` the patience does not run down
    (:mod:`recbole_vagnn.protocol`); after ``max_train_steps`` optimizer steps (0: no cap) the run
    ends before its next epoch, as if the epoch cap had been reached (``step_budget_spent``). For a model whose score has a vlogger part (VA-GNN's
    ``use_vlogger_score``), every validation is run again inside its ``video_score_only()``
    context, with y = e_u.e_v (``video_only_curve``); if
    that scores higher at the best validation, :meth:`fit` logs a warning: the vlogger part hurts
    on this data. After an evaluation, ``evaluator.per_user`` holds each user's top-k metric values
    (:class:`recbole_vagnn.evaluator.PerUserEvaluator`) and ``evaluated_users`` the user ids, in order.
    A model returning a tuple of losses names them in ``loss_names``; the training log shows
    ``video BPR: 0.69, vlogger BPR: 0.69, ...`` instead of RecBole's ``train_loss1, train_loss2``,
    whose meaning shifts with the ablations.
    Checkpoints hold tensors and plain values only (:mod:`recbole_vagnn.checkpoint`), so they
    load with ``torch.load(weights_only=True)``; evaluating or resuming loads them that way.
    Importing RecBole or this package changes nothing globally.
    """

    def __init__(self, config, model):
        super().__init__(config, model)
        self.evaluator = PerUserEvaluator(config)
        self.evaluated_users = None
        self.epoch_seconds = []
        self.optimizer_steps = 0
        self.valid_curve = []
        self.video_only_curve = []
        self.step_budget_spent = False
        self._data_sha256 = None

    def _train_epoch(self, train_data, *args, **kwargs):
        budget = self.config["max_train_steps"] or 0
        if budget and self.optimizer_steps >= budget:
            raise _StepBudgetSpent
        start = time.perf_counter()
        loss = super()._train_epoch(train_data, *args, **kwargs)
        self.epoch_seconds.append(time.perf_counter() - start)
        self.optimizer_steps += len(train_data)
        return loss

    def _valid_epoch(self, valid_data, show_progress=False):
        score, result = super()._valid_epoch(valid_data, show_progress=show_progress)
        self.valid_curve.append((self.optimizer_steps, float(score)))
        if self.optimizer_steps < (self.config["min_train_steps"] or 0):
            self.cur_step = 0  # the convergence rule: no early stop before min_train_steps (recbole_vagnn.protocol)
        if getattr(self.model, "use_vlogger_score", False):
            with self.model.video_score_only():
                video_only_score, _ = super()._valid_epoch(valid_data, show_progress=False)
            self.video_only_curve.append((self.optimizer_steps, float(video_only_score)))
        return score, result

    @property
    def best_evaluation(self):
        """Index in ``valid_curve`` of the checkpoint kept: the last best score (RecBole keeps ties' later one)."""
        scores = [score for _, score in self.valid_curve]
        best = max(scores) if self.valid_metric_bigger else min(scores)
        return len(scores) - 1 - scores[::-1].index(best)

    def fit(self, train_data, valid_data=None, verbose=True, saved=True, show_progress=False, callback_fn=None):
        try:
            result = super().fit(train_data, valid_data, verbose, saved, show_progress, callback_fn)
        except _StepBudgetSpent:
            self.step_budget_spent = True
            self.logger.info(f"max_train_steps {self.config['max_train_steps']} reached: training ends")
            result = self.best_valid_score, self.best_valid_result
        self._warn_if_vlogger_score_hurts()
        return result

    def _warn_if_vlogger_score_hurts(self):
        if not self.video_only_curve:
            return
        best = self.best_evaluation
        full, video_only = self.valid_curve[best][1], self.video_only_curve[best][1]
        if video_only > full:
            self.logger.warning(
                f"the vlogger part of VA-GNN's score lowers validation: {self.valid_metric} {full:.4f} with it, "
                f"{video_only:.4f} with y = e_u.e_v alone (at the best validation, step {self.valid_curve[best][0]}). "
                "The vlogger relation may carry no signal on this data: lower lambda1 (--vlogger_loss_weight), "
                "or choose it on validation with 'recbole-vagnn benchmark --tune'"
            )

    def _generate_train_loss_output(self, epoch_idx, s_time, e_time, losses):
        """RecBole's line, with each part of a multi-part loss under the model's ``loss_names``."""
        names = getattr(self.model, "loss_names", None)
        if not (isinstance(losses, tuple) and names and len(names) == len(losses)):
            return super()._generate_train_loss_output(epoch_idx, s_time, e_time, losses)
        places = self.config["loss_decimal_place"] or 4
        parts = ", ".join(f"{set_color(name, 'blue')}: {loss:.{places}f}" for name, loss in zip(names, losses))
        return f"{set_color(f'epoch {epoch_idx} training', 'green')} [{set_color('time', 'blue')}: {e_time - s_time:.2f}s, {parts}]"

    def _save_checkpoint(self, epoch, verbose=True, **kwargs):
        if not self.config["single_spec"] and self.config["local_rank"] != 0:
            return
        if self._data_sha256 is None:
            self._data_sha256 = data_digest(self.config["data_path"], self.config["dataset"])
        state = checkpoint_state(
            self.config,
            self.model,
            self.optimizer,
            self._data_sha256,
            epoch=epoch,
            cur_step=self.cur_step,
            best_valid_score=self.best_valid_score,
        )
        saved_model_file = kwargs.pop("saved_model_file", self.saved_model_file)
        torch.save(state, saved_model_file)
        if verbose:
            self.logger.info(f"Saving current: {saved_model_file}")

    def resume_checkpoint(self, resume_file):
        checkpoint = load_checkpoint(resume_file, map_location=self.device)
        self.saved_model_file = str(resume_file)
        self.start_epoch = checkpoint["epoch"] + 1
        self.cur_step = checkpoint["cur_step"]
        self.best_valid_score = checkpoint["best_valid_score"]
        if checkpoint["config"]["model"].lower() != self.config["model"].lower():
            raise CheckpointError(
                f"{resume_file}: a {checkpoint['config']['model']} checkpoint cannot resume {self.config['model']}"
            )
        self.model.load_state_dict(checkpoint["state_dict"])
        self.model.load_other_parameter(checkpoint.get("other_parameter"))
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.logger.info(f"Checkpoint loaded. Resume training from epoch {self.start_epoch}")

    def evaluate(self, eval_data, load_best_model=True, model_file=None, show_progress=False):
        """RecBole's evaluation, or the device path for a :class:`DeviceFullSortEval` (same metric code)."""
        if eval_data and load_best_model:
            checkpoint_file = model_file or self.saved_model_file
            checkpoint = load_checkpoint(checkpoint_file, map_location=self.device)
            self.model.load_state_dict(checkpoint["state_dict"])
            self.model.load_other_parameter(checkpoint.get("other_parameter"))
            self.logger.info(f"Loading model structure and parameters from {checkpoint_file}")
        users = getattr(eval_data, "uid_list", None)
        if users is None and getattr(eval_data, "is_sequential", False):  # one ranked row per held-out interaction
            users = eval_data._dataset.inter_feat[eval_data._dataset.uid_field]
        self.evaluated_users = None if users is None else np.asarray(users)
        if isinstance(eval_data, DeviceFullSortEval):
            return self._evaluate_on_device(eval_data)
        return super().evaluate(eval_data, load_best_model=False, model_file=model_file, show_progress=show_progress)

    @torch.no_grad()
    def _evaluate_on_device(self, eval_data):
        """Full ranking with history masked on the device, then RecBole's Collector and Evaluator."""
        if not eval_data:
            return None
        self.model.eval()
        for interaction, (history_rows, history_items), (target_rows, target_items) in eval_data:
            scores = self.model.full_sort_predict(interaction).view(len(interaction), -1)
            scores[:, 0] = -torch.inf
            scores[history_rows, history_items] = -torch.inf
            self.eval_collector.eval_batch_collect(scores, interaction, target_rows, target_items)
        self.eval_collector.model_collect(self.model)
        result = self.evaluator.evaluate(self.eval_collector.get_data_struct())
        self.wandblogger.log_eval_metrics(result, head="eval")
        return result


class Trainer(PluginTrainerMixin, RecBoleTrainer):
    """RecBole's ``Trainer`` for general recommenders (VAGNN, SimGCL, GTN, LightGCN, NGCF, SGL...)."""


_TRAINERS = {RecBoleTrainer: Trainer}


def get_trainer(model_type, model_name):
    """RecBole's trainer for the model with :class:`PluginTrainerMixin` mixed in (same name, one class per base)."""
    base = recbole_get_trainer(model_type, model_name)
    if base not in _TRAINERS:
        _TRAINERS[base] = type(base.__name__, (PluginTrainerMixin, base), {"__module__": __name__})
    return _TRAINERS[base]
