"""Model and trainer look-up (as ``recbole.utils``): this package first, RecBole second."""

import difflib
import importlib
import re
from pathlib import Path

from recbole_vagnn.errors import ConfigError
from recbole_vagnn.trainer import get_trainer  # noqa: F401 - RecBole keeps get_trainer beside get_model

RECBOLE_MODEL_PACKAGES = (
    "general_recommender",
    "context_aware_recommender",
    "sequential_recommender",
    "knowledge_aware_recommender",
    "exlib_recommender",
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
