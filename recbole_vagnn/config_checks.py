"""Config values checked before any data is loaded: types, ranges, choices and unknown keys.

Each rule applies when its key is set (not ``None``) in the final config, whatever set it: a
property file, a config file, ``config_dict`` or the command line. Booleans are strict: only
``True``/``False`` (YAML's ``true``/``false``, ``--use_cl=False``) are accepted, never a string
such as ``'no'`` or ``'maybe'``, which Python would take as true. A key that no property file of
RecBole or of this package defines and no code reads gets a warning naming the closest known key.
"""

import difflib
import math
import re
from functools import lru_cache
from logging import getLogger
from pathlib import Path

import yaml

from recbole_vagnn.data.dataset import UVL_RULES
from recbole_vagnn.errors import ConfigError
from recbole_vagnn.model.metapath import DIRECTIONS

BOOLEAN_KEYS = (
    "use_cl",
    "use_vlogger_loss",
    "use_video_view",
    "use_vlogger_view",
    "use_vlogger_score",
    "pool_l2_normalize",
    "require_pow",
    "reproducibility",
    "show_progress",
    "tripartite",
    "save_dataset",
    "save_dataloaders",
    "valid_metric_bigger",
    "use_gpu",
    "fast_loader",
)
INTEGER_AT_LEAST = {
    "epochs": 1,
    "train_batch_size": 1,
    "eval_batch_size": 1,
    "embedding_size": 1,
    "n_layers": 1,
    "eval_step": 1,
    "stopping_step": 1,
    "uvl_min_videos": 0,
    "uvl_min_links": 0,
    "min_epoch_steps": 0,
    "patience_steps": 0,
    "min_train_steps": 0,
}
POSITIVE_NUMBERS = ("learning_rate", "cl_temperature", "ssl_tau", "gtn_beta", "gtn_gamma")
NON_NEGATIVE_NUMBERS = (
    "reg_weight",
    "cl_weight",
    "vlogger_loss_weight",
    "ssl_weight",
    "eps",
    "trend_lambda",
    "weight_decay",
)
PROBABILITIES = ("walk_q1", "walk_q2", "drop_ratio", "prop_dropout", "node_dropout", "message_dropout")
CHOICES = {
    "cl_negatives": ("in_batch", "all"),
    "walk_direction": DIRECTIONS,
    "vlogger_sampling": ("pair", "user"),
    "vlogger_view_graph": ("explicit", "watched"),
    "edge_weight": ("binary", "count"),
    "uvl_rule": UVL_RULES,
}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _problem(key, value):
    """What is wrong with ``key: value``, or None."""
    if key in BOOLEAN_KEYS and not isinstance(value, bool):
        return "must be True or False"
    if key in INTEGER_AT_LEAST:
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= INTEGER_AT_LEAST[key]):
            return f"must be an integer >= {INTEGER_AT_LEAST[key]}"
    if key in POSITIVE_NUMBERS and not (_is_number(value) and value > 0):
        return "must be a number > 0"
    if key in NON_NEGATIVE_NUMBERS and not (_is_number(value) and value >= 0):
        return "must be a number >= 0"
    if key in PROBABILITIES and not (_is_number(value) and 0 <= value <= 1):
        return "must be a number in [0, 1]"
    choices = CHOICES.get(key)
    if choices and value not in choices:
        return f"must be one of {', '.join(map(repr, choices))}"
    return None


def check_values(config_dict):
    """Raise :class:`ConfigError` for the first value that breaks a rule (module docstring)."""
    for key, value in config_dict.items():
        if value is None:
            continue
        problem = _problem(key, value)
        if problem:
            raise ConfigError(f"config '{key}' {problem}, got {value!r}")


# Keys RecBole's command line and distributed setup set without a property file.
RUNTIME_KEYS = {"config_files", "nproc", "ip", "port", "offset", "world_size", "local_rank"}


@lru_cache(maxsize=1)
def _property_keys():
    """Keys set by RecBole's and this package's property files and RecBole's argument lists."""
    import recbole
    from recbole.utils.argument_list import (
        dataset_arguments,
        evaluation_arguments,
        general_arguments,
        training_arguments,
    )

    from recbole_vagnn.config import PROPERTIES_DIR

    keys = set(RUNTIME_KEYS) | set(general_arguments + training_arguments + evaluation_arguments + dataset_arguments)
    for root in (Path(recbole.__file__).parent / "properties", PROPERTIES_DIR):
        for file in root.rglob("*.yaml"):
            content = yaml.safe_load(file.read_text(encoding="utf-8"))
            if isinstance(content, dict):
                keys.update(content)
    return frozenset(keys)


@lru_cache(maxsize=1)
def _keys_read_by_code():
    """Keys the code of RecBole or this package reads as ``config["key"]`` (slow: scans sources)."""
    import recbole

    keys = set()
    for root in (Path(recbole.__file__).parent, Path(__file__).parent):
        for file in root.rglob("*.py"):
            keys.update(re.findall(r"config\[\s*[\"'](\w+)[\"']\s*\]", file.read_text(encoding="utf-8")))
    return frozenset(keys)


def warn_unknown_keys(external_config_dict):
    """Log a warning for every key the user set that nothing knows, with the closest known key."""
    unknown = [key for key in external_config_dict if key not in _property_keys()]
    if not unknown:
        return
    known = _property_keys() | _keys_read_by_code()
    for key in unknown:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        getLogger("recbole_vagnn").warning(f"unknown config key '{key}' is ignored{hint}")


def check_config(config):
    """Check a built :class:`recbole_vagnn.config.Config`: values first, then unknown keys."""
    check_values(config.final_config_dict)
    warn_unknown_keys(config.external_config_dict)
