"""Trainers: RecBole's, with seconds per epoch, a learning curve, per-user metrics and checkpoints
that load without unpickling code."""

import os
import secrets
import shutil
import time

import numpy as np
import torch
from recbole.trainer import Trainer as RecBoleTrainer
from recbole.utils import get_trainer as recbole_get_trainer
from recbole.utils import set_color
from torch.nn.parallel import DistributedDataParallel

from recbole_vagnn.data.dataloader.device_loader import DeviceFullSortEval
from recbole_vagnn.evaluator.evaluator import HeadTailCollector, PerUserEvaluator, head_items
from recbole_vagnn.trainer.checkpoint import (
    checkpoint_state,
    data_digest,
    load_checkpoint,
    per_user_tensor,
    plain_other_parameter,
)
from recbole_vagnn.trainer.convergence import EarlyStopping, improvement_margin
from recbole_vagnn.utils.errors import CheckpointError

RUN_RECORD = (
    "optimizer_steps",
    "epoch_seconds",
    "valid_curve",
    "valid_epochs",
    "video_only_curve",
    "test_curve",
    "valid_per_user_curve",
    "best_valid_result",
    "best_valid_per_user",
)
"""What a checkpoint keeps of the run up to it, so a resumed run reports the whole run (its steps,
epochs, curves and kept validation), not only the part after the resume."""
PER_USER_RECORD = ("valid_per_user_curve", "best_valid_per_user")
"""The parts of :data:`RUN_RECORD` that hold each user's values: saved as tensors, restored as lists."""


def unique_checkpoint_name(recbole_name, tag=None):
    """RecBole's ``DIR/MODEL-DATE.pth`` made unique: ``DIR/MODEL-DATE-PID-RANDOM.pth``.

    RecBole names a checkpoint by the model and the second the trainer was made, so two runs of a
    model started in the same second in one folder (seeds started side by side) would write, and
    test from, one file. The process id keeps runs of one machine apart, the 8 random hex digits
    (``secrets``) runs of one process and runs on other machines sharing the folder, e.g.
    ``saved/BPR-Dec-01-2026_11-03-19-48213-9f2c1a7b.pth``. ``tag``: the ``PID-RANDOM`` part to use.
    """
    stem, suffix = os.path.splitext(recbole_name)
    return f"{stem}-{tag or f'{os.getpid()}-{secrets.token_hex(4)}'}{suffix}"


class PluginTrainerMixin:
    """Trainer additions: seconds per epoch, the learning curve, per-user metrics, plain checkpoints.

    ``epoch_seconds`` lists the wall-clock seconds of every training epoch (evaluation excluded).
    ``optimizer_steps`` counts the batches trained; ``valid_curve`` holds one ``(optimizer steps,
    valid score)`` pair per validation and ``valid_epochs`` the epoch (from 0) each ran after, so
    that :attr:`best_epoch` is always an epoch that ran (RecBole validates every
    ``min(eval_step, epochs)`` epochs, not every ``eval_step``); before ``min_train_steps`` the patience does not run down
    (:mod:`recbole_vagnn.trainer.convergence`); after ``max_train_steps`` optimizer steps (0: no cap) the run
    ends before its next epoch, as if the epoch cap had been reached (``step_budget_spent``).
    With ``curve_test_data`` set (``record_test_curve: True``), every validation also evaluates that
    split with the model as it is then, recording ``test_curve`` (``(optimizer steps, test
    result)``) and ``valid_per_user_curve`` (each validation user's valid metric): the kept
    checkpoint's test score is then known under any stopping rule replayed on the validation curve
    (:mod:`recbole_vagnn.experiments.stopping`).

    For trainers that use RecBole's ``Trainer.fit`` (the general, context-aware, sequential and
    traditional models), :meth:`fit` is RecBole's loop (train, validate every ``eval_step``
    epochs, early stopping, checkpoint on improvement, ``callback_fn``) with the configured
    early-stopping rule (:class:`recbole_vagnn.trainer.convergence.EarlyStopping`: ``stopping_ties_improve``,
    ``stopping_window``, ``stopping_margin_se``), the convergence rule and the step cap in it, a
    progress line after every validation (epoch, optimizer steps, the best validation (the best
    mean of ``stopping_window`` validations where it is above 1) and its epoch, the steps of
    patience left; one log line each, so it reads the same in a terminal and in a log file), and a final
    line naming the epoch of the checkpoint it keeps (every metric in them with ``metric_decimal_place``
    decimals); where no validation ran (``max_train_steps`` spent first), the model of the last epoch
    is saved, so that the test evaluates it; ``best_valid_per_user`` then holds each
    validation user's value of the valid metric at the kept checkpoint (None where the metric has
    no per-user values, or in another trainer's loop). Trainers with a loop of their own (NCL's,
    the pre-training ones) keep it, with the convergence rule applied through ``cur_step``.

    For a model whose score has a vlogger part (VA-GNN's
    ``use_vlogger_score``), every validation is run again inside its ``score_part("video")``
    context, with y = e_u.e_v (``video_only_curve``); if
    that scores higher at the best validation, :meth:`fit` logs a warning: the vlogger part hurts
    on this data. After an evaluation, ``evaluator.per_user`` holds each user's top-k metric values
    (:class:`recbole_vagnn.evaluator.evaluator.PerUserEvaluator`) and ``evaluated_users`` the user ids, in order.
    Checkpoints are named ``MODEL-DATE-PID-RANDOM.pth`` (:func:`unique_checkpoint_name`), so runs
    started in the same second in one folder keep, and test, checkpoints of their own; a resumed run
    goes on saving into the file it resumed from.
    Checkpoints keep the run's record up to them (:data:`RUN_RECORD`); :meth:`resume_checkpoint`
    restores it, so a resumed run counts its optimizer steps and epochs from the run's start (the
    convergence rule and ``max_train_steps`` included) and, where it never improves again, still
    reports the checkpoint it resumed from as the kept one.
    A model returning a tuple of losses names them in ``loss_names``; the training log shows
    ``video BPR: 0.69, vlogger BPR: 0.69, ...`` instead of RecBole's ``train_loss1, train_loss2``,
    whose meaning shifts with the ablations.
    Checkpoints hold tensors and plain values only (:mod:`recbole_vagnn.trainer.checkpoint`), so they
    load with ``torch.load(weights_only=True)``; evaluating or resuming loads them that way. The
    pre-training trainers (RaCT's, S3Rec's) save their ``MODEL-DATASET-EPOCH.pth`` files so too, and
    also after the last pre-training epoch where ``save_step`` does not divide ``pretrain_epochs``.
    Importing RecBole or this package changes nothing globally.

    In a distributed run (``single_spec`` False, :func:`recbole_vagnn.quick_start.run`): RecBole's
    DistributedDataParallel wrap on GPUs; on the CPU (gloo) the same wrap without ``device_ids``
    and without SyncBatchNorm (which needs a GPU), so BatchNorm layers normalise over the rank's
    batch. Every rank trains on its shard of each global batch (RecBole's DistributedSampler,
    ``train_batch_size`` divided by the world size) and DDP averages the gradients, so every rank
    holds the same weights after each step. A loss computed over the batch, such as VA-GNN's and
    SimGCL's in-batch contrastive loss, sees the rank's shard only: its negatives are the rank's
    batch, so with k ranks the contrastive part equals one process's at ``train_batch_size / k``
    (the BPR parts, means over rows, equal one process's at the global batch). Evaluation scores
    each user once and gathers the shards (:meth:`evaluate`), so every rank gets the
    single-process metrics, per-user values in user order, the same valid score and so the same
    early-stopping decision. As RecBole, only a node's first process (``local_rank`` 0) writes
    the checkpoint, the log file, TensorBoard and the progress lines; the checkpoint's name is
    rank 0's on every rank, and loading the best model for the test sends rank 0's weights to
    the others (no shared file system needed).
    """

    def __init__(self, config, model):
        import torch.distributed as dist

        distributed = not config["single_spec"]
        on_cpu = distributed and config["device"].type == "cpu"
        if on_cpu:  # RecBole wraps with device_ids=[local_rank], which DDP refuses for a module on the CPU
            config["single_spec"] = True
        try:
            super().__init__(config, model)
        finally:
            if on_cpu:
                config["single_spec"] = False
        if on_cpu:
            self.distributed_model = DistributedDataParallel(self.model)
        tag = f"{os.getpid()}-{secrets.token_hex(4)}"  # one run's files: the checkpoint, a tree model's temp files
        if distributed:  # one name on every rank: rank 0's
            shared = [tag]
            dist.broadcast_object_list(shared, src=0)
            tag = shared[0]
            if config["local_rank"] != 0:  # RecBole's rule for logs and checkpoints: a node's first process writes
                self._silence_tensorboard()
        for name in ("saved_model_file", "temp_file", "temp_best_file"):
            if isinstance(getattr(self, name, None), str):
                setattr(self, name, unique_checkpoint_name(getattr(self, name), tag))
        self.evaluator = PerUserEvaluator(config)
        self.eval_collector = HeadTailCollector(config)
        self.evaluated_users = None
        self.epoch_seconds = []
        self.optimizer_steps = 0
        self.valid_curve = []
        self.valid_epochs = []
        self._epoch_idx = -1  # the epoch being trained, or last trained
        self.video_only_curve = []
        self.gate_calibration = {}  # VA-GNN's validation score per gate bias tried (calibrate_gate)
        self.step_budget_spent = False
        self.best_valid_per_user = self._last_valid_per_user = None
        self.kept_evaluation, self.recent_valid_scores = None, []
        self.curve_test_data, self.test_curve, self.valid_per_user_curve = None, [], []
        self._data_sha256 = None
        self._non_candidates = None  # cold_items: the items this evaluation's full ranking leaves out

    def _silence_tensorboard(self):
        """A rank but 0 writes no TensorBoard events: the folder RecBole's trainer just made for it is removed."""
        log_dir = getattr(self.tensorboard, "log_dir", None)
        self.tensorboard.close()
        if log_dir and os.path.isdir(log_dir):
            shutil.rmtree(log_dir, ignore_errors=True)
        self.tensorboard = _NoWriter()

    def _map_reduce(self, result, num_sample):
        """RecBole's all-reduce of each rank's metrics (weighted by its batches) is not needed: :meth:`evaluate` gathered the users."""
        return result

    def _train_epoch(self, train_data, *args, **kwargs):
        self._epoch_idx = args[0] if args else kwargs.get("epoch_idx", self._epoch_idx + 1)
        start = time.perf_counter()
        loss = super()._train_epoch(train_data, *args, **kwargs)
        self.epoch_seconds.append(time.perf_counter() - start)
        self.optimizer_steps += len(train_data)
        return loss

    def _valid_epoch(self, valid_data, show_progress=False):
        score, result = super()._valid_epoch(valid_data, show_progress=show_progress)
        self.valid_curve.append((self.optimizer_steps, float(score)))
        self.valid_epochs.append(self._epoch_idx)
        self._last_valid_per_user = self.evaluator.per_user.get(self.valid_metric)  # before the video-only pass
        if self.curve_test_data is not None:
            self._record_test_curve()
        if not self._runs_own_loop() and self.optimizer_steps < (self.config["min_train_steps"] or 0):
            self.cur_step = 0  # the convergence rule in another trainer's loop: no early stop yet
        if getattr(self.model, "use_vlogger_score", False):
            self._record_video_only_score(valid_data)
        return score, result

    def _record_test_curve(self):
        """``record_test_curve``: the test result and per-user validation values of the model as it is now, for replays."""
        per_user = self._last_valid_per_user
        self.valid_per_user_curve.append(None if per_user is None else per_user.tolist())
        self.test_curve.append((self.optimizer_steps, dict(self.evaluate(self.curve_test_data, load_best_model=False))))

    def _record_video_only_score(self, valid_data):
        """The validation score of VA-GNN's score without its vlogger part (``video_only_curve``)."""
        with self.model.score_part("video"):
            video_only_score, _ = super()._valid_epoch(valid_data, show_progress=False)
        self.video_only_curve.append((self.optimizer_steps, float(video_only_score)))

    @property
    def best_evaluation(self):
        """Index in ``valid_curve`` of the checkpoint kept.

        In this class's loop, the validation of the last improvement under the configured rule;
        in another trainer's loop (RecBole's rule), the last best score (RecBole keeps ties' later one).
        """
        if self.kept_evaluation is not None:
            return self.kept_evaluation
        scores = [score for _, score in self.valid_curve]
        best = max(scores) if self.valid_metric_bigger else min(scores)
        return len(scores) - 1 - scores[::-1].index(best)

    @property
    def best_epoch(self):
        """The epoch (from 0) after which the kept checkpoint's validation ran; None where no validation ran."""
        if not self.valid_curve or len(self.valid_epochs) != len(self.valid_curve):
            return None
        return self.valid_epochs[self.best_evaluation]

    def _places(self):
        """``metric_decimal_place``: the decimals every metric is rounded to and shown with (RecBole's default 4)."""
        places = self.config["metric_decimal_place"]
        return 4 if places is None else places

    def _runs_own_loop(self):
        """Whether :meth:`fit` runs this class's loop: the trainer mixed in has RecBole's ``Trainer.fit``."""
        return getattr(super().fit, "__func__", None) is RecBoleTrainer.fit

    def fit(self, train_data, valid_data=None, verbose=True, saved=True, show_progress=False, callback_fn=None):
        if self.config["head_tail"] and not self.config["cold_items"]:  # cold candidates have no training popularity
            dataset = train_data.dataset
            self.eval_collector.head = head_items(dataset.inter_feat[dataset.iid_field].numpy(), dataset.item_num)
        calibrates = bool(self.config["gate_calibration"] and valid_data and hasattr(self.model, "calibrate_gate"))
        if calibrates:
            self.model.gate_bias.zero_()  # a resumed, calibrated checkpoint trains on with the paper's gate
        if self._runs_own_loop():
            result = self._fit(train_data, valid_data, verbose, saved, show_progress, callback_fn)
        else:
            result = super().fit(train_data, valid_data, verbose, saved, show_progress, callback_fn)
        if calibrates:
            return self._calibrate_gate(valid_data, saved, result)
        self._warn_if_vlogger_score_hurts()
        return result

    def _calibrate_gate(self, valid_data, saved, result):
        """``gate_calibration`` (VA-GNN): the kept model's gate bias chosen on validation.

        The kept checkpoint is loaded (where saved; else the model as trained), its bias set by
        :meth:`VAGNN.calibrate_gate` and written into the checkpoint file, so the test evaluates
        the calibrated model. Returns ``fit``'s ``(best_valid_score, best_valid_result)`` with the
        calibrated model's validation result.
        """
        if saved:
            self._load_checkpoint_weights(self.saved_model_file)
        self.model.eval()
        sign = 1 if self.valid_metric_bigger else -1
        results = {}  # bias -> the validation result, kept so the chosen one needs no second evaluation

        def signed_score():
            result = results[float(self.model.gate_bias)] = self.evaluate(valid_data, load_best_model=False)
            return sign * result[self.valid_metric]

        signed = self.model.calibrate_gate(signed_score)
        self.gate_calibration = {bias: sign * score for bias, score in signed.items()}
        if not self.gate_calibration:
            return result
        bias = float(self.model.gate_bias)
        if saved and (self.config["single_spec"] or self.config["local_rank"] == 0):  # the ranks that save
            checkpoint = load_checkpoint(self.saved_model_file)
            checkpoint["state_dict"]["gate_bias"] = self.model.gate_bias.detach().cpu().clone()
            checkpoint["other_parameter"] = plain_other_parameter(self.model)  # no ranking cached before
            torch.save(checkpoint, self.saved_model_file)
        places = self._places()
        named = {
            -float("inf"): " (vlogger part alone)",
            float("inf"): " (video part alone)",
            0.0: " (the paper's gate)",
        }
        self.logger.info(
            f"gate calibrated on validation: bias {bias:g}; valid {self.valid_metric} by bias: "
            + ", ".join(f"{b:g}{named.get(b, '')} {score:.{places}f}" for b, score in self.gate_calibration.items())
        )
        return result[0], results[bias]

    def _fit(self, train_data, valid_data, verbose, saved, show_progress, callback_fn):
        """RecBole 1.2.1's ``Trainer.fit`` (``recbole/trainer/trainer.py``, lines 404-519), forked.

        The fork is needed where RecBole's loop has no hook: it calls the module function
        ``recbole.utils.early_stopping`` (line 473), whose rule (ties count, the last score alone,
        no floor of optimizer steps) cannot be swapped for :class:`EarlyStopping`, and it has no
        place to end a run between epochs (``max_train_steps``). The rest is RecBole's, in its
        order, through its own hooks (``_train_epoch``, ``_valid_epoch``, ``_save_checkpoint``,
        the TensorBoard and W&B loggers); what is added: the step cap before each epoch, the
        kept checkpoint's per-user validation values and epoch, the improvement margin, and one
        progress line per validation.
        """
        from recbole.utils import dict2str

        if saved and self.start_epoch >= self.epochs:
            self._save_checkpoint(-1, verbose=verbose)
        self.eval_collector.data_collect(train_data)
        if self.config["train_neg_sample_args"].get("dynamic", False):
            train_data.get_model(self.model)
        rule = EarlyStopping(
            self.stopping_step,
            self.valid_metric_bigger,
            self.config["min_train_steps"] or 0,
            ties_improve=self.config["stopping_ties_improve"] is not False,
            window=self.config["stopping_window"] or 1,
            recent=self.recent_valid_scores,
        )
        margin_se, margin = self.config["stopping_margin_se"] or 0.0, 0.0
        averaged = f" (moving mean of {rule.window})" if rule.window > 1 else ""
        budget = self.config["max_train_steps"] or 0
        places = self._places()
        for epoch_idx in range(self.start_epoch, self.epochs):
            if budget and self.optimizer_steps >= budget:
                self.step_budget_spent = True
                if verbose:
                    self.logger.info(
                        f"max_train_steps {budget} reached after {self.optimizer_steps} steps: training ends"
                    )
                break
            start = time.time()
            train_loss = self._train_epoch(train_data, epoch_idx, show_progress=show_progress)
            self.train_loss_dict[epoch_idx] = sum(train_loss) if isinstance(train_loss, tuple) else train_loss
            if verbose:
                self.logger.info(self._generate_train_loss_output(epoch_idx, start, time.time(), train_loss))
            self._add_train_loss_to_tensorboard(epoch_idx, train_loss)
            self.wandblogger.log_metrics(
                {"epoch": epoch_idx, "train_loss": train_loss, "train_step": epoch_idx}, head="train"
            )
            if self.eval_step <= 0 or not valid_data:
                if saved:
                    self._save_checkpoint(epoch_idx, verbose=verbose)
                continue
            if (epoch_idx + 1) % self.eval_step:
                continue
            start = time.time()
            valid_score, valid_result = self._valid_epoch(valid_data, show_progress=show_progress)
            self.best_valid_score, self.cur_step, stop, improved = rule.update(
                valid_score, self.best_valid_score, self.cur_step, self.optimizer_steps, margin
            )
            self.recent_valid_scores = rule.recent
            if verbose:
                self.logger.info(
                    set_color(f"epoch {epoch_idx} evaluating", "green")
                    + f" [{set_color('time', 'blue')}: {time.time() - start:.2f}s, "
                    + f"{set_color('valid_score', 'blue')}: {valid_score:.{places}f}]"
                )
                self.logger.info(set_color("valid result", "blue") + ": \n" + dict2str(valid_result))
            self.tensorboard.add_scalar("Vaild_score", valid_score, epoch_idx)
            self.wandblogger.log_metrics({**valid_result, "valid_step": len(self.valid_curve) - 1}, head="valid")
            if improved:
                self.kept_evaluation = len(self.valid_curve) - 1
                self.best_valid_result = valid_result
                self.best_valid_per_user = self._last_valid_per_user
                if saved:
                    self._save_checkpoint(epoch_idx, verbose=verbose)
                margin = improvement_margin(margin_se, self._last_valid_per_user)
            if callback_fn:
                callback_fn(epoch_idx, valid_score)
            if verbose:
                left = rule.steps_left(self.cur_step, self.optimizer_steps, len(train_data) * self.eval_step)
                self.logger.info(
                    set_color("progress", "yellow") + f": epoch {epoch_idx + 1}/{self.epochs}, "
                    f"{self.optimizer_steps} steps, best valid {self.valid_metric}{averaged} "
                    f"{self.best_valid_score:.{places}f} at epoch {self._kept_epoch()}, {left} steps of patience left"
                )
            if stop:
                if verbose:
                    self.logger.info(f"Finished training, best eval result in epoch {self._kept_epoch()}")
                break
        if saved and not os.path.isfile(self.saved_model_file):  # nothing kept (max_train_steps came first)
            self._save_checkpoint(self._epoch_idx, verbose=verbose)
            if verbose:
                what = "no validation improved" if self.valid_curve else "no validation ran"
                self.logger.info(f"{what}: the checkpoint keeps the model of the last epoch trained")
        self._add_hparam_to_tensorboard(self.best_valid_score)
        return self.best_valid_score, self.best_valid_result

    def _kept_epoch(self):
        """The epoch of the checkpoint this loop keeps, as the log names it ('none' before any is kept)."""
        if self.kept_evaluation is None or len(self.valid_epochs) != len(self.valid_curve):
            return "none"
        return self.valid_epochs[self.kept_evaluation]

    def _warn_if_vlogger_score_hurts(self):
        if not self.video_only_curve:
            return
        best = self.best_evaluation
        full, video_only = self.valid_curve[best][1], self.video_only_curve[best][1]
        places = self._places()
        if video_only > full:
            self.logger.warning(
                f"the vlogger part of VA-GNN's score lowers validation: {self.valid_metric} {full:.{places}f} with it, "
                f"{video_only:.{places}f} with y = e_u.e_v alone (at the best validation, step {self.valid_curve[best][0]}). "
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
            recent_valid_scores=list(self.recent_valid_scores),
            run_record={
                name: per_user_tensor(getattr(self, name)) if name in PER_USER_RECORD else getattr(self, name)
                for name in RUN_RECORD
            },
        )
        saved_model_file = kwargs.pop("saved_model_file", self.saved_model_file)
        torch.save(state, saved_model_file)
        if verbose:
            self.logger.info(f"Saving current: {saved_model_file}")

    def save_pretrained_model(self, epoch, saved_model_file):
        """A pre-training trainer's ``MODEL-DATASET-EPOCH.pth`` in this package's format (RecBole pickles its Config)."""
        self._save_checkpoint(epoch, verbose=False, saved_model_file=saved_model_file)
        self.saved_model_file = saved_model_file

    def pretrain(self, train_data, verbose=True, show_progress=False):
        """RecBole's pre-training; the last epoch is saved too where ``save_step`` left it out, so a file holds the model trained."""
        result = super().pretrain(train_data, verbose, show_progress)
        last = self.pretrain_epochs - 1
        if last >= self.start_epoch and self.pretrain_epochs % self.save_step:
            name = f"{self.config['model']}-{self.config['dataset']}-{self.pretrain_epochs}.pth"
            self.save_pretrained_model(last, os.path.join(self.checkpoint_dir, name))
            if verbose:
                self.logger.info(set_color("Saving current", "blue") + f": {self.saved_model_file}")
        return result

    def resume_checkpoint(self, resume_file):
        checkpoint = load_checkpoint(resume_file, map_location=self.device)
        self.saved_model_file = str(resume_file)
        self.start_epoch = checkpoint["epoch"] + 1
        self.cur_step = checkpoint["cur_step"]
        self.best_valid_score = checkpoint["best_valid_score"]
        self.recent_valid_scores = list(checkpoint.get("recent_valid_scores", []))
        if checkpoint["config"]["model"].lower() != self.config["model"].lower():
            raise CheckpointError(
                f"{resume_file}: a {checkpoint['config']['model']} checkpoint cannot resume {self.config['model']}"
            )
        for name, value in checkpoint.get("run_record", {}).items():
            setattr(self, name, value.tolist() if isinstance(value, torch.Tensor) else value)
        if "valid_epochs" not in checkpoint.get("run_record", {}):  # written before valid_epochs was kept
            self.valid_epochs = [None] * len(self.valid_curve)
        self._epoch_idx = checkpoint["epoch"]
        if self.valid_curve and self._runs_own_loop():  # this loop saves a checkpoint at each improvement only
            self.kept_evaluation = len(self.valid_curve) - 1
        self.model.load_state_dict(checkpoint["state_dict"])
        self.model.load_other_parameter(checkpoint.get("other_parameter"))
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.logger.info(f"Checkpoint loaded. Resume training from epoch {self.start_epoch}")

    def evaluate(self, eval_data, load_best_model=True, model_file=None, show_progress=False):
        """RecBole's evaluation, or the device path for a :class:`DeviceFullSortEval` (same metric code)."""
        distributed = not self.config["single_spec"]
        if eval_data and load_best_model:
            checkpoint_file = model_file or self.saved_model_file
            self._load_checkpoint_weights(checkpoint_file)
            self.logger.info(f"Loading model structure and parameters from {checkpoint_file}")
        self.evaluator.positions = evaluation_positions(eval_data) if distributed and eval_data is not None else None
        users = getattr(eval_data, "uid_list", None)
        if users is None and getattr(eval_data, "is_sequential", False):  # one ranked row per held-out interaction
            users = eval_data._dataset.inter_feat[eval_data._dataset.uid_field]
        self.evaluated_users = None if users is None else np.asarray(users)
        candidates = getattr(getattr(eval_data, "_dataset", None), "candidate_items", None)  # cold_items
        self._non_candidates = None if candidates is None else torch.as_tensor(~candidates, device=self.device)
        if isinstance(eval_data, DeviceFullSortEval):
            return self._evaluate_on_device(eval_data)
        return super().evaluate(eval_data, load_best_model=False, model_file=model_file, show_progress=show_progress)

    def _load_checkpoint_weights(self, checkpoint_file):
        """Load a checkpoint's weights (and other parameters) into the model.

        In a distributed run rank 0 reads the file (it wrote it, maybe on its own node's disk, and
        maybe a moment ago: only rank 0 saves) and broadcasts the weights to every rank.
        """
        import torch.distributed as dist

        distributed = not self.config["single_spec"]
        state = [None, None]
        if not distributed or dist.get_rank() == 0:
            checkpoint = load_checkpoint(checkpoint_file, map_location="cpu" if distributed else self.device)
            state = [checkpoint["state_dict"], checkpoint.get("other_parameter")]
        if distributed:
            dist.broadcast_object_list(state, src=0)
            state = [_on_device(part, self.device) for part in state]
        self.model.load_state_dict(state[0])
        self.model.load_other_parameter(state[1])

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
            self._mask_non_candidates(scores)
            self.eval_collector.eval_batch_collect(scores, interaction, target_rows, target_items)
        self.eval_collector.model_collect(self.model)
        result = self.evaluator.evaluate(self.eval_collector.get_data_struct())
        self.wandblogger.log_eval_metrics(result, head="eval")
        return result

    def _full_sort_batch_eval(self, batched_data):
        """RecBole's full-sort batch, with the items outside the split's candidates masked (``cold_items``)."""
        interaction, scores, positive_u, positive_i = super()._full_sort_batch_eval(batched_data)
        return interaction, self._mask_non_candidates(scores), positive_u, positive_i

    def _mask_non_candidates(self, scores):
        """Set, in place, the scores of the items this evaluation leaves out to -inf, as RecBole does with history.

        The one place both full-sort paths (RecBole's loaders and the fast loader) restrict the
        ranking to the split's candidates: the held-out videos under ``cold_items`` with
        ``cold_candidates: cold``; otherwise nothing is masked.
        """
        if self._non_candidates is not None:
            scores.masked_fill_(self._non_candidates, -torch.inf)
        return scores


class _NoWriter:
    """TensorBoard's ``SummaryWriter`` that writes nothing (a distributed run's ranks but 0)."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _on_device(value, device):
    """``value`` (a tensor, or a dict of them, or None) with its tensors moved to ``device``."""
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return type(value)((key, _on_device(item, device)) for key, item in value.items())
    return value


def evaluation_positions(eval_data):
    """The indices of ``eval_data``'s rows (users, for full ranking) this rank evaluates, in order.

    RecBole's distributed eval loader draws them with a DistributedSampler (no shuffling): rank r
    of k gets rows r, r + k, ..., padded with the first rows so every rank has as many; the
    evaluator drops the padding when it gathers (:func:`recbole_vagnn.evaluator.evaluator.gather_rows`).
    """
    sampler = getattr(eval_data, "sampler", None)
    if sampler is None:
        return None
    return torch.as_tensor(list(iter(sampler)), dtype=torch.long)


class Trainer(PluginTrainerMixin, RecBoleTrainer):
    """RecBole's ``Trainer`` for general recommenders (VAGNN, SimGCL, GTN, LightGCN, NGCF, SGL...)."""


_TRAINERS = {RecBoleTrainer: Trainer}


def get_trainer(model_type, model_name):
    """RecBole's trainer for the model with :class:`PluginTrainerMixin` mixed in (same name, one class per base)."""
    base = recbole_get_trainer(model_type, model_name)
    if base not in _TRAINERS:
        _TRAINERS[base] = type(base.__name__, (PluginTrainerMixin, base), {"__module__": __name__})
    return _TRAINERS[base]
