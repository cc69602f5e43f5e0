"""``create_dataset`` that picks the tripartite dataset class when the data is tripartite."""

import importlib
import os
import pickle
from logging import getLogger
from pathlib import Path

from recbole.data import create_dataset as recbole_create_dataset
from recbole.utils import ModelType, set_color
from recbole.utils.argument_list import dataset_arguments

from recbole_vagnn.data.dataset.tripartite_dataset import TripartiteDataError, tripartite_class
from recbole_vagnn.utils.errors import ConfigError

EMPTY_AFTER_FILTERING = "Some feat is empty, please check the filtering settings."
"""RecBole's ``Dataset._reset_index`` message when its filtering settings leave a feat without rows."""
FILTER_KEYS = ("val_interval", "user_inter_num_interval", "item_inter_num_interval")
"""RecBole's keys that drop interactions, users or items while a dataset loads."""
TRIPARTITE_DATASET_ARGUMENTS = ("VLOGGER_ID_FIELD", "tripartite")
"""Keys a tripartite dataset reads while it loads, beside RecBole's ``dataset_arguments``."""


def recbole_dataset_class(config):
    """The class RecBole 1.2.1's ``create_dataset`` builds for ``config`` (its lines, without building it)."""
    dataset_module = importlib.import_module("recbole.data.dataset")
    if hasattr(dataset_module, config["model"] + "Dataset"):
        return getattr(dataset_module, config["model"] + "Dataset")
    type2class = {
        ModelType.GENERAL: "Dataset",
        ModelType.SEQUENTIAL: "SequentialDataset",
        ModelType.CONTEXT: "Dataset",
        ModelType.KNOWLEDGE: "KnowledgeBasedDataset",
        ModelType.TRADITIONAL: "Dataset",
        ModelType.DECISIONTREE: "Dataset",
    }
    return getattr(dataset_module, type2class[config["MODEL_TYPE"]])


def create_dataset(config):
    """Build the dataset for ``config``, as RecBole's ``create_dataset``.

    Tripartite datasets (``tripartite: True``, set automatically for folders with ``NAME.uvl``)
    load through the tripartite class of the one RecBole would build
    (:func:`recbole_vagnn.data.dataset.tripartite_dataset.tripartite_class`: a
    ``TripartiteDataset`` for general and context-aware models, a ``TripartiteSequentialDataset``
    for sequential ones), so that every model sees the very same users, videos and split. As in
    RecBole, ``save_dataset: True`` pickles the filtered dataset into
    ``checkpoint_dir/NAME-CLASS.pth``, and a run whose ``dataset_save_path`` (or that default
    file) exists loads it from there when the dataset's settings and its atomic files (size and
    time) are unchanged, with this run's config (its split and user-vlogger settings). Anything
    else goes through RecBole's ``create_dataset``.

    Filtering settings that leave no interactions (``user_inter_num_interval: "[1000,inf)"``)
    raise :class:`~recbole_vagnn.utils.errors.ConfigError` naming them.
    """
    try:
        if not config["tripartite"]:
            return recbole_create_dataset(config)
        return _create_tripartite(config)
    except ValueError as error:
        if str(error) != EMPTY_AFTER_FILTERING:
            raise
        settings = ", ".join(
            f"{key} {config[key]!r}" for key in FILTER_KEYS if config[key] not in (None, "", "[0,inf)", "[0, inf)")
        )
        raise ConfigError(
            f"dataset '{config['dataset']}': no interactions are left after loading and filtering"
            + (f" (RecBole's filtering settings: {settings}); widen or remove them" if settings else "")
        ) from error


def _source_files(config):
    """``{file name: (size, modification time)}`` of the dataset's atomic files: a saved dataset is reused only for the same files."""
    folder = Path(config["data_path"])
    return {
        path.name: (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.glob(f"{config['dataset']}.*"))
    }


def _create_tripartite(config):
    dataset_class = tripartite_class(recbole_dataset_class(config), config["model"])
    default_file = os.path.join(config["checkpoint_dir"], f"{config['dataset']}-{dataset_class.__name__}.pth")
    file = config["dataset_save_path"] or default_file
    if os.path.exists(file):
        dataset = _saved_dataset(file, dataset_class, config)
        if dataset is not None:
            return dataset
    dataset = dataset_class(config)
    if config["save_dataset"]:
        dataset.source_files = _source_files(config)
        dataset.save()
    return dataset


def _saved_dataset(file, dataset_class, config):
    """The dataset RecBole's ``Dataset.save`` pickled into ``file``, or None where it was built otherwise (rebuilt then)."""
    logger = getLogger()
    with open(file, "rb") as handle:
        try:
            dataset = pickle.load(handle)  # RecBole's format: a pickled Dataset, as its create_dataset loads it
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError) as error:
            raise TripartiteDataError(
                f"{file}: not a dataset saved by save_dataset ({' '.join(str(error).split())[:120]}); "
                "delete it or point dataset_save_path elsewhere"
            ) from error
    if not isinstance(dataset, dataset_class):
        raise TripartiteDataError(
            f"{file}: holds a {type(dataset).__name__}, and {config['model']} needs a {dataset_class.__name__}; "
            "delete it or point dataset_save_path elsewhere"
        )
    keys = [*dataset_arguments, *TRIPARTITE_DATASET_ARGUMENTS, "seed", "repeatable"]
    changed = [key for key in keys if config[key] != dataset.config[key]]
    reasons = [f"with other {', '.join(changed)}"] if changed else []
    if getattr(dataset, "source_files", None) != _source_files(config):
        reasons.append("from other atomic files (their size or time differs)")
    if reasons:
        logger.warning(f"{file} was saved {' and '.join(reasons)}: the dataset is built from its files again")
        return None
    logger.info(set_color("Load filtered dataset from", "pink") + f": [{file}]")
    dataset.config = config  # the same dataset settings; the split and the relation follow this run's
    return dataset
