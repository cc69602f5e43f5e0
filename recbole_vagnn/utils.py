"""Model and trainer look-up: this package first, RecBole second."""

import importlib
import time

import torch
from recbole.utils import get_model as recbole_get_model
from recbole.utils import get_trainer as recbole_get_trainer


def get_model(model_name):
    """Return the model class named ``model_name`` from ``recbole_vagnn.model`` or RecBole."""
    module = importlib.import_module("recbole_vagnn.model")
    if hasattr(module, model_name):
        return getattr(module, model_name)
    return recbole_get_model(model_name)


class PluginTrainerMixin:
    """Trainer additions: seconds per training epoch, and checkpoints that reload on torch >= 2.6.

    ``epoch_seconds`` lists the wall-clock seconds of every training epoch (evaluation excluded).

    Checkpoints are loaded with ``weights_only=False``:
    RecBole 1.2.1 stores its ``Config`` object inside every checkpoint, and since torch 2.6
    ``torch.load`` refuses such files by default (``weights_only=True``). These checkpoints are
    written by the same run (or a resumed run of the same user), so they are trusted. The fix is
    scoped to the trainer classes this package hands out: importing RecBole or this package
    changes nothing globally.
    """

    def __init__(self, config, model):
        super().__init__(config, model)
        self.epoch_seconds = []

    def _train_epoch(self, *args, **kwargs):
        start = time.perf_counter()
        loss = super()._train_epoch(*args, **kwargs)
        self.epoch_seconds.append(time.perf_counter() - start)
        return loss

    def _load_trusted_checkpoint(self, checkpoint_file):
        return torch.load(checkpoint_file, map_location=self.device, weights_only=False)

    def evaluate(self, eval_data, load_best_model=True, model_file=None, show_progress=False):
        if eval_data and load_best_model:
            checkpoint_file = model_file or self.saved_model_file
            checkpoint = self._load_trusted_checkpoint(checkpoint_file)
            self.model.load_state_dict(checkpoint["state_dict"])
            self.model.load_other_parameter(checkpoint.get("other_parameter"))
            self.logger.info(f"Loading model structure and parameters from {checkpoint_file}")
        return super().evaluate(
            eval_data, load_best_model=False, model_file=model_file, show_progress=show_progress
        )


_TRAINER_CACHE = {}


def get_trainer(model_type, model_name):
    """Return RecBole's trainer for the model with :class:`PluginTrainerMixin` mixed in."""
    base = recbole_get_trainer(model_type, model_name)
    if base not in _TRAINER_CACHE:
        _TRAINER_CACHE[base] = type(base.__name__, (PluginTrainerMixin, base), {})
    return _TRAINER_CACHE[base]
