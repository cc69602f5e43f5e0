"""Model and trainer look-up (as ``recbole.utils``): this package first, RecBole second."""

import importlib

from recbole_vagnn.utils.errors import ConfigError
from recbole_vagnn.utils.paths import PACKAGE_MODELS, recbole_model_files, unknown_model_error


def get_model(model_name):
    """Return the model class named ``model_name`` from ``recbole_vagnn.model`` or RecBole.

    An unknown name raises :class:`ConfigError` with the closest names; a RecBole model whose
    optional dependency is missing (e.g. LightGBM) names that dependency.
    """
    if model_name in PACKAGE_MODELS:
        return getattr(importlib.import_module("recbole_vagnn.model"), model_name)
    error = unknown_model_error(model_name)
    if error:
        raise error
    try:
        return getattr(importlib.import_module(recbole_model_files()[model_name]), model_name)
    except ModuleNotFoundError as error:
        raise ConfigError(f"model '{model_name}' needs the package '{error.name}', which is not installed") from error


def get_trainer(model_type, model_name):
    """RecBole's trainer for the model with this package's additions (:func:`recbole_vagnn.trainer.get_trainer`);
    kept here beside :func:`get_model`, as RecBole keeps it."""
    from recbole_vagnn.trainer.trainer import get_trainer as plugin_trainer

    return plugin_trainer(model_type, model_name)
