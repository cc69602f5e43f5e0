"""RecBole ``Config`` that knows this package's models, defaults and embedded datasets.

Defaults are layered, lowest priority first:

1. RecBole's own properties (``overall.yaml``, the model's, the quick-start files of its model type);
2. ``properties/overall.yaml``, every run: this package's own keys, each at the value under which
   a run is RecBole's (no RecBole key is set there);
3. ``properties/training.yaml``, this package's training defaults (batch 4096, 500 epochs, the
   convergence rule, the windowed early-stopping rule, the fast loader, large evaluation
   batches): for tripartite datasets (folders holding a ``NAME.uvl`` file) and this package's
   models (VAGNN, SimGCL, GTN) only, or as the key ``training_defaults`` says (True: every run,
   as the benchmark sets it; False: none); ``Config.training_defaults`` says whether it applied;
4. ``properties/dataset/tripartite.yaml`` (the file schema) and ``properties/protocol/paper.yaml``
   (the paper's evaluation protocol), both only for tripartite datasets;
5. ``properties/model/MODEL.yaml``, where layer 3 applies (the files of RecBole's models there are
   the comparison's settings on tripartite data);
6. ``properties/dataset/NAME.yaml``, every run.

So a RecBole model on data that is not tripartite runs with RecBole's defaults, loaders and random
streams, and gives plain RecBole's result with the same seed; any key of the upper layers may be
set on such a run too (``--fast_loader=True``). Config files, ``config_dict`` and the command line
override all of them, exactly as in RecBole, and what the user sets there is never changed
afterwards: the convergence rule (:func:`recbole_vagnn.trainer.convergence.apply_training_schedule`)
fills only a ``train_batch_size`` or ``stopping_step`` the user did not set. Two settings follow
RecBole's meaning where RecBole's and this package's differ:

- an explicit ``stopping_step`` with none of this package's stopping keys (``patience_steps``,
  ``min_train_steps``, ``stopping_window``, ``stopping_ties_improve``, ``stopping_margin_se``)
  set is RecBole's early stopping: the last score alone, ties count, no minimum of steps
  (:data:`RECBOLE_STOPPING`); with any of them set, the others keep their defaults;
- a partial ``eval_args`` on tripartite data is merged key by key with the paper protocol's, as
  RecBole merges one with its own defaults (``Config._set_default_parameters``): ``{split: {RS:
  [0.8, 0.1, 0.1]}}`` splits at random but keeps ordering by time, grouping by user and full
  ranking. On other data RecBole's own merge applies.

Distributed runs (``nproc``/``world_size``, :func:`recbole_vagnn.quick_start.run`): RecBole's
``Config._init_device`` joins every process to a NCCL process group on ``cuda:local_rank``; it
knows no CPU path. This package's extension (:meth:`Config._init_device`): where no GPU is
visible (or ``gpu_id`` is empty, or ``use_gpu: False``), each process joins a ``gloo`` process
group on the CPU, with RecBole's ranks, address and meaning of every key; with a GPU, RecBole's
own NCCL path runs unchanged.
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
    PACKAGE_MODELS,
    PROPERTIES_DIR,
    config_file_path,
    dataset_dir,
    missing_dataset_error,
)
from recbole_vagnn.utils.utils import get_model

compat.apply()  # before RecBole's Config runs, the first RecBole code of every run

RECBOLE_STOPPING = {
    "patience_steps": 0,
    "min_train_steps": 0,
    "stopping_window": 1,
    "stopping_ties_improve": True,
    "stopping_margin_se": 0.0,
}
"""This package's stopping keys at RecBole's early stopping: what an explicit ``stopping_step`` alone gets."""


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

    def _init_device(self):
        """RecBole's, plus distributed processes on the CPU: a ``gloo`` process group where no GPU is visible.

        RecBole 1.2.1 starts a distributed process (a config with ``local_rank``, set by
        :func:`recbole_vagnn.quick_start.run_recboles`) on NCCL and ``cuda:local_rank`` only. Where
        ``gpu_id`` is empty, ``use_gpu`` is False or CUDA has no device, this joins the process
        to a ``gloo`` group instead, as RecBole joins NCCL: rank ``local_rank + offset`` of
        ``world_size``, at ``tcp://ip:port``; the device is the CPU, ``single_spec`` False, and
        every rank but 0 logs errors only and shows no progress bar (RecBole's settings for its
        ranks). Everything else (one process, or GPUs) is RecBole's.
        """
        import torch

        final = self.final_config_dict
        gpu_id = final["gpu_id"]
        gpu_id = ",".join(map(str, gpu_id)) if isinstance(gpu_id, (tuple, list)) else str(gpu_id)
        on_cpu = final.get("use_gpu") is False or gpu_id in ("", "None") or not torch.cuda.is_available()
        if "local_rank" not in final or not on_cpu:
            return super()._init_device()
        final["gpu_id"] = gpu_id
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group(
                backend="gloo",
                rank=final["local_rank"] + final["offset"],
                world_size=final["world_size"],
                init_method=f"tcp://{final['ip']}:{final['port']}",
            )
        final["device"] = torch.device("cpu")
        final["single_spec"] = False
        if final["local_rank"] != 0:
            final["state"] = "error"
            final["show_progress"] = False
            final["verbose"] = False

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
        self._dataset_folder = folder
        if "data_path" not in self.external_config_dict:
            self.internal_config_dict["data_path"] = str(folder.parent) + os.sep
        tripartite = is_tripartite(folder, dataset)
        chosen = self.external_config_dict.get("training_defaults")
        self.training_defaults = (tripartite or model in PACKAGE_MODELS) if chosen is None else chosen is True
        layers = [PROPERTIES_DIR / "overall.yaml"]
        if self.training_defaults:
            layers += [PROPERTIES_DIR / "training.yaml"]
        if tripartite:  # the file schema, then the paper's evaluation protocol
            layers += [PROPERTIES_DIR / "dataset" / "tripartite.yaml", PROPERTIES_DIR / "protocol" / "paper.yaml"]
        if self.training_defaults:  # RecBole's models' files here are the comparison's settings on tripartite data
            layers += [PROPERTIES_DIR / "model" / f"{model}.yaml"]
        layers += [PROPERTIES_DIR / "dataset" / f"{dataset}.yaml"]
        for file in layers:
            if file.is_file():
                self._update_internal_config_dict(str(file))
        explicit = self.external_config_dict
        if "stopping_step" in explicit and not set(RECBOLE_STOPPING) & set(explicit):
            self.internal_config_dict.update(RECBOLE_STOPPING)  # RecBole's early stopping for RecBole's key
        self._protocol_eval_args = dict(self.internal_config_dict.get("eval_args") or {}) if tripartite else None

    def _get_final_config_dict(self):
        """RecBole's, with a partial ``eval_args`` on tripartite data merged into the protocol's (module docstring)."""
        final = super()._get_final_config_dict()
        given = self.external_config_dict.get("eval_args")
        if self._protocol_eval_args is not None and isinstance(given, dict):
            final["eval_args"] = {**self._protocol_eval_args, **given}
        return final

    def _set_default_parameters(self):
        """RecBole's, but ``data_path`` is the folder found (RecBole reads ml-100k from its own copy, whatever data_path says)."""
        super()._set_default_parameters()
        recbole_folder = Path(self.final_config_dict["data_path"])
        if recbole_folder.resolve() != self._dataset_folder.resolve():
            self.final_config_dict["data_path"] = str(self._dataset_folder)
