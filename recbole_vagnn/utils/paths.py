"""Where the package's defaults and datasets live, and what a dataset name may be.

Plumbing below the config and the commands: it imports neither RecBole nor torch, so that a
command's ``--help`` stays fast.
"""

import difflib
import importlib.resources
import importlib.util
import os
import re
from pathlib import Path

from recbole_vagnn.utils.errors import ConfigError

DEFAULT_DATASET = "vagnn-demo"
EMBEDDED_DATA_DIR = Path(__file__).resolve().parent.parent / "dataset_example"


def _properties_dir():
    """The defaults: ``recbole_vagnn/properties`` in an installed wheel, ``properties/`` in a checkout."""
    packaged = Path(str(importlib.resources.files("recbole_vagnn"))) / "properties"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "properties"


PROPERTIES_DIR = _properties_dir()


def check_dataset_name(name, what="dataset name"):
    """Raise :class:`ConfigError` unless ``name`` is a plain file name (files are ``NAME/NAME.inter``, ...)."""
    name = str(name)
    if not name or name in (".", "..") or name != Path(name).name or os.sep in name or "/" in name or "\0" in name:
        raise ConfigError(
            f"{what} '{name}' is not a plain file name: the files are NAME/NAME.inter, ... so it may not contain "
            "'/' or be '.' or '..'; give the folder that holds the dataset folder as --data_path instead"
        )
    return name


def recbole_dataset_example():
    """RecBole's shipped datasets (``recbole/dataset_example``: ``ml-100k``), found without importing RecBole; None if absent."""
    spec = importlib.util.find_spec("recbole")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "dataset_example"
        if path.is_dir():
            return path
    return None


def dataset_dir(data_path, dataset):
    """Folder RecBole reads ``dataset`` from.

    ``data_path/NAME`` where it exists. With no ``data_path`` given, RecBole's default ``dataset/``
    is used, and a dataset missing there is taken from the datasets shipped inside this package
    (the embedded demo data). A dataset that RecBole ships (``recbole/dataset_example``:
    ``ml-100k``) and no ``data_path`` holds is RecBole's copy, as in RecBole, whose ``Config``
    reads ``ml-100k`` from there whatever ``data_path`` says (a ``data_path`` that holds its own
    ``ml-100k`` is read here instead).
    """
    folder = Path(data_path or "dataset/") / check_dataset_name(dataset)
    if folder.is_dir():
        return folder
    if data_path is None and (EMBEDDED_DATA_DIR / dataset).is_dir():
        return EMBEDDED_DATA_DIR / dataset
    shipped = recbole_dataset_example()
    if shipped is not None and (shipped / dataset).is_dir():
        return shipped / dataset
    return folder


def datasets_in(folder):
    """The dataset names under ``folder``: its subfolders ``NAME`` holding ``NAME.inter``."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(sub.name for sub in folder.iterdir() if (sub / f"{sub.name}.inter").is_file())


def missing_dataset_error(dataset, folder):
    """The :class:`ConfigError` for a dataset whose folder does not exist: the datasets that do, the commands that make one."""
    folder, parent = Path(folder), Path(folder).parent
    found = datasets_in(parent)
    close = difflib.get_close_matches(str(dataset), found, n=1, cutoff=0.6)
    there = (
        f"{parent} holds {', '.join(found)}" + (f" (did you mean {close[0]}?)" if close else "")
        if found
        else f"{parent} holds no dataset"
    )
    return ConfigError(
        f"dataset '{dataset}' not found: no folder {folder.resolve()}; {there}. Convert raw data with "
        f"'recbole-vagnn convert table {parent} --name {dataset} --interactions FILE --items FILE' (or wechat / "
        f"takatak / authors), or generate one with 'recbole-vagnn synthetic {parent} --name {dataset}', and pass "
        "--data_path if it lies elsewhere"
    )


def config_file_path(file):
    """Where a ``--config_files`` entry is read from: the path itself, or for a ``properties/...`` path that does
    not exist from the working folder, the package's own properties (so ``properties/presets/X.yaml`` works anywhere)."""
    path = Path(file)
    if not path.exists() and path.parts[:1] == ("properties",):
        return PROPERTIES_DIR.joinpath(*path.parts[1:])
    return path


# recbole_vagnn.model.__all__, named here without importing it
PACKAGE_MODELS = ("CreatorAffinity", "CreatorPop", "GTN", "SimGCL", "VAGNN")
RECBOLE_MODEL_PACKAGES = (
    "general_recommender",
    "context_aware_recommender",
    "sequential_recommender",
    "knowledge_aware_recommender",
    "exlib_recommender",
)
OPTIONAL_PACKAGES = {"LightGBM": "lightgbm", "XGBoost": "xgboost"}  # RecBole models that import one when loaded


def recbole_model_files():
    """``{class name: module path}`` of RecBole's models, read from its source files without importing RecBole."""
    spec = importlib.util.find_spec("recbole")
    root = Path(next(iter(spec.submodule_search_locations))) / "model"
    models = {}
    for package in RECBOLE_MODEL_PACKAGES:
        for file in sorted((root / package).glob("*.py")):
            for name in re.findall(r"^class (\w+)\(", file.read_text(encoding="utf-8"), flags=re.MULTILINE):
                if name.lower() == file.stem:
                    models[name] = f"recbole.model.{package}.{file.stem}"
    return models


def unknown_model_error(name):
    """A :class:`ConfigError` for a model name that is no model, or None if it is one (no torch, no RecBole import).

    The closest names come first; RecBole's models whose optional package is not installed are
    left out of the list.
    """
    recbole = recbole_model_files()
    if name in PACKAGE_MODELS or name in recbole:
        return None
    usable = list(PACKAGE_MODELS) + sorted(
        model for model in recbole if importlib.util.find_spec(OPTIONAL_PACKAGES.get(model, "os")) is not None
    )
    close = [model for model in usable if model.lower() == str(name).lower()]
    close += difflib.get_close_matches(str(name), usable, n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(dict.fromkeys(close))}?)" if close else ""
    return ConfigError(f"unknown model '{name}'{hint}; available: {', '.join(usable)}")


def tuning_space_file(model):
    """``properties/tuning/MODEL.yaml``: the model's key hyper-parameters and their search grids."""
    return PROPERTIES_DIR / "tuning" / f"{model}.yaml"


def tuning_grids(model):
    """``properties/tuning/MODEL.yaml`` as a list of grids (config key -> list of values).

    The file holds one grid (a mapping) or a list of grids, which tuning's trials take in turn.
    A model without the file has no grid: ``[]``.
    """
    import yaml

    path = tuning_space_file(model)
    if not path.is_file():
        return []
    space = yaml.safe_load(path.read_text(encoding="utf-8"))
    grids = space if isinstance(space, list) else [space]
    if not (
        grids and all(isinstance(g, dict) and g and all(isinstance(v, list) and v for v in g.values()) for g in grids)
    ):
        raise ConfigError(
            f"{path}: a search space is a grid of 'key: [value, ...]' lines, or a list of such grids, "
            "each key with at least one value"
        )
    return grids
