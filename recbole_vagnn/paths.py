"""Where the package's defaults and datasets live, and what a dataset name may be.

Plumbing below the config and the commands: it imports neither RecBole nor torch, so that a
command's ``--help`` stays fast.
"""

import importlib.resources
import os
from pathlib import Path

from recbole_vagnn.errors import ConfigError

DEFAULT_DATASET = "vagnn-demo"
EMBEDDED_DATA_DIR = Path(__file__).resolve().parent / "dataset_example"


def _properties_dir():
    """The defaults: ``recbole_vagnn/properties`` in an installed wheel, ``properties/`` in a checkout."""
    packaged = Path(str(importlib.resources.files("recbole_vagnn"))) / "properties"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "properties"


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


def dataset_dir(data_path, dataset):
    """Folder RecBole reads ``dataset`` from.

    With no ``data_path`` given, RecBole's default ``dataset/`` is used, and a dataset missing
    there is taken from the datasets shipped inside this package (the embedded demo data).
    """
    folder = Path(data_path or "dataset/") / check_dataset_name(dataset)
    if data_path is None and not folder.is_dir() and (EMBEDDED_DATA_DIR / dataset).is_dir():
        folder = EMBEDDED_DATA_DIR / dataset
    return folder


def missing_dataset_error(dataset, folder):
    """The :class:`ConfigError` for a dataset whose folder does not exist, naming the commands that make one."""
    return ConfigError(
        f"dataset '{dataset}' not found: no folder {Path(folder).resolve()}. Convert raw data with "
        f"'recbole-vagnn convert wechat RAW {Path(folder).parent} --name {dataset}' (or takatak / authors), or "
        f"generate one with 'recbole-vagnn synthetic {Path(folder).parent} --name {dataset}', and pass --data_path "
        "if it lies elsewhere"
    )


def config_file_path(file):
    """Where a ``--config_files`` entry is read from: the path itself, or for a ``properties/...`` path that does
    not exist from the working folder, the package's own properties (so ``properties/presets/X.yaml`` works anywhere)."""
    path = Path(file)
    if not path.exists() and path.parts[:1] == ("properties",):
        return PROPERTIES_DIR.joinpath(*path.parts[1:])
    return path


def tuning_space_file(model):
    """``properties/tuning/MODEL.yaml``: the model's key hyper-parameters and their search grids."""
    return PROPERTIES_DIR / "tuning" / f"{model}.yaml"
