"""The package's layout holds: each package imports only the packages the developer guide's
picture allows (docs/source/developer_guide/architecture.rst), and every package says what it holds."""

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "recbole_vagnn"
CONVERTERS = Path(__file__).resolve().parents[1] / "dataset_converters"

ALLOWED = {  # package -> the packages of this project it may import (its own modules always)
    "utils": {"trainer"},  # utils.get_trainer looks the trainer up by name, as RecBole's does
    "model": {"utils"},
    "data": {"utils", "data.dataset"},
    "data.dataset": {"utils", "data"},
    "data.dataloader": {"utils"},
    "evaluator": {"utils"},
    "config": {"utils", "data", "data.dataset", "model"},
    "trainer": {"utils", "evaluator", "data.dataloader"},
    "quick_start": {"utils", "config", "data", "data.dataloader", "trainer"},
    "recommender": {"utils", "data", "trainer", "quick_start"},
    "cli": {"utils", "config", "data", "quick_start", "recommender", "trainer", "dataset_converters", "package"},
    "experiments": {
        "utils",
        "cli",
        "config",
        "data",
        "data.dataloader",
        "evaluator",
        "model",
        "quick_start",
        "trainer",
        "package",
    },
    "upstream": {"utils", "cli", "data", "experiments"},
    "dataset_converters": {"utils", "cli", "data"},
}
"""The picture's arrows; ``package`` is ``recbole_vagnn/__init__.py`` (its ``__version__``)."""


def _package_of(module):
    parts = module.split(".")
    if parts[0] != "recbole_vagnn":
        return None
    if len(parts) == 1 or parts[1].startswith("__"):
        return "package"
    if parts[1] == "data" and len(parts) > 2 and parts[2] in ("dataset", "dataloader"):
        return f"data.{parts[2]}"
    return parts[1].removesuffix(".py")


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "recbole_vagnn":
                yield from (f"recbole_vagnn.{alias.name}" for alias in node.names)
            else:
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        yield path, _package_of(module.removesuffix(".__init__"))
    for path in sorted(CONVERTERS.glob("*.py")):
        yield path, "dataset_converters"


def test_each_package_imports_only_what_the_picture_allows():
    broken = []
    for path, package in _sources():
        if package == "package":
            continue
        for module in _imports(path):
            target = _package_of(module)
            if target and target != package and target not in ALLOWED[package]:
                broken.append(f"{path.relative_to(PACKAGE.parent)} imports {module} ({package} -> {target})")
    assert not broken, "\n".join(broken)


def test_the_picture_names_every_package_and_its_only_cycles_are_the_documented_ones():
    text = (PACKAGE.parent / "docs" / "source" / "developer_guide" / "architecture.rst").read_text(encoding="utf-8")
    for package in ALLOWED:
        assert f"``{package}``" in text or f"``{package}/``" in text, package
    for package, targets in ALLOWED.items():
        for target in targets - {"package"}:
            if package in ALLOWED.get(target, ()):
                documented = ({"utils", "trainer"}, {"data", "data.dataset"}, {"cli", "dataset_converters"})
                assert {package, target} in documented, (package, target)


@pytest.mark.parametrize(
    "package",
    ["cli", "config", "data", "data.dataset", "data.dataloader", "evaluator", "experiments", "model"]
    + ["quick_start", "trainer", "upstream", "utils"],
)
def test_each_package_says_what_lives_there(package):
    module = importlib.import_module(f"recbole_vagnn.{package}")
    assert module.__doc__ and len(module.__doc__.split()) >= 15, package


def test_recbole_users_old_import_paths_still_work():
    from recbole_vagnn.config import Config
    from recbole_vagnn.data import TripartiteDataset, create_dataset
    from recbole_vagnn.data.dataset import TripartiteDataset as same_dataset
    from recbole_vagnn.model import VAGNN
    from recbole_vagnn.model.general_recommender.vagnn import VAGNN as same_model
    from recbole_vagnn.quick_start import run_recbole
    from recbole_vagnn.trainer import Trainer
    from recbole_vagnn.utils import get_model, get_trainer

    assert TripartiteDataset is same_dataset and VAGNN is same_model and get_model("VAGNN") is VAGNN
    assert callable(run_recbole) and callable(create_dataset) and Config.__name__ == "Config"
    assert issubclass(get_trainer("GENERAL", "VAGNN"), Trainer.__mro__[1])
