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
  ``other_parameter`` and ``optimizer``, so RecBole's resume logic reads it unchanged
  (``other_parameter`` through :func:`plain_other_parameter`: the NumPy arrays and SciPy sparse
  matrices of the traditional models, ItemKNN's ``w``, EASE's ``item_similarity``, kept as tensors
  and turned back by :func:`load_checkpoint`), and
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
import scipy.sparse as sp
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


KIND = "__recbole_vagnn_kind__"
"""The key that marks a dict of :func:`plain_other_parameter` as an encoded object (its kind as value)."""


def _encode(value, submodules, where):
    """``value`` with every NumPy and SciPy object as tensors and plain values (see :func:`plain_other_parameter`)."""
    if isinstance(value, np.generic):  # a NumPy scalar (np.float64 is a float too): torch refuses to unpickle it
        return value.item()
    if value is None or isinstance(value, (torch.Tensor, str, bool, int, float, torch.Size)):
        return value
    if sp.issparse(value):  # before dict: a dok_matrix is one
        return _encode_sparse(value)
    if isinstance(value, dict):
        return {
            _encode(key, submodules, where): _encode(item, submodules, f"{where}[{key!r}]")
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_encode(item, submodules, f"{where}[{index}]") for index, item in enumerate(value))
    if isinstance(value, np.matrix):  # EASE's item_similarity: a matrix multiplies as one, not elementwise
        return {**_encode(np.asarray(value), submodules, where), "matrix": True}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufc":
            try:
                return {KIND: "ndarray", "values": torch.from_numpy(np.ascontiguousarray(value))}
            except TypeError:  # a dtype torch has no tensor of
                pass
        items = [_encode(item, submodules, f"{where}[{i}]") for i, item in enumerate(value.ravel().tolist())]
        shape = [int(size) for size in value.shape]
        return {KIND: "ndarray_list", "values": items, "dtype": value.dtype.str, "shape": shape}
    if isinstance(value, torch.nn.Module) and any(value is module for module in submodules):
        return {KIND: "submodule"}  # its weights are in the model's state_dict already
    raise CheckpointError(
        f"the model keeps {where} as a {type(value).__module__}.{type(value).__qualname__}, which this package's "
        "checkpoints (tensors and plain values, loaded without unpickling code) cannot hold; run with saved=False"
    )


def _encode_sparse(value):
    """A SciPy sparse matrix or array: csr and csc as they are, any other format through coo."""
    form = value.format
    kind = "sparse_array" if isinstance(value, sp.sparray) else "sparse_matrix"
    if form in ("csr", "csc"):
        parts = {"indices": value.indices, "indptr": value.indptr, "data": value.data}
    else:
        coo = value.tocoo()
        parts = {"row": coo.row, "col": coo.col, "data": coo.data}
    parts = {name: torch.from_numpy(np.ascontiguousarray(part)) for name, part in parts.items()}
    return {KIND: kind, "format": form, "shape": [int(size) for size in value.shape], **parts}


def plain_other_parameter(model):
    """RecBole's ``model.other_parameter()`` as data ``torch.load(weights_only=True)`` accepts.

    Tensors and plain values stay as they are; a NumPy array becomes a tensor, a SciPy sparse
    matrix (or array) its index and data tensors, a NumPy scalar a Python number, each in a dict
    marked with :data:`KIND`; a module of the model itself (the feature embedding layer of
    SASRecF, FDSA, DIN...) is marked only, its weights being in ``state_dict``. Anything else is a
    :class:`~recbole_vagnn.utils.errors.CheckpointError`. :func:`restore_other_parameter` turns it back.
    """
    submodules = list(model.modules())
    return {key: _encode(value, submodules, key) for key, value in model.other_parameter().items()}


def _decode_array(value):
    items = [_decode(item) for item in value["values"]]
    if value["dtype"] != np.dtype(object).str:
        return np.array(items, dtype=np.dtype(value["dtype"])).reshape(value["shape"])
    array = np.empty(len(items), dtype=object)  # item by item: lists stay objects, not a new axis
    array[:] = items
    return array.reshape(value["shape"])


def _decode_sparse(value):
    parts = {name: part.cpu().numpy() for name, part in value.items() if isinstance(part, torch.Tensor)}
    shape, form, kind = tuple(value["shape"]), value["format"], value[KIND].split("_")[1]  # "matrix" or "array"
    if form in ("csr", "csc"):
        return getattr(sp, f"{form}_{kind}")((parts["data"], parts["indices"], parts["indptr"]), shape=shape)
    return getattr(sp, f"coo_{kind}")((parts["data"], (parts["row"], parts["col"])), shape=shape).asformat(form)


def _decode(value):
    """:func:`_encode` undone."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_decode(item) for item in value)
    if not isinstance(value, dict) or sp.issparse(value):  # a trusted RecBole checkpoint's dok_matrix is a dict
        return value
    kind = value.get(KIND)
    if kind is None:
        return {key: _decode(item) for key, item in value.items()}
    if kind in ("ndarray", "ndarray_list"):
        array = value["values"].cpu().numpy() if kind == "ndarray" else _decode_array(value)
        return np.asmatrix(array) if value.get("matrix") else array
    if kind in ("sparse_matrix", "sparse_array"):
        return _decode_sparse(value)
    raise CheckpointError(
        f"other_parameter holds an object of unknown kind {kind!r}: written by a newer recbole-vagnn?"
    )


def restore_other_parameter(stored):
    """:func:`plain_other_parameter`'s dict turned back into NumPy and SciPy objects, as ``model.load_other_parameter`` takes it.

    The model's own modules, marked only, are left out: ``load_state_dict`` restores them. A dict
    without marks (a RecBole checkpoint loaded with ``trust``) comes back as it is.
    """
    if stored is None:
        return None
    return {
        key: _decode(value)
        for key, value in stored.items()
        if not (isinstance(value, dict) and value.get(KIND) == "submodule")
    }


def checkpoint_state(config, model, optimizer, data_sha256, **progress):
    """The dict a trainer saves: see the module docstring; ``progress`` holds epoch, cur_step, best_valid_score, recent_valid_scores, run_record."""
    return {
        "format": FORMAT,
        "config": plain(config.final_config_dict),
        "external_config": plain(config.external_config_dict),
        "data_sha256": data_sha256,
        **{key: plain(value) for key, value in progress.items()},
        "state_dict": model.state_dict(),
        "other_parameter": plain_other_parameter(model),
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
    """Load a checkpoint with ``weights_only=True``; see the module docstring for ``trust``.

    Its ``other_parameter`` comes back as ``model.load_other_parameter`` takes it
    (:func:`restore_other_parameter`).
    """
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
    checkpoint["other_parameter"] = restore_other_parameter(checkpoint.get("other_parameter"))
    return checkpoint
