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
  own ``run_recbole``;
- ``recbole-1.2.1-compat.patch``, a separate patch of RecBole's own files with the fixes of
  :mod:`recbole_vagnn.compat` (NumPy 2, SciPy >= 1.13, pandas 3) and ``recbole.quick_start``
  importable without Ray (:data:`RECBOLE_FIXES`), made from the installed RecBole 1.2.1, so that
  it can be merged on its own and the compatibility module deleted.

This package's test suite copies the result into a copy of the installed RecBole, applies the
patch with ``git apply`` and runs that test (on every tested stack, so the patch is what makes
RecBole run on NumPy 2 and pandas 3 there), so the contribution is a copy, not a rewrite.
"""

import difflib
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
DOK_UPDATE = "A._update(data_dict)"
RECBOLE_FIXES = {  # RecBole 1.2.1's file -> [(its text, the fix)]; recbole_vagnn/compat.py says why
    "recbole/config/configurator.py": [
        ("np.float = np.float_", "np.float = np.float64"),
        ("np.complex = np.complex_", "np.complex = np.complex128"),
        ("np.unicode = np.unicode_", "np.unicode = np.str_"),
    ],
    "recbole/data/dataset/dataset.py": [
        ('df[field].fillna(value="", inplace=True)', 'df[field] = df[field].fillna(value="")'),
        ("feat[field].fillna(value=0, inplace=True)", "feat[field] = feat[field].fillna(value=0)"),
        (
            "feat[field].fillna(value=feat[field].mean(), inplace=True)",
            "feat[field] = feat[field].fillna(value=feat[field].mean())",
        ),
    ],
    "recbole/evaluator/collector.py": [
        (
            "            self.data_struct._data_dict[key] = self.data_struct._data_dict[key].cpu()",
            "            if isinstance(self.data_struct._data_dict[key], torch.Tensor):\n"
            "                self.data_struct._data_dict[key] = self.data_struct._data_dict[key].cpu()",
        ),
    ],
    "recbole/quick_start/quick_start.py": [
        ("from ray import tune\n\n", ""),
        ("    tune.report(**test_result)", "    from ray import tune\n\n    tune.report(**test_result)"),
    ],
    **{
        f"recbole/model/{model}.py": [
            (DOK_UPDATE, 'A._dict.update(data_dict) if hasattr(A, "_dict") else A._update(data_dict)  # SciPy 1.13')
        ]
        for model in (
            "general_recommender/lightgcn",
            "general_recommender/ngcf",
            "general_recommender/ncl",
            "general_recommender/gcmc",
            "general_recommender/spectralcf",
            "knowledge_aware_recommender/kgin",
            "knowledge_aware_recommender/mcclk",
        )
    },
}
PATCH_NAME = "recbole-1.2.1-compat.patch"
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


def recbole_patch(recbole_dir):
    """:data:`RECBOLE_FIXES` as a unified diff (``a/recbole/...``) of the RecBole sources in ``recbole_dir``."""
    root = Path(recbole_dir).parent
    diff = []
    for relative, fixes in RECBOLE_FIXES.items():
        original = (root / relative).read_text(encoding="utf-8")
        fixed = original
        for old, new in fixes:
            if old not in fixed:
                raise InputError(f"{root / relative}: no '{old.strip()}'; the patch is made from RecBole 1.2.1's files")
            fixed = fixed.replace(old, new)
        diff += difflib.unified_diff(
            original.splitlines(keepends=True), fixed.splitlines(keepends=True), f"a/{relative}", f"b/{relative}"
        )
    return "".join(diff)


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
    import recbole

    write(PATCH_NAME, recbole_patch(Path(recbole.__file__).parent))
    lines = "\n".join(f"- `{file}`: `{line}`" for file, line in INIT_LINES.items())
    write(
        "UPSTREAM.md",
        "# VA-GNN for RecBole\n\nCopy `recbole/` and `tests/` over a RecBole checkout, then add one line to "
        f"each of these existing files:\n\n{lines}\n\nRun `python -m pytest tests/model/test_vagnn.py`. A tripartite "
        "dataset names its columns in the config, since RecBole's `dataset/sample.yaml` loads only user, item, "
        "rating and time: `load_col: {inter: [user_id, item_id, timestamp], item: [item_id, vlogger_id]}`. "
        "`NAME.uvl` is read by the dataset itself.\n\n"
        f"`{PATCH_NAME}` is a separate change to RecBole's own files, to merge on its own: `patch -p1 < "
        f"{PATCH_NAME}` (or `git apply`) in a RecBole checkout. It makes RecBole 1.2.1 run on NumPy 2 "
        "(`np.float_` and friends in `Config.compatibility_settings`), SciPy >= 1.13 (`dok_matrix._update` in "
        "LightGCN, NGCF, NCL, GCMC, SpectralCF, KGIN and MCCLK), pandas 3 (chained `fillna(inplace=True)`, a no-op "
        "under copy-on-write, left NaN ids and unfilled floats) and imports `recbole.quick_start` without Ray "
        "(`ray.tune` is imported where it is used). With it, `ray<=2.6.3` in `setup.py` and `requirements.txt` can "
        "be lifted, which Python 3.12+ needs.\n",
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
