"""Model and trainer look-up: this package first, RecBole second."""

import difflib
import importlib
import re
import time
from pathlib import Path

import torch
from recbole.utils import get_trainer as recbole_get_trainer

from recbole_vagnn.checkpoint import checkpoint_state, data_digest, load_checkpoint
from recbole_vagnn.errors import CheckpointError, ConfigError


RECBOLE_MODEL_PACKAGES = (
    "general_recommender", "context_aware_recommender", "sequential_recommender",
    "knowledge_aware_recommender", "exlib_recommender",
)


def _recbole_model_files():
    """``{class name: module path}`` of RecBole's models, read from its source without importing."""
    import recbole.model

    models = {}
    for package in RECBOLE_MODEL_PACKAGES:
        for file in sorted((Path(recbole.model.__file__).parent / package).glob("*.py")):
            for name in re.findall(r"^class (\w+)\(", file.read_text(encoding="utf-8"), flags=re.MULTILINE):
                if name.lower() == file.stem:
                    models[name] = f"recbole.model.{package}.{file.stem}"
    return models


def available_models():
    """Names of every model :func:`get_model` can return: this package's, then RecBole's."""
    from recbole_vagnn import model as package_models

    return list(package_models.__all__) + sorted(_recbole_model_files())


def get_model(model_name):
    """Return the model class named ``model_name`` from ``recbole_vagnn.model`` or RecBole.

    An unknown name raises :class:`ConfigError` with the closest names; a RecBole model whose
    optional dependency is missing (e.g. LightGBM) names that dependency.
    """
    module = importlib.import_module("recbole_vagnn.model")
    if model_name in module.__all__:
        return getattr(module, model_name)
    recbole_models = _recbole_model_files()
    if model_name not in recbole_models:
        close = difflib.get_close_matches(model_name, available_models(), n=3, cutoff=0.5)
        close += [name for name in available_models() if name.lower() == str(model_name).lower()]
        hint = f" (did you mean {', '.join(dict.fromkeys(close))}?)" if close else ""
        raise ConfigError(f"unknown model '{model_name}'{hint}; available: {', '.join(available_models())}")
    try:
        return getattr(importlib.import_module(recbole_models[model_name]), model_name)
    except ModuleNotFoundError as error:
        raise ConfigError(f"model '{model_name}' needs the package '{error.name}', which is not installed") from error


class PluginTrainerMixin:
    """Trainer additions: seconds per training epoch, and checkpoints without pickled objects.

    ``epoch_seconds`` lists the wall-clock seconds of every training epoch (evaluation excluded).
    Checkpoints hold tensors and plain values only (:mod:`recbole_vagnn.checkpoint`), so they
    load with ``torch.load(weights_only=True)``; evaluating or resuming loads them that way.
    Importing RecBole or this package changes nothing globally.
    """

    def __init__(self, config, model):
        super().__init__(config, model)
        self.epoch_seconds = []
        self._data_sha256 = None

    def _train_epoch(self, *args, **kwargs):
        start = time.perf_counter()
        loss = super()._train_epoch(*args, **kwargs)
        self.epoch_seconds.append(time.perf_counter() - start)
        return loss

    def _save_checkpoint(self, epoch, verbose=True, **kwargs):
        if not self.config["single_spec"] and self.config["local_rank"] != 0:
            return
        if self._data_sha256 is None:
            self._data_sha256 = data_digest(self.config["data_path"], self.config["dataset"])
        state = checkpoint_state(
            self.config, self.model, self.optimizer, self._data_sha256,
            epoch=epoch, cur_step=self.cur_step, best_valid_score=self.best_valid_score,
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
        if eval_data and load_best_model:
            checkpoint_file = model_file or self.saved_model_file
            checkpoint = load_checkpoint(checkpoint_file, map_location=self.device)
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
