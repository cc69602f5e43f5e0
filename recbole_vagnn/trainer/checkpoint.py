"""Checkpoints that load without running code from the file.

RecBole 1.2.1 pickles its ``Config`` object into every checkpoint, so loading one needs
``torch.load(weights_only=False)``, which runs whatever code the file names. This package's
trainers (:func:`recbole_vagnn.utils.utils.get_trainer`) save only tensors and plain values instead,
and every load here uses ``weights_only=True``:

- ``format``: :data:`FORMAT`; ``config``: every final config value as plain data (enums and
  devices as strings); ``external_config``: the values the user set (files, ``config_dict``,
  command line), enough to rebuild the run's ``Config``;
- ``data_sha256``: :func:`data_digest` of the dataset files it was trained on;
- RecBole's own ``epoch``, ``cur_step``, ``best_valid_score``, ``state_dict``,
  ``other_parameter`` and ``optimizer``, so RecBole's resume logic reads it unchanged, and
  ``recent_valid_scores``: the last validation scores the early-stopping rule averages over
  (``stopping_window``), so a resumed run stops where it would have, and ``run_record``: the
  run up to the checkpoint (:data:`recbole_vagnn.trainer.trainer.RUN_RECORD`: steps, epoch times, curves,
  the kept validation's result; per-user values as float tensors), so a resumed run reports the
  whole run.

A file that needs ``weights_only=False`` (a checkpoint written by RecBole itself, or anything
else) is refused unless the caller passes ``trust=True`` (``--trust_checkpoint`` on the command
line).
"""

import enum
import hashlib
import numbers
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch

from recbole_vagnn.utils.errors import CheckpointError

FORMAT = "recbole-vagnn checkpoint 1"


def data_digest(folder, dataset):
    """SHA-256 over the names and bytes of the dataset's atomic files ``folder/dataset.*``."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob(f"{dataset}.*")):
        digest.update(path.name.encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def plain(value):
    """``value`` as data ``torch.load(weights_only=True)`` accepts: containers, numbers, strings, tensors."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(item) for item in value]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):  # numpy scalars too: torch refuses to unpickle them
        return float(value)
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, enum.Enum):
        return value.name
    return str(value)


def checkpoint_state(config, model, optimizer, data_sha256, **progress):
    """The dict a trainer saves: see the module docstring; ``progress`` holds epoch, cur_step, best_valid_score, recent_valid_scores, run_record."""
    return {
        "format": FORMAT,
        "config": plain(config.final_config_dict),
        "external_config": plain(config.external_config_dict),
        "data_sha256": data_sha256,
        **{key: plain(value) for key, value in progress.items()},
        "state_dict": model.state_dict(),
        "other_parameter": model.other_parameter(),
        "optimizer": optimizer.state_dict(),
    }


def check_model_file(path):
    """``path`` as a Path if it is a file; a folder is refused with the checkpoints it holds, newest first."""
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("*.pth"), key=lambda file: file.stat().st_mtime, reverse=True)
        listed = ", ".join(str(file) for file in found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise CheckpointError(
            f"{path} is a folder, not a checkpoint file: "
            + (f"give one of its checkpoints (newest first): {listed}" if found else "it holds no .pth checkpoint")
        )
    if not path.is_file():
        raise CheckpointError(f"{path}: file not found")
    return path


def per_user_tensor(values):
    """Per-user values (one list, or a list of lists) as a float64 tensor; as they are where any is missing (None).

    A checkpoint holds them so: pickled as Python floats, 300 validations of 6,143 users took 4.4 s
    at every save, as one tensor 0.2 s.
    """
    if values is None or len(values) == 0 or any(row is None for row in values):
        return values
    return torch.as_tensor(np.asarray(values, dtype=np.float64))


def load_checkpoint(path, map_location="cpu", trust=False):
    """Load a checkpoint with ``weights_only=True``; see the module docstring for ``trust``."""
    path = check_model_file(path)
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path}: not a model checkpoint (torch.save writes a zip archive; this is none)")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        if "Weights only load failed" not in str(error):
            raise CheckpointError(f"{path}: not a model checkpoint ({' '.join(str(error).split())[:120]})") from error
        if not trust:
            raise CheckpointError(
                f"{path}: not a recbole-vagnn checkpoint: it stores Python objects, and loading them would run "
                "code from the file. If you trust its source (e.g. a checkpoint written by RecBole itself), "
                "pass --trust_checkpoint (trust=True)"
            ) from error
        checkpoint = torch.load(path, map_location=map_location, weights_only=False)
    except (RuntimeError, EOFError, OSError, ValueError, KeyError) as error:
        raise CheckpointError(f"{path}: not a model checkpoint ({' '.join(str(error).split())[:120]})") from error
    if not (isinstance(checkpoint, dict) and "state_dict" in checkpoint and "config" in checkpoint):
        raise CheckpointError(f"{path}: not a model checkpoint (no state_dict and config)")
    return checkpoint
