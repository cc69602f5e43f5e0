"""VA-GNN as a RecBole pull request: ``recbole-vagnn upstream --into RECBOLE_CHECKOUT`` or ``upstream OUT``.

The change is laid out as RecBole holds its models (the shape of RecBole's model pull requests,
e.g. #2122, AsymKNN):

- ``recbole/model/general_recommender/vagnn.py``: the model, with the meta-path random walk at its
  end. The walk builds the model's own augmented graphs once per run, as SGL builds its
  perturbed graphs inside ``sgl.py``; ``recbole/data/utils.py`` holds the data loaders' plumbing,
  which no model's graph construction lives in.
- ``recbole/model/layers.py`` gains the sparse propagation and pooling helpers and
  ``recbole/model/loss.py`` the InfoNCE, appended to those files (their imports merged).
- ``recbole/data/dataset/tripartite_dataset.py`` (the tripartite dataset and ``VAGNNDataset``,
  which RecBole's ``create_dataset`` picks for the model by name), with the user-vlogger relation
  (``user_vlogger.py``) and the link-lift helper (``link_lift.py``) beside it.
- ``recbole/properties/model/VAGNN.yaml``: the model's defaults and the dataset's keys.
- Tests in RecBole's form: VAGNN and its five ablations as cases of
  ``tests/model/test_model_auto.py``'s ``TestGeneralRecommender`` through ``quick_test``, on
  ``tests/test_data/vagnn-test/`` with a documented ``load_col``.
- Documentation: ``docs/source/user_guide/model/general/vagnn.rst`` (Introduction, Running with
  RecBole, Tuning Hyper Parameters), the API page and both index entries, and the model's entry in
  ``asset/model_list.json``.

No new top-level module and no error class of this package: its errors become ``ValueError``
(:func:`rewrite`). The new and edited Python files are formatted with black, as RecBole is;
edited files only on the lines this change adds (``black --line-ranges``).

``--into DIR`` makes a branch ``add-vagnn`` in a clean RecBole git checkout (version 1.2.1) and
one commit there, and writes it as ``0001-Add-VAGNN.patch`` (``git format-patch``) and ``PR.md``
(the pull-request text, also the commit message) into ``--out`` (default: the working folder).
Without ``--into``, ``upstream OUT`` writes the new files into OUT and the edits of RecBole's
package files as ``recbole-package.patch`` against the installed RecBole (the docs indexes, the
test file and ``asset/model_list.json`` are not in the wheel: ``PR.md`` lists those edits).

``recbole-1.2.1-compat.patch`` is written either way, a separate change of RecBole's own files
with the fixes of :mod:`recbole_vagnn.utils.compat` (NumPy 2, SciPy >= 1.13, pandas 3, the Collector's
plain values) and ``recbole.quick_start`` importable without Ray (:data:`RECBOLE_FIXES`), so that
it can be merged on its own and the compatibility module deleted.
"""

import ast
import difflib
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from recbole_vagnn.cli.base import argument_parser
from recbole_vagnn.utils.errors import InputError
from recbole_vagnn.utils.paths import PROPERTIES_DIR

PACKAGE_DIR = Path(__file__).resolve().parent.parent
KNOWN_RECBOLE_VERSIONS = ("1.2.1",)
BRANCH = "add-vagnn"
PATCH_FILE = "0001-Add-VAGNN.patch"
PACKAGE_PATCH = "recbole-package.patch"
PATCH_NAME = "recbole-1.2.1-compat.patch"
TEST_DATASET = "vagnn-test"

# this package's module -> RecBole's module (None: merged into the file named by MERGED_INTO)
MODULES = {
    "recbole_vagnn.model.general_recommender.vagnn": "recbole.model.general_recommender.vagnn",
    "recbole_vagnn.model.layers": "recbole.model.layers",
    "recbole_vagnn.model.loss": "recbole.model.loss",
    "recbole_vagnn.model.metapath": "recbole.model.general_recommender.vagnn",
    "recbole_vagnn.data.dataset.tripartite_dataset": "recbole.data.dataset.tripartite_dataset",
    "recbole_vagnn.data.user_vlogger": "recbole.data.dataset.user_vlogger",
    "recbole_vagnn.data.link_lift": "recbole.data.dataset.link_lift",
}
# RecBole file -> [(this package's source file, how it is added)]: "new" makes the file, "append"
# merges its imports into the file's and adds its body at the end
SOURCES = {
    "recbole/model/general_recommender/vagnn.py": [
        ("model/general_recommender/vagnn.py", "new"),
        ("model/metapath.py", "append"),
    ],
    "recbole/model/layers.py": [("model/layers.py", "append")],
    "recbole/model/loss.py": [("model/loss.py", "append")],
    "recbole/data/dataset/tripartite_dataset.py": [("data/dataset/tripartite_dataset.py", "new")],
    "recbole/data/dataset/user_vlogger.py": [("data/user_vlogger.py", "new")],
    "recbole/data/dataset/link_lift.py": [("data/link_lift.py", "new")],
}
ERROR_CLASSES = ("ConfigError", "InputError", "CheckpointError", "TripartiteDataError")
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
ABLATION_CASES = {  # the paper's Table 3
    "test_vagnn": {},
    "test_vagnn_without_cl_loss": {"use_cl": False},
    "test_vagnn_without_vlogger_loss": {"use_vlogger_loss": False},
    "test_vagnn_without_video_view": {"use_video_view": False},
    "test_vagnn_without_vlogger_view": {"use_vlogger_view": False},
    "test_vagnn_without_vlogger_score": {"use_vlogger_score": False},
}
TEST_DATA_CONSTANT = """
# VAGNN's tripartite test data (tests/test_data/vagnn-test: .inter, .item with each video's vlogger,
# .uvl with user-vlogger events). RecBole's load_col above names the ml-100k test columns; the
# tripartite files name theirs, and the dataset reads .uvl itself. Its time field is not normalised.
VAGNN_TEST_DATA = {
    "dataset": "vagnn-test",
    "load_col": {"inter": ["user_id", "item_id", "timestamp"], "item": ["item_id", "vlogger_id"]},
    "normalize_all": False,
}
"""
DOCS = {
    "model_intro": "docs/source/user_guide/model_intro.rst",
    "api_index": "docs/source/recbole/recbole.model.general_recommender.rst",
    "api_page": "docs/source/recbole/recbole.model.general_recommender.vagnn.rst",
    "user_guide": "docs/source/user_guide/model/general/vagnn.rst",
    "model_list": "asset/model_list.json",
    "tests": "tests/model/test_model_auto.py",
}
MODEL_LIST_ENTRY = {
    "category": "General Recommendation",
    "cate_link": "/docs/user_guide/model_intro.html#general-recommendation",
    "year": "2023",
    "pub": "ECML-PKDD'23",
    "model": "VAGNN",
    "model_link": "/docs/user_guide/model/general/vagnn.html",
    "paper": "A Vlogger-augmented Graph Neural Network Model for Micro-video Recommendation",
    "paper_link": "https://arxiv.org/abs/2405.18260",
    "authors": "Weijiang Lai, Beihong Jin, Beibei Li, Yiyuan Zheng and Rui Zhao",
    "ref_code": "https://github.com/laiweijiang/VAGNN",
    "repository": "RecBole",
    "repo_link": "https://github.com/RUCAIBox/RecBole",
}
DOCS_DIR = Path(__file__).resolve().parent / "docs"
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
        ("feat[field].agg(len)", "feat[field].map(len)"),  # pandas 3: agg(len) is the series' length
    ],
    "recbole/data/dataset/kg_dataset.py": [("feat[field].agg(len)", "feat[field].map(len)")],
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


def rewrite(text):
    """``text`` as RecBole's code: this package's modules named as RecBole's, its error classes as ``ValueError``.

    A class deriving from one of this package's errors is dropped (its raises become
    ``ValueError``); any other reference to this package is an error.
    """
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    dropped = set()
    for node in tree.body:
        bases = {getattr(base, "id", None) for base in getattr(node, "bases", [])}
        erroring = isinstance(node, ast.ClassDef) and bases & set(ERROR_CLASSES)
        importing = isinstance(node, ast.ImportFrom) and node.module == "recbole_vagnn.utils.errors"
        merged = isinstance(node, ast.ImportFrom) and node.module == "recbole_vagnn.model.metapath"
        if erroring or importing or merged:
            dropped.update(range(node.lineno - 1, node.end_lineno))
    text = "".join(line for number, line in enumerate(lines) if number not in dropped)
    text = re.sub(r"\b(" + "|".join(ERROR_CLASSES) + r")\b", "ValueError", text)
    text = text.replace("(ValueError, ValueError)", "ValueError")
    for ours, theirs in sorted(MODULES.items(), key=lambda item: -len(item[0])):
        text = text.replace(ours, theirs)
    left = re.findall(r"recbole_vagnn[\w.]*", text)
    if left:
        raise InputError(f"the upstream copy would still import this package: {sorted(set(left))}")
    return text


def _split_module(text):
    """``(docstring, import statements, body)`` of a module's source (top-level imports only)."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    docstring = ast.get_docstring(tree) or ""
    imports, last = [], 0
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append("".join(lines[node.lineno - 1 : node.end_lineno]))
            last = node.end_lineno
        elif isinstance(node, ast.Expr) and node is tree.body[0]:
            last = node.end_lineno
        else:
            break
    return docstring, imports, "".join(lines[last:]).strip("\n")


def _import_group(statement):
    """0 for the standard library, 2 for RecBole, 1 for the rest: the blocks of RecBole's import lists."""
    node = ast.parse(statement).body[0]
    module = (node.module if isinstance(node, ast.ImportFrom) else node.names[0].name).split(".")[0]
    if module == "recbole":
        return 2
    return 0 if module in getattr(sys, "stdlib_module_names", ()) else 1


def append_module(target, source, title):
    """``target`` with ``source``'s missing imports among its own and ``source``'s body at its end.

    Each added import goes after the last of ``target``'s imports of its group (standard library,
    third party, RecBole). ``source``'s docstring becomes a comment above its body. Returns
    ``(text, first line added, last line added)`` of the body, 1-based, for black's ``--line-ranges``.
    """
    docstring, imports, body = _split_module(source)
    tree = ast.parse(target)
    lines = target.splitlines(keepends=True)
    present = {line.strip() for line in lines}
    for statement in imports:
        if statement.strip() in present:
            continue
        group = _import_group(statement)
        tree = ast.parse("".join(lines))
        existing = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        same = [node for node in existing if _import_group(ast.get_source_segment("".join(lines), node)) <= group]
        anchor = (same or existing)[-1].end_lineno if (same or existing) else 0
        lines[anchor:anchor] = [statement if statement.endswith("\n") else statement + "\n"]
    text = "".join(lines).rstrip("\n") + "\n\n\n"
    comment = "\n".join(f"# {line}".rstrip() for line in [title, "", *docstring.splitlines()])
    start = text.count("\n") + 1
    text += f"{comment}\n\n\n{body}\n"
    return text, start, text.count("\n")


def model_yaml():
    """The model's defaults followed by the tripartite dataset's keys (RecBole reads one YAML per model).

    ``load_col`` is left out: RecBole's ``properties/dataset/sample.yaml`` is read after the model's
    YAML and sets it for every dataset, so it belongs in the user's config (see the docs page).
    """
    schema, skipping = [], False
    for line in (PROPERTIES_DIR / "dataset" / "tripartite.yaml").read_text(encoding="utf-8").splitlines():
        skipping = line.startswith("load_col:") or (skipping and line.startswith("  "))
        if not (skipping or line.startswith("tripartite:")):
            schema.append(line)
    schema = "\n".join(schema)
    return (PROPERTIES_DIR / "model" / "VAGNN.yaml").read_text(encoding="utf-8").rstrip() + "\n\n" + schema + "\n"


def test_data():
    """``{file name: text}`` of the small tripartite test dataset, generated with a fixed seed."""
    import tempfile

    from recbole_vagnn.data.atomic import write_tripartite
    from recbole_vagnn.experiments.synthetic import generate

    frames = generate(users=60, vloggers=12, videos_per_vlogger=8, interactions_per_user=12, seed=11)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_tripartite(Path(tmp) / TEST_DATASET, TEST_DATASET, *frames)
        return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())}


def test_cases():
    """The methods added to ``TestGeneralRecommender``: VAGNN and its ablations through ``quick_test``."""
    cases = []
    for name, switches in ABLATION_CASES.items():
        extra = "".join(f', "{key}": {value}' for key, value in switches.items())
        cases.append(
            f"    def {name}(self):\n"
            f'        config_dict = {{"model": "VAGNN", **VAGNN_TEST_DATA{extra}}}\n'
            "        quick_test(config_dict)\n"
        )
    return "\n".join(cases)


def _insert_test_cases(text):
    """``test_model_auto.py`` with :data:`TEST_DATA_CONSTANT` before ``quick_test`` and the cases at the end of
    ``TestGeneralRecommender``; returns ``(text, [(first, last) lines added])``."""
    tree = ast.parse(text)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    if "TestGeneralRecommender" not in classes or "quick_test" not in functions:
        raise InputError(
            f"{DOCS['tests']}: no TestGeneralRecommender class and quick_test function to add VAGNN's cases to"
        )
    lines = text.splitlines(keepends=True)
    end = classes["TestGeneralRecommender"].end_lineno
    lines[end:end] = ["\n", *test_cases().splitlines(keepends=True)]
    start = functions["quick_test"].lineno - 1
    constant = TEST_DATA_CONSTANT.lstrip("\n").splitlines(keepends=True) + ["\n", "\n"]
    lines[start:start] = constant
    added_cases = end + len(constant) + 1
    return "".join(lines), [
        (start + 1, start + len(constant)),
        (added_cases, added_cases + test_cases().count("\n") + 1),
    ]


def _insert_toctree_line(text, after_pattern, line, where):
    """``text`` with ``line`` added to the toctree after the last line matching ``after_pattern``."""
    lines = text.splitlines(keepends=True)
    matches = [i for i, current in enumerate(lines) if re.search(after_pattern, current)]
    if not matches:
        raise InputError(f"{where}: no line like '{after_pattern}' to add '{line.strip()}' after")
    indent = re.match(r"\s*", lines[matches[-1]]).group(0)
    lines.insert(matches[-1] + 1, f"{indent}{line}\n")
    return "".join(lines)


def _insert_model_list_entry(text):
    """``asset/model_list.json`` with VAGNN's entry after the last of RecBole's own general models.

    The file is edited as text, in its own indentation, so that the diff is the entry alone.
    """
    entries = list(re.finditer(r"\{[^{}]*\}", text))
    general = [
        match
        for match in entries
        if '"General Recommendation"' in match.group(0) and '"repository": "RecBole"' in match.group(0)
    ]
    if not general:
        raise InputError(f"{DOCS['model_list']}: no entry of RecBole's general models to add VAGNN's after")
    last = general[-1]
    line_start = text.rfind("\n", 0, last.start()) + 1
    indent = text[line_start : last.start()]
    key_indent = re.search(r"\n([ \t]*)\"", last.group(0)).group(1)
    body = ",\n".join(f"{key_indent}{json.dumps(key)}: {json.dumps(value)}" for key, value in MODEL_LIST_ENTRY.items())
    entry = f",\n{indent}{{\n{body}\n{indent}}}"
    inserted = text[: last.end()] + entry + text[last.end() :]
    json.loads(inserted)  # still one JSON document
    return inserted


def contribution(root):
    """What the change writes under ``root`` (a RecBole checkout, or a folder holding an installed ``recbole/``).

    Returns ``(files, line_ranges)``: ``{relative path: text}`` for every file added or edited
    (an edit of a file ``root`` lacks is left out), and ``{relative path: [(first, last)]}`` of
    the lines an edit adds to an existing Python file (the lines black may format).
    """
    root = Path(root)
    files, ranges = {}, {}
    for target, sources in SOURCES.items():
        existing = root / target
        text = existing.read_text(encoding="utf-8") if existing.is_file() and sources[0][1] == "append" else None
        for source, how in sources:
            code = rewrite((PACKAGE_DIR / source).read_text(encoding="utf-8"))
            if how == "new":
                text = code
            else:
                text, first, last = append_module(
                    text, code, f"VA-GNN ({Path(source).stem}): see recbole/model/general_recommender/vagnn.py"
                )
                if existing.is_file():
                    ranges.setdefault(target, []).append((first, last))
        if target.endswith("tripartite_dataset.py"):
            text = text.rstrip() + "\n" + DATASET_ALIAS
        files[target] = text
    for target, line in INIT_LINES.items():
        if (root / target).is_file():
            text = (root / target).read_text(encoding="utf-8")
            files[target] = text.rstrip("\n") + f"\n{line}\n"
            ranges[target] = [(files[target].count("\n"), files[target].count("\n"))]
    files["recbole/properties/model/VAGNN.yaml"] = model_yaml()
    for name, text in test_data().items():
        files[f"tests/test_data/{TEST_DATASET}/{name}"] = text
    if (root / DOCS["tests"]).is_file():
        files[DOCS["tests"]], ranges[DOCS["tests"]] = _insert_test_cases(
            (root / DOCS["tests"]).read_text(encoding="utf-8")
        )
    files[DOCS["user_guide"]] = (DOCS_DIR / "vagnn.rst").read_text(encoding="utf-8")
    files[DOCS["api_page"]] = (
        ".. automodule:: recbole.model.general_recommender.vagnn\n   :members:\n   :undoc-members:\n   :show-inheritance:\n"
    )
    edits = {
        "model_intro": (r"^\s+model/general/\w+\s*$", "model/general/vagnn"),
        "api_index": (r"^\s+recbole\.model\.general_recommender\.\w+\s*$", "recbole.model.general_recommender.vagnn"),
    }
    for key, (pattern, line) in edits.items():
        if (root / DOCS[key]).is_file():
            files[DOCS[key]] = _insert_toctree_line(
                (root / DOCS[key]).read_text(encoding="utf-8"), pattern, line, DOCS[key]
            )
    if (root / DOCS["model_list"]).is_file():
        files[DOCS["model_list"]] = _insert_model_list_entry((root / DOCS["model_list"]).read_text(encoding="utf-8"))
    return files, ranges


def black_format(root, files, ranges):
    """Format the new Python files with black, and in edited ones only the added lines."""
    if importlib.util.find_spec("black") is None:
        raise InputError("upstream formats the change with black, as RecBole does: pip install black, then run again")
    for relative in files:
        if not relative.endswith(".py"):
            continue
        command = [sys.executable, "-m", "black", "-q"]
        for first, last in ranges.get(relative, []):
            command.append(f"--line-ranges={first}-{last}")
        done = subprocess.run([*command, str(Path(root) / relative)], capture_output=True, text=True)
        if done.returncode:
            raise InputError(f"black could not format {relative}: {done.stderr.strip().splitlines()[-1]}")


def write_files(root, files):
    for relative, text in files.items():
        path = Path(root) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


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


def pull_request_text():
    """``PR.md``: the pull request's title and description (also the commit message)."""
    return (DOCS_DIR / "PR.md").read_text(encoding="utf-8")


def _git(checkout, *args):
    done = subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True)
    if done.returncode:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise InputError(
            f"git {' '.join(args[:2])} in {checkout} failed: {message[-1] if message else done.returncode}"
        )
    return done.stdout


def check_checkout(checkout):
    """Refuse, in one line, a folder that is not a clean git checkout of a RecBole version this package knows."""
    checkout = Path(checkout)
    init = checkout / "recbole" / "__init__.py"
    if not checkout.is_dir() or not init.is_file():
        raise InputError(f"--into {checkout}: not a RecBole checkout (no recbole/__init__.py)")
    inside = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--show-toplevel"], capture_output=True, text=True
    )
    if inside.returncode or Path(inside.stdout.strip()).resolve() != checkout.resolve():
        raise InputError(f"--into {checkout}: not the top of a git checkout; clone RecBole there first")
    version = re.search(r"__version__\s*=\s*['\"]([^'\"]+)", init.read_text(encoding="utf-8"))
    if not version or version.group(1) not in KNOWN_RECBOLE_VERSIONS:
        found = version.group(1) if version else "none"
        raise InputError(
            f"--into {checkout}: RecBole version {found}; this package knows {', '.join(KNOWN_RECBOLE_VERSIONS)}"
        )
    if _git(checkout, "status", "--porcelain").strip():
        raise InputError(f"--into {checkout}: the checkout has uncommitted changes; commit or stash them first")
    if _git(checkout, "branch", "--list", BRANCH).strip():
        raise InputError(f"--into {checkout}: a branch '{BRANCH}' exists already; delete or rename it first")


def into_checkout(checkout, out_dir):
    """Branch, write, format, commit; write the commit as a patch and ``PR.md`` into ``out_dir``; return the files."""
    checkout, out_dir = Path(checkout), Path(out_dir)
    check_checkout(checkout)
    files, ranges = contribution(checkout)
    missing = [DOCS[key] for key in ("tests", "model_intro", "api_index", "model_list") if DOCS[key] not in files]
    if missing:
        raise InputError(
            f"--into {checkout}: missing {', '.join(missing)}, which the change edits; is this RecBole's repository?"
        )
    _git(checkout, "checkout", "-q", "-b", BRANCH)
    write_files(checkout, files)
    black_format(checkout, files, ranges)
    _git(checkout, "add", "--", *files)
    message = out_dir / "PR.md"
    out_dir.mkdir(parents=True, exist_ok=True)
    message.write_text(pull_request_text(), encoding="utf-8")
    _git(checkout, "commit", "-q", "-F", str(message.resolve()))
    (out_dir / PATCH_FILE).write_text(_git(checkout, "format-patch", "-1", "HEAD", "--stdout"), encoding="utf-8")
    import recbole

    (out_dir / PATCH_NAME).write_text(recbole_patch(Path(recbole.__file__).parent), encoding="utf-8")
    return sorted(files)


def into_folder(out_dir):
    """The new files into ``out_dir``, the package edits as :data:`PACKAGE_PATCH`; return the files written."""
    import recbole

    out_dir = Path(out_dir)
    site = Path(recbole.__file__).parent.parent
    files, ranges = contribution(site)
    staging = out_dir / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    write_files(staging, files)
    black_format(staging, files, ranges)
    edited = {relative for relative in files if (site / relative).is_file()}
    diff = []
    for relative in sorted(edited):
        before = (site / relative).read_text(encoding="utf-8").splitlines(keepends=True)
        after = (staging / relative).read_text(encoding="utf-8").splitlines(keepends=True)
        diff += difflib.unified_diff(before, after, f"a/{relative}", f"b/{relative}")
    for relative in sorted(set(files) - edited):
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(staging / relative, target)
    shutil.rmtree(staging)
    (out_dir / PACKAGE_PATCH).write_text("".join(diff), encoding="utf-8")
    (out_dir / "PR.md").write_text(pull_request_text(), encoding="utf-8")
    (out_dir / PATCH_NAME).write_text(recbole_patch(Path(recbole.__file__).parent), encoding="utf-8")
    return sorted(set(files) - edited) + [PACKAGE_PATCH, "PR.md", PATCH_NAME]


def main(argv=None):
    parser = argument_parser(
        "VA-GNN as a RecBole pull request: a commit in a RecBole checkout (--into), or the files and patches in OUT."
    )
    parser.add_argument("out_dir", nargs="?", default=None, help="without --into: the folder to write the change into")
    parser.add_argument(
        "--into", default=None, metavar="RECBOLE_CHECKOUT", help="a clean RecBole git checkout: branch and commit there"
    )
    parser.add_argument("--out", default=".", help=f"with --into: where {PATCH_FILE}, PR.md and {PATCH_NAME} go")
    args = parser.parse_args(argv)
    if args.into:
        if args.out_dir:
            raise InputError("give either --into RECBOLE_CHECKOUT (and --out DIR) or OUT, not both")
        files = into_checkout(args.into, args.out)
        print(f"committed {len(files)} files on branch '{BRANCH}' of {args.into}")
        print(f"wrote {Path(args.out) / PATCH_FILE}, {Path(args.out) / 'PR.md'} and {Path(args.out) / PATCH_NAME}")
        return
    if not args.out_dir:
        raise InputError("give OUT (a folder for the files and patches) or --into RECBOLE_CHECKOUT")
    written = into_folder(args.out_dir)
    print(
        f"wrote {len(written)} files into {args.out_dir}: the new files, {PACKAGE_PATCH} (RecBole's __init__, layers and "
        f"loss edits, against the installed RecBole), PR.md and {PATCH_NAME}"
    )


if __name__ == "__main__":
    from recbole_vagnn.cli.base import run_main

    run_main(main)
