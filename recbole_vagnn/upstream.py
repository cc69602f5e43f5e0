"""Write VA-GNN as a contribution to RecBole: ``python -m recbole_vagnn.upstream OUT``.

OUT gets the files laid out as RecBole's source tree, with this package's imports rewritten to
RecBole's (:data:`MODULES`), and ``OUT/UPSTREAM.md`` naming the lines to add to RecBole's existing
``__init__.py`` files (:data:`INIT_LINES`):

- ``recbole/model/general_recommender/vagnn.py``, the model, and its helpers
  ``recbole/model/graph_layers.py``, ``recbole/model/contrastive_loss.py``,
  ``recbole/model/metapath.py``;
- ``recbole/data/dataset/tripartite_dataset.py``: the tripartite dataset, plus ``VAGNNDataset``,
  which RecBole's ``create_dataset`` picks for the model by name; its helpers
  ``recbole/data/dataset/user_vlogger.py`` and ``recbole/data/dataset/link_lift.py``;
  ``recbole/utils/errors.py``;
- ``recbole/properties/model/VAGNN.yaml``: the model's defaults and the dataset's keys;
- ``tests/model/test_vagnn.py`` with ``tests/test_data/vagnn-demo/``: one epoch through RecBole's
  own ``run_recbole``.

This package's test suite copies the result into a copy of the installed RecBole and runs that
test, so the contribution is a copy, not a rewrite.
"""

import re
import shutil
from pathlib import Path

from recbole_vagnn.cli import argument_parser
from recbole_vagnn.errors import InputError
from recbole_vagnn.paths import EMBEDDED_DATA_DIR, PROPERTIES_DIR

PACKAGE_DIR = Path(__file__).resolve().parent
# this package's module -> (RecBole's module, this package's source file)
MODULES = {
    "recbole_vagnn.model.general_recommender.vagnn": (
        "recbole.model.general_recommender.vagnn",
        "model/general_recommender/vagnn.py",
    ),
    "recbole_vagnn.model.layers": ("recbole.model.graph_layers", "model/layers.py"),
    "recbole_vagnn.model.loss": ("recbole.model.contrastive_loss", "model/loss.py"),
    "recbole_vagnn.model.metapath": ("recbole.model.metapath", "model/metapath.py"),
    "recbole_vagnn.data.dataset": ("recbole.data.dataset.tripartite_dataset", "data/dataset.py"),
    "recbole_vagnn.data.user_vlogger": ("recbole.data.dataset.user_vlogger", "data/user_vlogger.py"),
    "recbole_vagnn.data.signal": ("recbole.data.dataset.link_lift", "data/signal.py"),
    "recbole_vagnn.errors": ("recbole.utils.errors", "errors.py"),
}
INIT_LINES = {
    "recbole/model/general_recommender/__init__.py": "from recbole.model.general_recommender.vagnn import VAGNN",
    "recbole/data/dataset/__init__.py": (
        "from recbole.data.dataset.tripartite_dataset import TripartiteDataset, VAGNNDataset"
    ),
}
DATASET_ALIAS = '''

class VAGNNDataset(TripartiteDataset):
    """The dataset RecBole's ``create_dataset`` picks for VAGNN (``MODEL + "Dataset"``)."""
'''
TEST = '''"""VA-GNN trains one epoch and evaluates through RecBole's own run_recbole on a tripartite dataset."""

import os
import unittest

from recbole.quick_start import run_recbole

DATA_PATH = os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "test_data")


# RecBole's dataset/sample.yaml loads only user_id, item_id, rating, timestamp: name the tripartite columns
LOAD_COL = {"inter": ["user_id", "item_id", "timestamp"], "item": ["item_id", "vlogger_id"]}


def quick_test(**config):
    config = {"data_path": DATA_PATH, "load_col": LOAD_COL, "epochs": 1, "show_progress": False,
              "embedding_size": 16, **config}
    return run_recbole(model="VAGNN", dataset="vagnn-demo", config_dict=config, saved=False)


class TestVAGNN(unittest.TestCase):
    def test_vagnn(self):
        result = quick_test()
        self.assertIn("recall@10", result["test_result"])

    def test_vagnn_ablations(self):
        for switch in ("use_cl", "use_vlogger_loss", "use_video_view", "use_vlogger_view", "use_vlogger_score"):
            quick_test(**{switch: False})


if __name__ == "__main__":
    unittest.main()
'''


def rewrite(text):
    """``text`` with every module of :data:`MODULES` named as RecBole's; any other reference is an error."""
    for ours, (theirs, _) in sorted(MODULES.items(), key=lambda item: -len(item[0])):
        text = text.replace(ours, theirs)
    left = re.findall(r"recbole_vagnn[\w.]*", text)
    if left:
        raise InputError(f"the upstream copy would still import this package: {sorted(set(left))}")
    return text


def model_yaml():
    """The model's defaults followed by the tripartite dataset's keys (RecBole reads one YAML per model).

    ``load_col`` is left out: RecBole's ``properties/dataset/sample.yaml`` is read after the model's
    YAML and sets it for every dataset, so it belongs in the user's config (see UPSTREAM.md).
    """
    schema, skipping = [], False
    for line in (PROPERTIES_DIR / "dataset" / "tripartite.yaml").read_text(encoding="utf-8").splitlines():
        skipping = line.startswith("load_col:") or (skipping and line.startswith("  "))
        if not (skipping or line.startswith("tripartite:")):
            schema.append(line)
    schema = "\n".join(schema)
    return (PROPERTIES_DIR / "model" / "VAGNN.yaml").read_text(encoding="utf-8").rstrip() + "\n\n" + schema + "\n"


def write_upstream(out_dir):
    """Write the contribution into ``out_dir`` (module docstring); return the files written."""
    out_dir = Path(out_dir)
    written = []

    def write(relative, text):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    for theirs, source in MODULES.values():
        text = rewrite((PACKAGE_DIR / source).read_text(encoding="utf-8"))
        if theirs.endswith("tripartite_dataset"):
            text = text.rstrip() + "\n" + DATASET_ALIAS
        write(theirs.replace(".", "/") + ".py", text)
    write("recbole/properties/model/VAGNN.yaml", model_yaml())
    write("tests/model/test_vagnn.py", TEST)
    for data_file in sorted((EMBEDDED_DATA_DIR / "vagnn-demo").iterdir()):
        target = out_dir / "tests" / "test_data" / "vagnn-demo" / data_file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_file, target)
        written.append(target)
    lines = "\n".join(f"- `{file}`: `{line}`" for file, line in INIT_LINES.items())
    write(
        "UPSTREAM.md",
        "# VA-GNN for RecBole\n\nCopy `recbole/` and `tests/` over a RecBole checkout, then add one line to "
        f"each of these existing files:\n\n{lines}\n\nRun `python -m pytest tests/model/test_vagnn.py`. A tripartite "
        "dataset names its columns in the config, since RecBole's `dataset/sample.yaml` loads only user, item, "
        "rating and time: `load_col: {inter: [user_id, item_id, timestamp], item: [item_id, vlogger_id]}`. "
        "`NAME.uvl` is read by the dataset itself.\n",
    )
    return written


def main(argv=None):
    parser = argument_parser("Write VA-GNN, its YAML, the tripartite dataset and a test as RecBole's source tree.")
    parser.add_argument("out_dir", help="folder to write recbole/, tests/ and UPSTREAM.md into")
    args = parser.parse_args(argv)
    written = write_upstream(args.out_dir)
    print(f"wrote {len(written)} files into {args.out_dir}; see {Path(args.out_dir) / 'UPSTREAM.md'}")


if __name__ == "__main__":
    from recbole_vagnn.cli import run_main

    run_main(main)
