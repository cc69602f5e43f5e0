"""RecBole ``Config`` that knows this package's models, defaults and embedded datasets.

Defaults are layered, lowest priority first: RecBole's own properties, then this project's
``properties/overall.yaml``, ``properties/dataset/tripartite.yaml`` (the file schema) and
``properties/protocol/paper.yaml`` (the paper's evaluation protocol), both only for tripartite
datasets, i.e. folders holding a ``NAME.uvl`` file, then ``properties/model/MODEL.yaml`` and
``properties/dataset/NAME.yaml``. Config files, ``config_dict`` and the command line override
all of them, exactly as in RecBole.
"""

import os
from pathlib import Path

import yaml
from recbole.config import Config as RecBoleConfig

from recbole_vagnn.config.checks import check_config
from recbole_vagnn.data.dataset.tripartite_dataset import USER_VLOGGER_SUFFIX
from recbole_vagnn.utils import compat
from recbole_vagnn.utils.errors import ConfigError
from recbole_vagnn.utils.paths import (
    DEFAULT_DATASET,
    PROPERTIES_DIR,
    config_file_path,
    dataset_dir,
    missing_dataset_error,
)
from recbole_vagnn.utils.utils import get_model

compat.apply()  # before RecBole's Config runs, the first RecBole code of every run


def is_tripartite(folder, dataset):
    """A tripartite dataset carries explicit user-vlogger interactions in ``NAME.uvl``."""
    return (Path(folder) / f"{dataset}.{USER_VLOGGER_SUFFIX}").is_file()


class Config(RecBoleConfig):
    """RecBole's ``Config`` with this package's model look-up, property files and checks.

    With no dataset named anywhere, the embedded ``vagnn-demo`` dataset is used. A dataset with
    no folder, an unknown model or a bad value (:mod:`recbole_vagnn.config.checks`) raises
    :class:`recbole_vagnn.utils.errors.ConfigError` before any data is loaded.
    """

    def __init__(self, model=None, dataset=None, config_file_list=None, config_dict=None):
        super().__init__(model=model, dataset=dataset, config_file_list=config_file_list, config_dict=config_dict)
        check_config(self)
        self._show_device_used()

    def _show_device_used(self):
        """``use_gpu`` and ``gpu_id`` as RecBole resolved them: a CPU run shows ``use_gpu = False``, no GPU id."""
        on_gpu = self.final_config_dict["device"].type == "cuda"
        self.final_config_dict["use_gpu"] = on_gpu
        if not on_gpu:
            self.final_config_dict["gpu_id"] = None

    def _load_config_files(self, file_list):
        """RecBole's, but an empty file is fine and anything but a mapping is a :class:`ConfigError`.

        A path ``properties/...`` that does not exist from the working directory is read from this
        package's properties (so ``properties/presets/VAGNN-wechat.yaml`` works from any folder).
        """
        file_config_dict = {}
        for file in map(config_file_path, file_list or []):
            with open(file, "r", encoding="utf-8") as handle:
                content = yaml.load(handle.read(), Loader=self.yaml_loader)
            if content is not None and not isinstance(content, dict):
                raise ConfigError(f"{file}: a config file must hold 'key: value' lines, got a {type(content).__name__}")
            file_config_dict.update(content or {})
        return file_config_dict

    def _get_model_and_dataset(self, model, dataset):
        if model is None:
            model = self.external_config_dict.get("model")
        if isinstance(model, str):
            model = get_model(model)
        if dataset is None:
            dataset = self.external_config_dict.get("dataset", DEFAULT_DATASET)
        return super()._get_model_and_dataset(model, dataset)

    def _load_internal_config_dict(self, model, model_class, dataset):
        super()._load_internal_config_dict(model, model_class, dataset)
        folder = dataset_dir(self.external_config_dict.get("data_path"), dataset)
        if not folder.is_dir():
            raise missing_dataset_error(dataset, folder)
        if "data_path" not in self.external_config_dict:
            self.internal_config_dict["data_path"] = str(folder.parent) + os.sep
        layers = [PROPERTIES_DIR / "overall.yaml"]
        if is_tripartite(folder, dataset):  # the file schema, then the paper's evaluation protocol
            layers += [PROPERTIES_DIR / "dataset" / "tripartite.yaml", PROPERTIES_DIR / "protocol" / "paper.yaml"]
        layers += [PROPERTIES_DIR / "model" / f"{model}.yaml", PROPERTIES_DIR / "dataset" / f"{dataset}.yaml"]
        for file in layers:
            if file.is_file():
                self._update_internal_config_dict(str(file))
