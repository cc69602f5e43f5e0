"""The config keys' schema: each key's type, range or choices and its description, declared once.

The declaration is a structured comment on the line of the property YAML file that sets the
key's default::

    embedding_size: 64              # (int >= 1) d, the embedding size of users, videos and vloggers.
    cl_negatives: in_batch          # (one of in_batch, all) InfoNCE denominator: ...

Why this form: that line is where a user looks a key up and where an engineer adds one, so the
default, the rule and the meaning stand together and a new key gets its rule where it is set;
RecBole's Config ignores comments, and the files ship with the package. The free-form comments
that stood there before (``# (int) ...``) and the separate lists in ``checks.py`` said the same
facts twice and drifted. From this one declaration :mod:`recbole_vagnn.config.checks` derives
its rules, :func:`render_table` the manual's tables (``python -m recbole_vagnn.config.schema``
prints them; ``--rst`` for reStructuredText) and ``recbole-vagnn run --help`` points to them.

The rule is the parenthesis that opens the comment, one of:

- ``(bool)``: ``True`` or ``False`` only (never ``'no'`` or ``1``);
- ``(int >= N)``: an integer, at least ``N``;
- ``(number > 0)`` and ``(number >= 0)``: a finite number; ``number >= 0`` also accepts a
  non-empty list of such numbers (RecBole's HGN and SHAN set ``reg_weight: [a, b]``);
- ``(probability)``: a finite number in [0, 1];
- ``(share)``: a finite number in [0, 1), a share of something that must leave a part over;
- ``(one of a, b, c)``: one of these strings; ``(one of model.metapath.DIRECTIONS)`` names the
  tuple of a module under ``recbole_vagnn`` where the code owns the list (one list, not two);
- ``(str)``, ``(list)``, ``(dict)``: descriptive only; RecBole reads them as it does, unchecked.

The rest of the comment, and indented comment lines right below it, are the description. A
key's rule is declared on one line only: another file that sets the key (``embedding_size`` in
every model's file) carries a plain comment, its own description there, or none. A comment
that opens with ``(`` and is not a rule, or a second declaration, raises :class:`SchemaError`
naming the file and line when the schema loads (:mod:`checks` loads it on import); a key left
undeclared is caught by the tests.

Files read, in this order: ``overall.yaml``, ``dataset/*.yaml``, ``protocol/*.yaml``,
``model/VAGNN.yaml`` and the other ``model/*.yaml``, then ``recbole_keys.yaml``: RecBole's own
keys that the checks cover though no file here sets them. That file is annotation-only: its
keys have no value and nothing loads it as config, so it changes no config value (their
defaults are RecBole's, which the table shows). Presets and tuning grids are not read.

No RecBole, no torch: this module is plumbing below the config and the commands.
"""

import importlib
import importlib.util
import math
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Tuple

import yaml

from recbole_vagnn.utils.paths import PROPERTIES_DIR

ANNOTATION_ONLY = "recbole_keys.yaml"
"""The file of RecBole's own checked keys: declarations without values (module docstring)."""

DESCRIPTIVE = ("str", "list", "dict")
GRAMMAR = (
    "(bool), (int >= N), (number > 0), (number >= 0), (probability), (share), (one of A, B, ...), "
    "(one of module.CONSTANT), (str), (list) or (dict)"
)
_INT = re.compile(r"int\s*>=\s*(-?\d+)")
_ONE_OF = re.compile(r"one of\s+(.+)")
_CHOICE = re.compile(r"[A-Za-z0-9_\-]+")
_REFERENCE = re.compile(r"((?:[a-z_][a-z0-9_]*\.)+)([A-Z][A-Z0-9_]*)")
_KEY_LINE = re.compile(r"([A-Za-z_]\w*)[ \t]*:(?=[ \t]|$)(.*)")
_CONTINUATION = re.compile(r"[ \t]+#(.*)")


class SchemaError(ValueError):
    """A malformed or repeated declaration in a property file: ``FILE:LINE: what is wrong``."""


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@lru_cache(maxsize=None)
def _resolve(reference):
    """The choices a ``module.CONSTANT`` reference names, under ``recbole_vagnn``."""
    module, _, name = reference.rpartition(".")
    choices = getattr(importlib.import_module(f"recbole_vagnn.{module}"), name)
    if not (isinstance(choices, tuple) and choices and all(isinstance(c, str) for c in choices)):
        raise SchemaError(f"recbole_vagnn.{reference} is not a non-empty tuple of strings: {choices!r}")
    return choices


@dataclass(frozen=True)
class Rule:
    """One key's rule: ``kind`` is bool, int, positive, non_negative, probability, share, choices, str, list or dict."""

    kind: str
    minimum: Optional[int] = None
    listed: Tuple[str, ...] = ()
    reference: Optional[str] = None

    @property
    def checked(self):
        return self.kind not in DESCRIPTIVE

    @property
    def choices(self):
        """The accepted strings of a ``choices`` rule, in their order (resolved where the code owns them)."""
        return _resolve(self.reference) if self.reference else self.listed

    @property
    def text(self):
        """The rule as the manual's table shows it."""
        if self.kind == "choices":
            return "one of " + ", ".join(self.choices)
        return {
            "int": f"int >= {self.minimum}",
            "positive": "number > 0",
            "non_negative": "number >= 0",
            "probability": "number in [0, 1]",
            "share": "number in [0, 1)",
        }.get(self.kind, self.kind)

    @property
    def requirement(self):
        """What the check's message says a value must be (``config 'KEY' must be ...``); None if unchecked."""
        if self.kind == "choices":
            return f"must be one of {', '.join(map(repr, self.choices))}"
        return {
            "bool": "must be True or False",
            "int": f"must be an integer >= {self.minimum}",
            "positive": "must be a number > 0",
            "non_negative": "must be a number >= 0",
            "probability": "must be a number in [0, 1]",
            "share": "must be a number in [0, 1)",
        }.get(self.kind)

    def accepts(self, value):
        """Whether ``value`` (not ``None``) passes the check; descriptive kinds accept anything."""
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "int":
            return isinstance(value, int) and not isinstance(value, bool) and value >= self.minimum
        if self.kind == "positive":
            return _is_number(value) and value > 0
        if self.kind == "non_negative":
            weights = value if isinstance(value, (list, tuple)) else [value]
            return bool(weights) and all(_is_number(w) and w >= 0 for w in weights)
        if self.kind == "probability":
            return _is_number(value) and 0 <= value <= 1
        if self.kind == "share":
            return _is_number(value) and 0 <= value < 1
        if self.kind == "choices":
            return value in self.choices
        return True

    def problem(self, value):
        """What is wrong with ``value`` (``must be ...``), or None."""
        return None if self.accepts(value) else self.requirement


def parse_rule(text):
    """The :class:`Rule` an annotation's parenthesis holds (without the parentheses), or None if malformed."""
    text = " ".join(text.split())
    fixed = {
        "bool": Rule("bool"),
        "number > 0": Rule("positive"),
        "number >= 0": Rule("non_negative"),
        "probability": Rule("probability"),
        "share": Rule("share"),
    }
    fixed.update({kind: Rule(kind) for kind in DESCRIPTIVE})
    if text in fixed:
        return fixed[text]
    match = _INT.fullmatch(text)
    if match:
        return Rule("int", minimum=int(match.group(1)))
    match = _ONE_OF.fullmatch(text)
    if not match:
        return None
    if _REFERENCE.fullmatch(match.group(1)):
        return Rule("choices", reference=match.group(1))
    listed = tuple(choice.strip() for choice in match.group(1).split(","))
    if not all(_CHOICE.fullmatch(choice) for choice in listed) or len(set(listed)) != len(listed):
        return None
    return Rule("choices", listed=listed)


@dataclass(frozen=True)
class Entry:
    """One key line of a property file: its default, the rule declared there (if any) and its description."""

    key: str
    file: str
    line: int
    value_text: str
    default: object
    rule: Optional[Rule]
    description: str

    @property
    def where(self):
        return f"{self.file}:{self.line}"


def _split_comment(text):
    """``(value, comment)`` of what follows a key's colon; comment is None without one (YAML: '#' after a blank)."""
    quote = None
    for index, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"" and (index == 0 or text[index - 1] in " \t[{,"):
            quote = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t"):
            return text[:index].strip(), text[index + 1 :]
    return text.strip(), None


def parse_file(path, name):
    """The :class:`Entry` of every top-level key of the YAML file ``path``, reported as ``name``."""
    text = Path(path).read_text(encoding="utf-8")
    values = yaml.safe_load(text) or {}
    entries, current = [], None  # current: [key, line, value_text, rule, description parts]
    for number, line in enumerate(text.splitlines(), start=1):
        continuation = _CONTINUATION.fullmatch(line)
        if current and continuation:
            current[4].append(continuation.group(1).strip())
            continue
        if current:
            entries.append(current)
            current = None
        match = _KEY_LINE.fullmatch(line)
        if not match:
            continue
        value_text, comment = _split_comment(match.group(2))
        rule, description = None, (comment or "").strip()
        if description.startswith("("):
            inside, closed, rest = description[1:].partition(")")
            rule = parse_rule(inside) if closed else None
            if rule is None:
                raise SchemaError(
                    f"{name}:{number}: malformed annotation of '{match.group(1)}': "
                    f"'{description.split(')')[0]})'; a rule is one of {GRAMMAR}"
                )
            description = rest.strip()
        current = [match.group(1), number, value_text, rule, [description] if description else []]
        if comment is None:
            entries.append(current)
            current = None
    if current:
        entries.append(current)
    keys = [entry[0] for entry in entries]
    if not isinstance(values, dict) or sorted(keys) != sorted(values):
        raise SchemaError(f"{name}: the key lines read ({', '.join(keys)}) are not the file's top-level keys")
    return [
        Entry(key, name, number, value_text, values[key], rule, " ".join(parts))
        for key, number, value_text, rule, parts in entries
    ]


def property_files(directory=None):
    """The property files the schema reads, in the table's order (module docstring)."""
    directory = Path(directory or PROPERTIES_DIR)
    models = sorted((directory / "model").glob("*.yaml"), key=lambda path: (path.stem != "VAGNN", path.stem))
    files = [directory / "overall.yaml", directory / "training.yaml"]
    files += sorted((directory / "dataset").glob("*.yaml")) + sorted((directory / "protocol").glob("*.yaml"))
    return [file for file in files + models + [directory / ANNOTATION_ONLY] if file.is_file()]


class Schema:
    """Every key line of the property files and each key's one declared :class:`Rule`."""

    def __init__(self, entries):
        self.entries = tuple(entries)
        self.declarations = {}
        for entry in self.entries:
            if entry.file.endswith(f"/{ANNOTATION_ONLY}") and (entry.rule is None or entry.default is not None):
                raise SchemaError(
                    f"{entry.where}: '{entry.key}' in the annotation-only {ANNOTATION_ONLY} needs a rule and no value"
                )
            if entry.rule is None:
                continue
            first = self.declarations.get(entry.key)
            if first:
                raise SchemaError(
                    f"{entry.where}: '{entry.key}' is declared again ({first.where} declares it); declare a key's "
                    "rule once and give the other lines a plain comment"
                )
            self.declarations[entry.key] = entry

    @property
    def rules(self):
        """``{key: Rule}``, in declaration order."""
        return {key: entry.rule for key, entry in self.declarations.items()}

    def rule(self, key):
        entry = self.declarations.get(key)
        return entry.rule if entry else None

    def undeclared(self):
        """Key lines whose key has no declaration anywhere."""
        return [entry for entry in self.entries if entry.key not in self.declarations]


def load_schema(directory=None):
    """The :class:`Schema` of the property files under ``directory`` (this package's properties by default)."""
    if directory is None:
        return _default_schema()
    directory = Path(directory)
    return Schema(entry for file in property_files(directory) for entry in parse_file(file, _name(file, directory)))


def _name(file, directory):
    return f"properties/{file.relative_to(directory).as_posix()}"


@lru_cache(maxsize=1)
def _default_schema():
    return load_schema(PROPERTIES_DIR)


def recbole_defaults():
    """RecBole's ``properties/overall.yaml`` as a dict, read without importing RecBole ({} if not found)."""
    spec = importlib.util.find_spec("recbole")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "properties" / "overall.yaml"
        if path.is_file():
            return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {}


def _flow(value):
    """A default as the YAML files write it: ``True``, ``0.001``, ``[10, 20]``, ``{LS: valid_and_test}``."""
    if value is None or isinstance(value, bool):
        return str(value)
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**9).strip().removesuffix("\n...")


def _default_text(entry, recbole):
    if entry.file.endswith(f"/{ANNOTATION_ONLY}"):
        return f"{_flow(recbole[entry.key])} (RecBole's)" if entry.key in recbole else "RecBole's"
    return entry.value_text or _flow(entry.default)


def table_rows(schema=None):
    """``{file: [(key, type/range, default, description)]}`` for every key line, with its key's declared rule."""
    schema = schema or load_schema()
    recbole = recbole_defaults()
    rows = {}
    for entry in schema.entries:
        declared = schema.declarations.get(entry.key)
        if declared is None:
            raise SchemaError(f"{entry.where}: '{entry.key}' has no declaration: annotate it as '# (RULE) description'")
        description = entry.description or (
            declared.description if declared is entry else f"as in {declared.file}: {declared.description}"
        )
        rows.setdefault(entry.file, []).append(
            (entry.key, declared.rule.text, _default_text(entry, recbole), description)
        )
    return rows


def _rst_text(text):
    return re.sub(r"([*`|\\])|_(?=\W|$)", lambda m: "\\" + (m.group(1) or "_"), text)


def render_table(fmt="markdown", schema=None):
    """The manual's tables, one per property file: key, type/range, default, description.

    ``fmt`` is ``"markdown"`` (a heading and a pipe table per file) or ``"rst"`` (a ``list-table``
    per file, titled with the file).
    """
    if fmt not in ("markdown", "rst"):
        raise ValueError(f"fmt must be 'markdown' or 'rst', got {fmt!r}")
    header = ("key", "type / range", "default", "description")
    blocks = []
    for file, rows in table_rows(schema).items():
        if fmt == "markdown":
            lines = [f"#### `{file}`", "", "| " + " | ".join(header) + " |", "| --- | --- | --- | --- |"]
            for key, rule, default, description in rows:
                cells = (f"`{key}`", rule, f"`{default}`", description)
                lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        else:
            lines = [f".. list-table:: {file}", "   :header-rows: 1", ""]
            for cells in [header] + [
                (f"``{key}``", _rst_text(rule), f"``{default}``", _rst_text(description))
                for key, rule, default, description in rows
            ]:
                lines += [f"   * - {cells[0]}"] + [f"     - {cell}" for cell in cells[1:]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def main(argv=None):
    """``python -m recbole_vagnn.config.schema [--rst]``: print the config keys' tables (Markdown by default)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv not in ([], ["--rst"], ["--markdown"]):
        print("usage: python -m recbole_vagnn.config.schema [--markdown | --rst]", file=sys.stderr)
        return 2
    sys.stdout.write(render_table("rst" if argv == ["--rst"] else "markdown"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
