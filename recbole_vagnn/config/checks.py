"""Config values checked before any data is loaded: types, ranges, choices and unknown keys.

Each rule applies when its key is set (not ``None``) in the final config, whatever set it: a
property file, a config file, ``config_dict`` or the command line. The rules are not listed
here: each key's rule is declared once, on its line of the property YAML files, and read by
:mod:`recbole_vagnn.config.schema` (which also renders the manual's table); the names below
are derived from it. Booleans are strict: only ``True``/``False`` (YAML's ``true``/``false``,
``--use_cl=False``) are accepted, never a string such as ``'no'`` or ``'maybe'``, which Python
would take as true. A key that the run does not read (the chosen model, its dataset, the
trainer: another model's keys do not count) gets a warning naming the closest known key.
VA-GNN's weights may be set under the paper's names ``lambda1``, ``lambda2`` and ``tau``.
"""

import difflib
import re
from functools import lru_cache
from logging import getLogger
from pathlib import Path

import yaml

from recbole_vagnn.config.schema import load_schema
from recbole_vagnn.utils.errors import ConfigError, InputError
from recbole_vagnn.utils.paths import PROPERTIES_DIR

SCHEMA = load_schema()
"""Every key's declared rule (a malformed or repeated declaration fails here, on import)."""


def _keys(kind):
    return tuple(key for key, rule in SCHEMA.rules.items() if rule.kind == kind)


BOOLEAN_KEYS = _keys("bool")
INTEGER_AT_LEAST = {key: SCHEMA.rule(key).minimum for key in _keys("int")}
POSITIVE_NUMBERS = _keys("positive")
NON_NEGATIVE_NUMBERS = _keys("non_negative")  # a list of such numbers passes too (RecBole's HGN, SHAN: reg_weight)
PROBABILITIES = _keys("probability")
CHOICES = {key: SCHEMA.rule(key).choices for key in _keys("choices")}


def _problem(key, value):
    """What is wrong with ``key: value``, or None."""
    rule = SCHEMA.rule(key)
    return rule.problem(value) if rule else None


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
PAPER_NAMES = {"lambda1": "vlogger_loss_weight", "lambda2": "cl_weight", "tau": "cl_temperature"}
"""VA-GNN's weights under the paper's names (Eq. 20 and Eqs. 11-13) -> the config keys."""


def resolve_paper_names(config):
    """Accept the paper's ``lambda1``, ``lambda2`` and ``tau`` for VAGNN as its config keys.

    Setting a paper name and its key is an error, and so is a paper name for another model
    (another model's weight of the same name means something else, or nothing).
    """
    for name, key in PAPER_NAMES.items():
        if name not in config.external_config_dict:
            continue
        if config["model"] != "VAGNN":
            raise ConfigError(
                f"config '{name}' is the VA-GNN paper's name for '{key}' and works for VAGNN only; "
                f"for {config['model']} set the key you mean (properties/model/{config['model']}.yaml lists them)"
            )
        if key in config.external_config_dict:
            raise ConfigError(
                f"config '{name}' and '{key}' are the same weight (the paper's name and the key): set one"
            )
        config.final_config_dict[key] = config.final_config_dict.pop(name)


@lru_cache(maxsize=None)
def _yaml_keys(path):
    content = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return frozenset(content) if isinstance(content, dict) else frozenset()


@lru_cache(maxsize=None)
def _keys_read_by(path):
    """Keys a source file reads as ``config["key"]``."""
    return frozenset(re.findall(r"config\[\s*[\"'](\w+)[\"']\s*\]", Path(path).read_text(encoding="utf-8")))


def _source_roots():
    import recbole

    return Path(recbole.__file__).parent, Path(__file__).resolve().parent.parent


def known_keys(model_class):
    """Keys that the run of ``model_class`` reads: the chosen model, the datasets, the trainer and the rest of the run.

    That is RecBole's argument lists, RecBole's and this package's general, dataset and protocol
    property files, the model's own property files, the keys read by every source file outside
    the model folders (data, trainer, evaluator, config, ...), by the model's own file and by the
    files of its base classes. Another model's keys are not known.
    """
    from recbole.utils.argument_list import (
        dataset_arguments,
        evaluation_arguments,
        general_arguments,
        training_arguments,
    )

    keys = set(RUNTIME_KEYS) | set(PAPER_NAMES if model_class.__name__ == "VAGNN" else ())
    keys |= set(general_arguments + training_arguments + evaluation_arguments + dataset_arguments)
    recbole_root, our_root = _source_roots()
    model = model_class.__name__
    files = [recbole_root / "properties" / "overall.yaml", recbole_root / "properties" / "model" / f"{model}.yaml"]
    files += [PROPERTIES_DIR / "overall.yaml", PROPERTIES_DIR / "model" / f"{model}.yaml"]
    files += sorted((PROPERTIES_DIR / "dataset").glob("*.yaml")) + sorted((PROPERTIES_DIR / "protocol").glob("*.yaml"))
    files += sorted((recbole_root / "properties" / "dataset").glob("*.yaml"))
    for file in files:
        if file.is_file():
            keys |= _yaml_keys(file)
    for root in (recbole_root, our_root):
        for file in root.rglob("*.py"):
            if "model" not in file.relative_to(root).parts[:-1]:
                keys |= _keys_read_by(file)
    for cls in model_class.__mro__:
        source = getattr(__import__(cls.__module__, fromlist=["_"]), "__file__", None)
        if source and Path(source).suffix == ".py":
            keys |= _keys_read_by(source)
    return frozenset(keys)


def warn_unknown_keys(external_config_dict, model_class):
    """Log a warning for every key the user set that the run does not read, with the closest known key."""
    known = known_keys(model_class)
    for key in external_config_dict:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        getLogger("recbole_vagnn").warning(
            f"unknown config key '{key}' is ignored: {model_class.__name__}, its dataset and the trainer do not read it{hint}"
        )


def _header_fields(path, separator, encoding):
    """Field names of an atomic file's typed header, or None if the header is malformed (the dataset says how)."""
    from recbole_vagnn.data.dataset.tripartite_dataset import typed_header

    try:
        return typed_header(path, separator, encoding)[1]
    except InputError:
        return None


def check_interaction_file(config):
    """Raise :class:`ConfigError` if ``NAME.inter`` (or a ``benchmark_filename`` part) or a column it needs is missing.

    Reads the header line only. The columns: ``USER_ID_FIELD``, ``ITEM_ID_FIELD`` and, when the
    split orders by time, ``TIME_FIELD``; each must also be in ``load_col`` where it lists the columns. A malformed header is left to the dataset, which names
    the fault; a tripartite dataset checks its ``.item`` and ``.uvl`` files itself.
    """
    folder = Path(config["data_path"])  # RecBole's data_path ends in the dataset's folder
    keys = ["USER_ID_FIELD", "ITEM_ID_FIELD"] + (
        ["TIME_FIELD"] if (config["eval_args"] or {}).get("order") == "TO" else []
    )
    parts = config["benchmark_filename"]
    for stem in [f"{config['dataset']}.{part}" for part in parts] if parts else [config["dataset"]]:
        path = folder / f"{stem}.inter"
        if not path.is_file():
            raise ConfigError(
                f"{path}: file not found; dataset '{config['dataset']}' needs its interactions there (RecBole "
                "atomic files: NAME.inter, and for tripartite data NAME.item and NAME.uvl); convert or copy them there"
            )
        fields = _header_fields(path, config["field_separator"] or "\t", config["encoding"] or "utf-8")
        loaded = (config["load_col"] or {}).get("inter") if isinstance(config["load_col"], dict) else None
        for key in keys:
            if loaded is not None and config[key] and config[key] not in loaded:
                raise ConfigError(
                    f"load_col leaves out '{config[key]}' ({key}) of {path.name}, which the dataset and its protocol "
                    f"(eval_args order {config['eval_args'].get('order')}) need: add it to load_col's inter list "
                    f"(now {loaded}), or set --load_col=None to load every column"
                )
            if fields is not None and config[key] and config[key] not in fields:
                raise ConfigError(
                    f"{path}: no column '{config[key]}' ({key}), which the dataset and its protocol need; the header "
                    f"has {', '.join(fields)}. Add the column, or set {key} to the column that holds it"
                )


def check_valid_metric(config):
    """Refuse a ``valid_metric`` that the run's ``metrics`` and ``topk`` do not compute (RecBole fails after the first epoch)."""
    from recbole.evaluator import metrics_dict
    from recbole.evaluator.base_metric import TopkMetric

    split = config["eval_args"]["split"] or {}
    if len(split.get("RS") or [0, 0, 0]) < 3 or split.get("LS") == "test_only":
        return  # no validation split: valid_metric is never read
    computed = set()
    for metric in config["metrics"]:
        name = metric.lower()
        is_topk = name in metrics_dict and issubclass(metrics_dict[name], TopkMetric)
        computed |= {f"{name}@{k}" for k in config["topk"]} if is_topk else {name}
    if str(config["valid_metric"]).lower() not in computed:
        raise ConfigError(
            f"valid_metric {config['valid_metric']} is not computed by metrics {config['metrics']} with topk "
            f"{config['topk']}: choose one of {', '.join(sorted(computed))} (e.g. --valid_metric={sorted(computed)[0]})"
        )


def check_topk_fits(config, dataset):
    """Refuse a ``topk`` larger than the items to rank (torch's 'selected index k out of range' mid-run otherwise)."""
    from recbole.utils import EvaluatorType

    items = dataset.item_num - 1  # id 0 is RecBole's padding
    if config["eval_type"] == EvaluatorType.RANKING and max(config["topk"]) > items:
        raise ConfigError(
            f"topk {config['topk']} asks for more items than the dataset's {items}: lower topk "
            f"(e.g. --topk=[{min(10, items)}])"
        )


def check_cold_items(config):
    """Refuse ``cold_items`` (> 0) where the run cannot hold videos out (:mod:`recbole_vagnn.data.cold_items`).

    It needs a tripartite dataset (whose ``build`` splits by video), full ranking (the candidates
    are masked in the full-sort scores), no pre-split ``benchmark_filename`` and a non-sequential
    model (a sequence would carry the held-out videos into training).
    """
    from recbole.utils import ModelType

    share = config["cold_items"]
    if not share:
        return
    mode = (config["eval_args"] or {}).get("mode")
    modes = set(mode.values()) if isinstance(mode, dict) else {mode}
    if not config["tripartite"]:
        problem = f"dataset '{config['dataset']}' is not tripartite (NAME.item and NAME.uvl); remove cold_items"
    elif modes != {"full"}:
        shown = ", ".join(sorted(map(str, modes)))
        problem = f"evaluation mode {shown} is not full ranking; set eval_args mode: full or remove cold_items"
    elif config["benchmark_filename"]:
        problem = "benchmark_filename gives the split already; set one of them"
    elif config["MODEL_TYPE"] == ModelType.SEQUENTIAL:
        problem = f"{config['model']} is sequential, and its sequences would carry held-out videos into training"
    else:
        return
    raise ConfigError(f"cold_items {share} cannot hold videos out: {problem}")


def check_config(config):
    """Check a built :class:`recbole_vagnn.config.configurator.Config`: paper names, values, unknown keys, then the files."""
    resolve_paper_names(config)
    check_values(config.final_config_dict)
    check_valid_metric(config)
    check_cold_items(config)
    warn_unknown_keys(config.external_config_dict, config.model_class)
    check_interaction_file(config)
