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
  (``user_vlogger.py``), the link-lift helper (``link_lift.py``) and the cold-video split
  (``cold_items.py``) beside it.
- ``recbole/properties/model/VAGNN.yaml``: the model's defaults and the dataset's keys.
- Tests in RecBole's form: VAGNN and its five ablations as cases of
  ``tests/model/test_model_auto.py``'s ``TestGeneralRecommender`` through ``quick_test``, on
  ``tests/test_data/vagnn-test/`` with a documented ``load_col``.
- Documentation: ``docs/source/user_guide/model/general/vagnn.rst`` (Introduction, Running with
  RecBole, Tuning Hyper Parameters), the API page and both index entries, and the model's entry in
  ``asset/model_list.json``.

No new top-level module and no error class of this package: its errors become ``ValueError``
(:func:`rewrite`, which edits this package's modules on their syntax trees, so that their comments
and layout stay). The new and edited Python files are formatted with black, as RecBole is; edited
files only on the lines this change adds (``black --line-ranges``). RecBole's files are edited
where their structure says: the test class and function by their syntax tree, the toctrees by
their entries, ``asset/model_list.json`` by its JSON entries, the model's YAML by its YAML nodes.

``--into DIR`` makes a branch ``add-vagnn`` in a clean RecBole git checkout (version 1.2.1) and
one commit there, and writes it as ``0001-Add-VAGNN.patch`` (``git format-patch``) and ``PR.md``
(the pull-request text, also the commit message) into ``--out`` (default: the working folder).
Without ``--into``, ``upstream OUT`` writes the new files into OUT and the edits of RecBole's
package files as ``recbole-package.patch`` against the installed RecBole (the docs indexes, the
test file and ``asset/model_list.json`` are not in the wheel: ``PR.md`` lists those edits).

``recbole-1.2.1-compat.patch`` is written either way, a separate change of RecBole's own files
with the fixes of :mod:`recbole_vagnn.utils.compat` (NumPy 2, SciPy >= 1.13, pandas 3, the Collector's
plain values, ``recbole.quick_start`` importable without Ray): the edits of its table
:data:`~recbole_vagnn.utils.compat.FIXES`, the one list of those fixes, so that it can be merged
on its own and the compatibility module deleted.
"""

import ast
import difflib
import functools
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from recbole_vagnn.cli.base import argument_parser
from recbole_vagnn.utils import compat
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
    "recbole_vagnn.data.cold_items": "recbole.data.dataset.cold_items",
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
    "recbole/data/dataset/cold_items.py": [("data/cold_items.py", "new")],
}
ERRORS_MODULE = "recbole_vagnn.utils.errors"  # its classes, and those deriving from them, become ValueError
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
DATASET_KEYS_LEFT_OUT = ("tripartite", "load_col")  # of tripartite.yaml: see model_yaml


@functools.cache
def error_classes():
    """This package's error classes: those of :data:`ERRORS_MODULE` and, in the modules this change
    copies (:data:`SOURCES`), the top-level classes deriving from them (read from their syntax trees)."""
    errors = Path(importlib.util.find_spec(ERRORS_MODULE).origin).read_text(encoding="utf-8")
    names = {node.name for node in ast.parse(errors).body if isinstance(node, ast.ClassDef)}
    for source in sorted({source for sources in SOURCES.values() for source, _ in sources}):
        for node in ast.parse((PACKAGE_DIR / source).read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and {getattr(base, "id", None) for base in node.bases} & names:
                names.add(node.name)
    return frozenset(names)


class _ToRecBole(ast.NodeVisitor):
    """The edits that make one of this package's modules RecBole's module ``into``: each an
    ``(line, column, end line, end column, replacement)`` of a node, as :mod:`ast` places it."""

    def __init__(self, text, into):
        self.text, self.into, self.errors, self.edits = text, into, error_classes(), []

    def replace(self, node, replacement, whole_lines=False):
        if whole_lines:  # from the first line of the node (its decorators too) to the start of the next
            first = min([node.lineno] + [decorator.lineno for decorator in getattr(node, "decorator_list", [])])
            self.edits.append((first, 0, node.end_lineno + 1, 0, replacement))
        else:
            self.edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, replacement))

    def docstring(self, node):
        """A docstring is prose, with no structure to edit: the exact names of this package's modules
        and errors in it are replaced as text (plain ``str.replace``, longest name first)."""
        first = node.body[0] if node.body else None
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
            return
        if not isinstance(first.value.value, str):
            return
        old = new = ast.get_source_segment(self.text, first.value)
        for ours, theirs in sorted(MODULES.items(), key=lambda item: -len(item[0])):
            new = new.replace(ours, theirs)
        for name in sorted(self.errors, key=len, reverse=True):
            new = new.replace(name, "ValueError")
        if new != old:
            self.replace(first.value, new)

    def visit_Module(self, node):
        self.docstring(node)
        for child in node.body:
            bases = {getattr(base, "id", None) for base in getattr(child, "bases", [])}
            if isinstance(child, ast.ClassDef) and bases & self.errors:
                self.replace(child, "", whole_lines=True)  # its raises become ValueError (visit_Name)
            else:
                self.visit(child)

    def visit_ClassDef(self, node):
        self.docstring(node)
        self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef

    def visit_ImportFrom(self, node):
        if node.module == ERRORS_MODULE or MODULES.get(node.module) == self.into:
            self.replace(node, "", whole_lines=True)  # the errors, or a module merged into this one
        elif node.module in MODULES:  # RecBole's module, the names as they are written (one per line, ...)
            keyword, module, names = ast.get_source_segment(self.text, node).split(None, 2)
            if module != node.module:  # a module name split by spaces or a line break: written anew
                names = ast.unparse(ast.ImportFrom("m", node.names, 0)).split(None, 2)[2]
            self.replace(node, f"{keyword} {MODULES[node.module]} {names}")

    def visit_Name(self, node):
        if node.id in self.errors:
            self.replace(node, "ValueError")

    def visit_Tuple(self, node):
        """``(OurError, ValueError)``, in an ``except`` or ``isinstance``: one ``ValueError``."""
        names = [getattr(element, "id", None) for element in node.elts]
        renamed = list(dict.fromkeys("ValueError" if name in self.errors else name for name in names))
        if all(names) and set(names) & self.errors and len(renamed) < len(names):
            self.replace(node, renamed[0] if len(renamed) == 1 else f"({', '.join(renamed)})")
        else:
            self.generic_visit(node)


def _edit(text, edits):
    """``text`` with each ``(line, column, end line, end column, replacement)`` made: lines 1-based,
    columns in UTF-8 bytes, as :mod:`ast` gives them; the edits do not overlap."""
    data = text.encode("utf-8")
    starts = [0]
    for line in data.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    for line, column, end_line, end_column, replacement in sorted(edits, reverse=True):
        start, end = starts[line - 1] + column, starts[end_line - 1] + end_column
        data = data[:start] + replacement.encode("utf-8") + data[end:]
    return data.decode("utf-8")


def rewrite(text, into):
    """``text``, one of this package's modules, as RecBole's module ``into``, edited on its syntax tree.

    Imports of this package's modules name RecBole's (:data:`MODULES`); those of a module merged
    into ``into`` and of this package's errors go. A top-level class deriving from one of this
    package's errors (:func:`error_classes`) goes, and every name of those errors becomes
    ``ValueError``. Each edit replaces the source of one node, so comments and layout stay; only
    docstrings are edited as text (:meth:`_ToRecBole.docstring`). Any other mention of this
    package is an error.
    """
    visitor = _ToRecBole(text, into)
    visitor.visit(ast.parse(text))
    text = _edit(text, visitor.edits)
    left = [line.strip() for line in text.splitlines() if "recbole_vagnn" in line]
    if left:
        raise InputError(f"the upstream copy of {into} would still name this package: {left[0]}")
    ast.parse(text)  # still Python
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


def _last_line(node):
    """The last line (0-based) that a YAML node's own text takes (a block collection's last value's)."""
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        return _last_line(last[1] if isinstance(node, yaml.MappingNode) else last)
    line = node.end_mark.line
    return line - 1 if node.end_mark.column == 0 and line > node.start_mark.line else line


def model_yaml():
    """The model's defaults followed by the tripartite dataset's keys (RecBole reads one YAML per model).

    The two files are joined with their comments, RecBole's way of documenting each key, so the
    dataset's keys that do not belong (:data:`DATASET_KEYS_LEFT_OUT`) are taken out by the lines
    that their YAML nodes span, and the result is checked to load as the two files' values do.
    ``load_col`` is left out: RecBole's ``properties/dataset/sample.yaml`` is read after the model's
    YAML and sets it for every dataset, so it belongs in the user's config (see the docs page).
    """
    model = (PROPERTIES_DIR / "model" / "VAGNN.yaml").read_text(encoding="utf-8")
    dataset = (PROPERTIES_DIR / "dataset" / "tripartite.yaml").read_text(encoding="utf-8")
    lines = dataset.splitlines(keepends=True)
    entries = yaml.compose(dataset).value
    for key, value in reversed(entries):
        if key.value in DATASET_KEYS_LEFT_OUT:
            del lines[key.start_mark.line : _last_line(value) + 1]
    text = model.rstrip() + "\n\n" + "".join(lines).rstrip("\n") + "\n"
    kept = {key: value for key, value in yaml.safe_load(dataset).items() if key not in DATASET_KEYS_LEFT_OUT}
    if yaml.safe_load(text) != {**yaml.safe_load(model), **kept}:
        raise InputError(f"{PROPERTIES_DIR}: VAGNN.yaml and tripartite.yaml, joined, do not load as the two files do")
    return text


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


def _insert_toctree_line(text, prefix, entry, where):
    """``text`` with ``entry`` added to its toctree after the last entry that is ``prefix`` and a name."""
    lines = text.splitlines(keepends=True)
    entries = [
        number
        for number, line in enumerate(lines)
        if line[:1].isspace() and line.strip().startswith(prefix) and line.strip()[len(prefix) :].isidentifier()
    ]
    if not entries:
        raise InputError(f"{where}: no toctree entry '{prefix}...' to add '{entry}' after")
    last = lines[entries[-1]]
    lines.insert(entries[-1] + 1, f"{last[: len(last) - len(last.lstrip())]}{entry}\n")
    return "".join(lines)


def _json_entries(text):
    """``[(start, end, entry)]``: where each entry of the ``"data"`` list of ``asset/model_list.json``
    lies in ``text``, read by the JSON decoder value by value."""
    json.loads(text)  # one JSON document, so the walk below stays inside it
    decoder, position = json.JSONDecoder(), 0

    def skip(position, *allowed):
        while text[position].isspace() or text[position] in allowed:
            position += 1
        return position

    position = skip(position)
    if text[position] != "{":
        return []
    position = skip(position + 1)
    while text[position] != "}":
        key, position = decoder.raw_decode(text, position)
        position = skip(position, ":")
        if key == "data" and text[position] == "[":
            entries, position = [], skip(position + 1)
            while text[position] != "]":
                entry, end = decoder.raw_decode(text, position)
                entries.append((position, end, entry))
                position = skip(end, ",")
            return entries
        _, position = decoder.raw_decode(text, position)
        position = skip(position, ",")
    return []


def _insert_model_list_entry(text):
    """``asset/model_list.json`` with VAGNN's entry after the last of RecBole's own general models.

    The entry is inserted into the text, in the file's own indentation, so that the diff is the entry alone.
    """
    general = [
        (start, end, entry)
        for start, end, entry in _json_entries(text)
        if isinstance(entry, dict)
        and entry.get("category") == "General Recommendation"
        and entry.get("repository") == "RecBole"
    ]
    if not general:
        raise InputError(f"{DOCS['model_list']}: no entry of RecBole's general models to add VAGNN's after")
    start, end, _ = general[-1]
    indent = text[text.rfind("\n", 0, start) + 1 : start]
    entry_lines = text[start:end].splitlines()
    key_line = entry_lines[1] if len(entry_lines) > 1 else indent + "    "
    step = key_line[len(indent) : len(key_line) - len(key_line.lstrip())]
    entry = json.dumps(MODEL_LIST_ENTRY, indent=step).replace("\n", "\n" + indent)
    inserted = f"{text[:end]},\n{indent}{entry}{text[end:]}"
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
        module = ".".join(Path(target).with_suffix("").parts)
        for source, how in sources:
            code = rewrite((PACKAGE_DIR / source).read_text(encoding="utf-8"), module)
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
    toctrees = {"model_intro": "model/general/", "api_index": "recbole.model.general_recommender."}
    for key, prefix in toctrees.items():
        if (root / DOCS[key]).is_file():
            files[DOCS[key]] = _insert_toctree_line(
                (root / DOCS[key]).read_text(encoding="utf-8"), prefix, f"{prefix}vagnn", DOCS[key]
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
    """The edits of :data:`recbole_vagnn.utils.compat.FIXES` as a unified diff (``a/recbole/...``) of the
    RecBole sources in ``recbole_dir``, one part per file."""
    root = Path(recbole_dir).parent
    edits = {}
    for fix in compat.FIXES:
        for relative, pairs in fix.edits.items():
            edits.setdefault(relative, []).extend(pairs)
    diff = []
    for relative in sorted(edits):
        original = (root / relative).read_text(encoding="utf-8")
        fixed = original
        for old, new in edits[relative]:
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


def _version(init):
    """The ``__version__ = "..."`` that ``recbole/__init__.py`` assigns, or None."""
    try:
        tree = ast.parse(init.read_text(encoding="utf-8"))
    except SyntaxError:
        return None
    for node in tree.body:
        targets = [getattr(target, "id", None) for target in getattr(node, "targets", [])]
        if isinstance(node, ast.Assign) and "__version__" in targets and isinstance(node.value, ast.Constant):
            return node.value.value
    return None


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
    version = _version(init)
    if version not in KNOWN_RECBOLE_VERSIONS:
        found = version or "none"
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
