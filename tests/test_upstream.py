"""The upstream pull request: a commit in a RecBole git checkout that applies with git am and trains there alone."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import recbole

from recbole_vagnn.upstream import upstream
from tests.conftest import fails

# Stand-ins, in RecBole's form, for the repository files the installed wheel lacks (written here, not copied)
STAND_INS = {
    "tests/model/test_model.yaml": "dataset: test\nepochs: 1\nstate: ERROR\ndata_path: tests/test_data/\nnormalize_all: True\n",
    "tests/model/test_model_auto.py": (
        "import os\nimport unittest\n\nfrom recbole.quick_start import objective_function\n\n"
        'current_path = os.path.dirname(os.path.realpath(__file__))\nconfig_file_list = [os.path.join(current_path, "test_model.yaml")]\n\n\n'
        "def quick_test(config_dict):\n    objective_function(config_dict=config_dict, config_file_list=config_file_list, saved=False)\n\n\n"
        "class TestGeneralRecommender(unittest.TestCase):\n    def test_pop(self):\n"
        '        config_dict = {"model": "Pop"}\n        quick_test(config_dict)\n\n\n'
        'class TestContextRecommender(unittest.TestCase):\n    pass\n\n\nif __name__ == "__main__":\n    unittest.main()\n'
    ),
    "asset/model_list.json": json.dumps(
        {
            "data": [
                {"category": "General Recommendation", "model": "Pop", "repository": "RecBole"},
                {"category": "Sequential Recommendation", "model": "GRU4Rec", "repository": "RecBole"},
            ]
        },
        indent=4,
    )
    + "\n",
    "docs/source/user_guide/model_intro.rst": (
        "Model Introduction\n=====================\n\nGeneral Recommendation\n--------------------------\n\n"
        ".. toctree::\n   :maxdepth: 1\n\n   model/general/pop\n   model/general/bpr\n\n\n"
        "Context-aware Recommendation\n-------------------------------\n\n.. toctree::\n   :maxdepth: 1\n\n   model/context/lr\n"
    ),
    "docs/source/recbole/recbole.model.general_recommender.rst": (
        "recbole.model.general\\_recommender\n==========================================\n\n"
        ".. toctree::\n   :maxdepth: 4\n\n   recbole.model.general_recommender.bpr\n   recbole.model.general_recommender.pop\n"
    ),
}
EXPECTED_FILES = {
    "recbole/model/general_recommender/vagnn.py",
    "recbole/model/general_recommender/__init__.py",
    "recbole/model/layers.py",
    "recbole/model/loss.py",
    "recbole/data/dataset/__init__.py",
    "recbole/data/dataset/tripartite_dataset.py",
    "recbole/data/dataset/user_vlogger.py",
    "recbole/data/dataset/link_lift.py",
    "recbole/data/dataset/cold_items.py",
    "recbole/properties/model/VAGNN.yaml",
    "tests/model/test_model_auto.py",
    "tests/test_data/vagnn-test/vagnn-test.inter",
    "tests/test_data/vagnn-test/vagnn-test.item",
    "tests/test_data/vagnn-test/vagnn-test.uvl",
    "docs/source/user_guide/model/general/vagnn.rst",
    "docs/source/user_guide/model_intro.rst",
    "docs/source/recbole/recbole.model.general_recommender.rst",
    "docs/source/recbole/recbole.model.general_recommender.vagnn.rst",
    "asset/model_list.json",
}
# One batch, the same seeded weights: the plugin's model and the upstream one must agree on it
EQUIVALENCE = """
import sys
import torch
from recbole.data import data_preparation
from recbole.data.interaction import Interaction
from recbole.utils import init_seed
if sys.argv[1] == "plugin":
    from recbole_vagnn.config.configurator import Config
    from recbole_vagnn.data import create_dataset
    from recbole_vagnn.model import VAGNN
else:
    from recbole.config import Config
    from recbole.data import create_dataset
    from recbole.model.general_recommender import VAGNN
config = Config(model="VAGNN", dataset="vagnn-test", config_dict={
    "data_path": sys.argv[2], "seed": 2020, "normalize_all": False, "show_progress": False,
    "load_col": {"inter": ["user_id", "item_id", "timestamp"], "item": ["item_id", "vlogger_id"]},
    "eval_args": {"split": {"LS": "valid_and_test"}, "order": "TO", "group_by": "user", "mode": "full"},
})
init_seed(config["seed"], config["reproducibility"])
dataset = create_dataset(config)
train_data, _, _ = data_preparation(config, dataset)
init_seed(config["seed"], config["reproducibility"])
model = VAGNN(config, train_data._dataset)
inter = train_data._dataset.inter_feat
users, items = inter[config["USER_ID_FIELD"]][:16], inter[config["ITEM_ID_FIELD"]][:16]
batch = Interaction({config["USER_ID_FIELD"]: users, config["ITEM_ID_FIELD"]: items,
                     config["NEG_PREFIX"] + config["ITEM_ID_FIELD"]: (items % (dataset.item_num - 1)) + 1})
losses = torch.stack([part.detach() for part in model.calculate_loss(batch)])
scores = model.full_sort_predict(Interaction({config["USER_ID_FIELD"]: users})).detach()
torch.save({"losses": losses, "scores": scores}, sys.argv[3])
"""


def git(folder, *args):
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True).stdout


def recbole_repository(folder):
    """A git repository holding the installed RecBole package and the stand-ins, one commit."""
    shutil.copytree(Path(recbole.__file__).parent, folder / "recbole", ignore=shutil.ignore_patterns("__pycache__"))
    for relative, text in STAND_INS.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    git(folder, "init", "-q", "-b", "master")
    git(folder, "config", "user.name", "Test")
    git(folder, "config", "user.email", "test@example.com")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "RecBole 1.2.1")
    return folder


def hidden_package_env(site):
    """PYTHONPATH with ``site`` first and a ``recbole_vagnn`` there that fails on import."""
    blocked = site / "blocked" / "recbole_vagnn"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('the upstream copy imported recbole_vagnn')\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(site / "blocked")])}


@pytest.mark.slow
def test_upstream_into_a_checkout_commits_a_patch_that_applies_and_trains_without_the_plugin(tmp_path, capsys):
    repo = recbole_repository(tmp_path / "RecBole")
    base = git(repo, "rev-parse", "HEAD").strip()
    out = tmp_path / "out"
    upstream.main(["--into", str(repo), "--out", str(out)])
    assert "committed 19 files on branch 'add-vagnn'" in capsys.readouterr().out
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "add-vagnn"
    assert git(repo, "rev-list", "--count", f"{base}..HEAD").strip() == "1"
    assert set(git(repo, "show", "--name-only", "--format=", "HEAD").split()) == EXPECTED_FILES
    assert git(repo, "log", "-1", "--format=%s").startswith("Add VAGNN")
    assert not git(repo, "status", "--porcelain").strip()
    for path in repo.rglob("*.py"):
        assert "recbole_vagnn" not in path.read_text(), path
    assert not (repo / "recbole" / "model" / "graph_layers.py").exists()
    assert not (repo / "recbole" / "utils" / "errors.py").exists()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "black",
            "--check",
            "-q",
            str(repo / "recbole" / "model" / "general_recommender" / "vagnn.py"),
        ],
        check=True,
    )
    entries = json.loads((repo / "asset" / "model_list.json").read_text())["data"]
    assert [entry["model"] for entry in entries] == ["Pop", "VAGNN", "GRU4Rec"]
    assert (
        "   model/general/vagnn\n" in (repo / "docs/source/user_guide/model_intro.rst").read_text().split("Context")[0]
    )
    guide = (repo / "docs/source/user_guide/model/general/vagnn.rst").read_text()
    assert all(part in guide for part in ("Introduction", "Running with RecBole", "Tuning Hyper Parameters"))
    assert (out / "PR.md").read_text().startswith("Add VAGNN") and (out / upstream.PATCH_FILE).is_file()

    fresh = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", str(repo), str(fresh)], check=True)
    git(fresh, "checkout", "-q", base)
    git(fresh, "config", "user.name", "Test")
    git(fresh, "config", "user.email", "test@example.com")
    git(fresh, "am", "-q", str(out / upstream.PATCH_FILE))  # the patch applies as a maintainer applies it
    git(fresh, "apply", str(out / upstream.PATCH_NAME))  # RecBole's own fixes for NumPy 2, SciPy, pandas 3
    env = hidden_package_env(fresh)
    where = subprocess.run(
        [sys.executable, "-c", "import recbole; print(recbole.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=fresh,
    )
    assert where.stdout.strip() == str(fresh / "recbole" / "__init__.py")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/model/test_model_auto.py",
            "-k",
            "vagnn",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=fresh,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "6 passed" in done.stdout  # VAGNN and its five ablations, through RecBole's objective_function

    script = tmp_path / "equivalence.py"
    script.write_text(EQUIVALENCE)
    data = str(fresh / "tests" / "test_data")
    theirs, ours = tmp_path / "upstream.pt", tmp_path / "plugin.pt"
    done = subprocess.run(
        [sys.executable, str(script), "upstream", data, str(theirs)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    done = subprocess.run(
        [sys.executable, str(script), "plugin", data, str(ours)], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    import torch

    upstream_run, plugin_run = torch.load(theirs), torch.load(ours)
    assert torch.equal(upstream_run["losses"], plugin_run["losses"]) and len(plugin_run["losses"]) == 4
    assert torch.equal(upstream_run["scores"], plugin_run["scores"])


def test_upstream_refuses_a_folder_that_is_no_clean_known_recbole_checkout(tmp_path, capsys):
    assert "not a RecBole checkout" in fails(upstream.main, ["--into", str(tmp_path)], capsys)
    repo = recbole_repository(tmp_path / "RecBole")
    (repo / "recbole" / "model" / "loss.py").write_text("# changed\n")
    assert "the checkout has uncommitted changes" in fails(upstream.main, ["--into", str(repo)], capsys)
    git(repo, "checkout", "--", ".")
    init = repo / "recbole" / "__init__.py"
    init.write_text(init.read_text().replace("1.2.1", "9.9.9"))
    git(repo, "commit", "-qam", "a later RecBole")
    assert "RecBole version 9.9.9; this package knows 1.2.1" in fails(upstream.main, ["--into", str(repo)], capsys)
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    git(repo, "branch", "add-vagnn")
    assert "a branch 'add-vagnn' exists already" in fails(upstream.main, ["--into", str(repo)], capsys)


@pytest.mark.slow
def test_upstream_without_a_checkout_writes_the_new_files_and_a_patch_of_the_installed_package(tmp_path, capsys):
    out = tmp_path / "out"
    upstream.main([str(out)])
    assert (out / "recbole/model/general_recommender/vagnn.py").is_file() and (out / "PR.md").is_file()
    assert not (out / "recbole/model/layers.py").exists()  # an edit of RecBole's file, so in the patch
    site = tmp_path / "site"
    shutil.copytree(Path(recbole.__file__).parent, site / "recbole", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(out / "recbole", site / "recbole", dirs_exist_ok=True)
    for patch in (upstream.PACKAGE_PATCH, upstream.PATCH_NAME):
        subprocess.run(["git", "apply", "-p1", str(out / patch)], cwd=site, check=True, capture_output=True)
    assert "def info_nce(" in (site / "recbole" / "model" / "loss.py").read_text()
    assert "VAGNN" in (site / "recbole" / "model" / "general_recommender" / "__init__.py").read_text()


@pytest.mark.parametrize("model_name", ["VAGNN", "GTN"])
def test_models_with_sparse_csr_graphs_survive_recboles_flop_count(model_name):
    import copy
    from logging import getLogger

    import torch
    from recbole.data.transform import construct_transform
    from recbole.utils import get_flops

    from recbole_vagnn.quick_start import build_data_and_model

    config, model, dataset, train_data, _, _ = build_data_and_model(model_name, config_dict={"show_progress": False})
    twin = copy.deepcopy(model)  # run_recbole's get_flops deep-copies the model first
    assert twin.state_dict().keys() == model.state_dict().keys()
    graphs = [k for k, v in vars(model).items() if isinstance(v, torch.Tensor) and v.layout == torch.sparse_csr]
    assert graphs and all(getattr(twin, k) is not getattr(model, k) for k in graphs)
    assert all(torch.equal(getattr(twin, k).to_dense(), getattr(model, k).to_dense()) for k in graphs)
    # it raised NotImplementedError ("Cannot access storage of SparseCsrTensorImpl") before the mixin
    assert get_flops(model, dataset, config["device"], getLogger(), construct_transform(config)) >= 0


REWRITE_SOURCE = '''"""A module naming :mod:`recbole_vagnn.data.link_lift` and :class:`LocalError`."""

import numpy as np

from recbole_vagnn.model.layers import (
    propagate,  # the propagation
    sparse_mm,
)
from recbole_vagnn.model.metapath import augment_views
from recbole_vagnn.utils.errors import InputError


class LocalError(InputError, ValueError):
    """Dropped: raises of it become ValueError."""


def check(value, shape):
    # a comment, kept
    if value is None:
        raise LocalError("é, then the name")  # é before: columns are bytes
    try:
        return np.zeros((shape, shape))
    except (InputError, ValueError) as error:
        raise InputError("again") from error
'''


def test_rewrite_edits_our_modules_on_their_syntax_tree_and_keeps_comments_and_layout(monkeypatch):
    monkeypatch.setattr(upstream, "error_classes", lambda: frozenset({"InputError", "LocalError"}))
    text = upstream.rewrite(REWRITE_SOURCE, "recbole.model.general_recommender.vagnn")
    assert "recbole_vagnn" not in text and "Error(" not in text.replace("ValueError(", "")
    assert ":mod:`recbole.data.dataset.link_lift` and :class:`ValueError`" in text  # the docstring
    assert "from recbole.model.layers import (\n    propagate,  # the propagation\n    sparse_mm,\n)\n" in text
    assert "augment_views" not in text and "class " not in text  # merged into vagnn.py; the error class
    assert "    # a comment, kept\n" in text and 'raise ValueError("é, then the name")  # é' in text
    assert "except ValueError as error:" in text and "np.zeros((shape, shape))" in text
    with pytest.raises(Exception, match="would still name this package"):
        upstream.rewrite("import recbole_vagnn.cli\n", "recbole.model.loss")


def test_error_classes_are_read_from_the_errors_module_and_the_copied_sources():
    assert {"InputError", "ConfigError", "CheckpointError", "TripartiteDataError"} <= upstream.error_classes()


def test_the_model_yaml_joins_both_files_with_their_comments_without_tripartite_and_load_col():
    import yaml

    from recbole_vagnn.utils.paths import PROPERTIES_DIR

    text = upstream.model_yaml()
    model_text = (PROPERTIES_DIR / "model" / "VAGNN.yaml").read_text()
    dataset_text = (PROPERTIES_DIR / "dataset" / "tripartite.yaml").read_text()
    model, dataset = yaml.safe_load(model_text), yaml.safe_load(dataset_text)
    assert yaml.safe_load(text) == {
        **model,
        **{k: v for k, v in dataset.items() if k not in ("tripartite", "load_col")},
    }
    assert text.startswith(model_text.rstrip() + "\n\n")  # RecBole documents its keys in comments: kept
    kept = [line for line in dataset_text.splitlines() if not line.startswith(("tripartite:", "load_col:", "  "))]
    assert all(line in text.splitlines() for line in kept) and "#" in "".join(kept)


def test_the_compat_patch_is_made_from_the_one_list_of_fixes_in_compat():
    from recbole_vagnn.utils import compat

    assert not hasattr(upstream, "RECBOLE_FIXES")
    patch = upstream.recbole_patch(Path(recbole.__file__).parent)
    changed = {line[len("+++ b/") :] for line in patch.splitlines() if line.startswith("+++ b/")}
    assert changed == {path for fix in compat.FIXES for path in fix.edits}
    for fix in compat.FIXES:
        for old, new in (pair for pairs in fix.edits.values() for pair in pairs):
            added = [line for line in patch.splitlines() if line.startswith("+")]
            parts = [part for part in new.splitlines() if part.strip() and part not in old.splitlines()]
            assert all(any(part in line for line in added) for part in parts), new


def test_docs_edits_follow_the_files_own_entries_and_indentation():
    toctree = ".. toctree::\n   :maxdepth: 1\n\n   model/general/pop\n   model/general/bpr\n\nOther\n"
    added = upstream._insert_toctree_line(toctree, "model/general/", "model/general/vagnn", "x.rst")
    assert added.endswith("   model/general/bpr\n   model/general/vagnn\n\nOther\n")
    listing = json.dumps(
        {"data": [{"category": "General Recommendation", "model": "Pop", "repository": "RecBole"}, {"model": "X"}]},
        indent=2,
    )
    inserted = upstream._insert_model_list_entry(listing)
    assert [entry["model"] for entry in json.loads(inserted)["data"]] == ["Pop", "VAGNN", "X"]
    assert '\n    {\n      "category": "General Recommendation",' in inserted  # the file's 2-space indentation
