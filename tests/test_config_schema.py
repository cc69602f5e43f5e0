"""The config keys' schema: declared once in the property files, parsed, checked and rendered for the manual."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from recbole_vagnn.config import checks
from recbole_vagnn.config.schema import (
    ANNOTATION_ONLY,
    Rule,
    SchemaError,
    load_schema,
    parse_file,
    parse_rule,
    render_table,
    table_rows,
)
from recbole_vagnn.utils.errors import ConfigError
from recbole_vagnn.utils.paths import PROPERTIES_DIR

REPO = Path(__file__).resolve().parent.parent

# checks.py's hand-written rules before they were derived from the schema, copied once as the expected values.
OLD_BOOLEAN_KEYS = {
    "use_cl",
    "use_vlogger_loss",
    "use_video_view",
    "use_vlogger_view",
    "use_vlogger_score",
    "use_gate",
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
    "verbose",
    "record_test_curve",
    "stopping_ties_improve",
}
OLD_INTEGER_AT_LEAST = {
    "epochs": 1,
    "train_batch_size": 1,
    "eval_batch_size": 1,
    "embedding_size": 1,
    "n_layers": 1,
    "eval_step": 0,  # 0: no validation, as in RecBole (was 1: refused)
    "stopping_step": 1,
    "uvl_min_videos": 0,
    "uvl_min_links": 0,
    "min_epoch_steps": 0,
    "patience_steps": 0,
    "min_train_steps": 0,
    "max_train_steps": 0,
    "stopping_window": 1,
}
ADDED_BOOLEAN_KEYS = {"training_defaults", "gate_calibration", "head_tail"}  # keys added since the hand-written schema
ADDED_NON_NEGATIVE_NUMBERS = {"part_loss_weight", "follow_weight"}
OLD_POSITIVE_NUMBERS = {"learning_rate", "cl_temperature", "ssl_tau", "gtn_beta", "gtn_gamma"}
OLD_NON_NEGATIVE_NUMBERS = {
    "reg_weight",
    "stopping_margin_se",
    "cl_weight",
    "vlogger_loss_weight",
    "ssl_weight",
    "eps",
    "trend_lambda",
    "weight_decay",
}
OLD_PROBABILITIES = {"walk_q1", "walk_q2", "drop_ratio", "prop_dropout", "node_dropout", "message_dropout"}
OLD_CHOICES = {
    "cl_negatives": ("in_batch", "all"),
    "walk_direction": ("paper", "authors"),
    "vlogger_sampling": ("pair", "user"),
    "vlogger_view_graph": ("explicit", "watched"),
    "edge_weight": ("binary", "count"),
    "view_fusion": ("concat", "sum"),
    "uvl_rule": ("leak_free", "paper"),
}
ADDED_CHOICES = {
    "cold_video_score": ("vlogger", "gate"),
    "cold_split": ("random", "time"),
    "cold_candidates": ("cold", "all"),
}
ADDED_SHARES = {"cold_items"}


def test_the_derived_rules_are_the_old_hand_written_ones():
    assert set(checks.BOOLEAN_KEYS) == OLD_BOOLEAN_KEYS | ADDED_BOOLEAN_KEYS
    assert checks.INTEGER_AT_LEAST == OLD_INTEGER_AT_LEAST
    assert set(checks.POSITIVE_NUMBERS) == OLD_POSITIVE_NUMBERS
    assert set(checks.NON_NEGATIVE_NUMBERS) == OLD_NON_NEGATIVE_NUMBERS | ADDED_NON_NEGATIVE_NUMBERS
    assert set(checks.PROBABILITIES) == OLD_PROBABILITIES
    assert checks.CHOICES == OLD_CHOICES | ADDED_CHOICES  # the order too: the messages list the choices in it
    assert {key for key, rule in load_schema().rules.items() if rule.kind == "share"} == ADDED_SHARES
    checked = {key for key, rule in load_schema().rules.items() if rule.checked}
    old = (
        OLD_BOOLEAN_KEYS
        | ADDED_BOOLEAN_KEYS
        | set(OLD_INTEGER_AT_LEAST)
        | OLD_POSITIVE_NUMBERS
        | OLD_NON_NEGATIVE_NUMBERS
        | ADDED_NON_NEGATIVE_NUMBERS
    )
    added = set(ADDED_CHOICES) | ADDED_SHARES
    assert checked == old | OLD_PROBABILITIES | set(OLD_CHOICES) | added  # no key checked that was not before


def test_choices_owned_by_the_code_are_referenced_not_repeated():
    from recbole_vagnn.data.user_vlogger import UVL_RULES
    from recbole_vagnn.model.metapath import DIRECTIONS

    schema = load_schema()
    assert schema.rule("walk_direction").reference == "model.metapath.DIRECTIONS"
    assert schema.rule("walk_direction").choices is DIRECTIONS
    assert schema.rule("uvl_rule").reference == "data.user_vlogger.UVL_RULES"
    assert schema.rule("uvl_rule").choices is UVL_RULES


def test_rules_parse_and_anything_else_in_parentheses_is_refused():
    assert parse_rule("bool") == Rule("bool")
    assert parse_rule("int >= 0") == Rule("int", minimum=0)
    assert parse_rule("int>=3") == Rule("int", minimum=3)
    assert parse_rule("number > 0") == Rule("positive")
    assert parse_rule("number >= 0") == Rule("non_negative")
    assert parse_rule("probability") == Rule("probability")
    assert parse_rule("share") == Rule("share")
    assert parse_rule("one of in_batch, all") == Rule("choices", listed=("in_batch", "all"))
    assert parse_rule("one of model.metapath.DIRECTIONS") == Rule("choices", reference="model.metapath.DIRECTIONS")
    assert parse_rule("list") == Rule("list") and not Rule("list").checked
    for text in ("int", "float", "int >= x", "number > 1", "one of", "one of a, a", "one of a b", "string", ""):
        assert parse_rule(text) is None, text


def test_key_lines_their_comments_and_continuations_parse(tmp_path):
    path = tmp_path / "keys.yaml"
    path.write_text(
        "# a block comment, not a key\n"
        "size: 64             # (int >= 1) the size;\n"
        "                     #   continued here.\n"
        "mode: 'a # b'        # (one of x, y) a quoted '#' is no comment.\n"
        "plain: 1.0e-04       # a plain description: the rule is declared elsewhere\n"
        "bare: True\n"
        "block:               # (dict) nested lines are the value.\n"
        "  inner: [1, 2]      # (not an annotation: nested)\n"
        "last: [a, b]         # (list)\n",
        encoding="utf-8",
    )
    entries = {entry.key: entry for entry in parse_file(path, "properties/keys.yaml")}
    assert list(entries) == ["size", "mode", "plain", "bare", "block", "last"]
    size = entries["size"]
    assert (size.rule, size.description, size.line, size.default) == (
        Rule("int", 1),
        "the size; continued here.",
        2,
        64,
    )
    assert entries["mode"].value_text == "'a # b'" and entries["mode"].default == "a # b"
    assert entries["mode"].rule.choices == ("x", "y")
    assert entries["plain"].rule is None and entries["plain"].value_text == "1.0e-04"
    assert entries["bare"].rule is None and entries["bare"].description == ""
    assert entries["block"].default == {"inner": [1, 2]} and entries["block"].rule == Rule("dict")
    assert entries["last"].rule == Rule("list") and entries["last"].where == "properties/keys.yaml:9"


def _properties(tmp_path, overall, **files):
    root = tmp_path / "properties"
    (root / "model").mkdir(parents=True)
    (root / "overall.yaml").write_text(overall, encoding="utf-8")
    for name, text in files.items():
        (root / f"{name.replace('__', '/')}.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "line",
    [
        "epochs: 5          # (int) old style",
        "epochs: 5          # (int >= one) a word",
        "epochs: 5          # (float) old style",
        "epochs: 5          # (one of a, a) repeated",
        "epochs: 5          # (int >= 1 unclosed",
    ],
)
def test_a_malformed_annotation_names_its_file_and_line(tmp_path, line):
    root = _properties(tmp_path, f"# defaults\nstopping_step: 10   # (int >= 1) fine\n{line}\n")
    with pytest.raises(SchemaError, match=r"^properties/overall\.yaml:3: malformed annotation of 'epochs'"):
        load_schema(root)


def test_a_key_is_declared_once_and_the_annotation_only_file_sets_nothing(tmp_path):
    root = _properties(
        tmp_path,
        "n_layers: 2  # (int >= 1) layers\n",
        model__GTN="n_layers: 3  # K, steps (plain: fine)\n",
        model__VAGNN="n_layers: 2  # (int >= 1) again\n",
    )
    with pytest.raises(SchemaError, match=r"properties/model/VAGNN\.yaml:1: 'n_layers' is declared again \("):
        load_schema(root)
    (root / "model" / "VAGNN.yaml").unlink()
    assert load_schema(root).rule("n_layers") == Rule("int", 1)
    (root / ANNOTATION_ONLY).write_text("use_gpu: True  # (bool) with a value\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=rf"properties/{ANNOTATION_ONLY}:1: 'use_gpu' in the annotation-only"):
        load_schema(root)


def test_every_key_of_the_property_files_is_declared_and_recbole_keys_yaml_sets_no_value():
    schema = load_schema()
    assert not [entry.where for entry in schema.undeclared()]
    values = yaml.safe_load((PROPERTIES_DIR / ANNOTATION_ONLY).read_text(encoding="utf-8"))
    assert values and all(value is None for value in values.values())
    assert ANNOTATION_ONLY not in (REPO / "recbole_vagnn" / "config" / "configurator.py").read_text()
    # RecBole's keys only: a key a property file here sets is declared there
    assert not set(values) & {entry.key for entry in schema.entries if not entry.file.endswith(ANNOTATION_ONLY)}


def _samples(type_text):
    """(values the table's type text refuses, values it accepts), read from the rendered text alone."""
    if type_text == "bool":
        return ["yes", 1, "True"], [True, False]
    match = re.fullmatch(r"int >= (-?\d+)", type_text)
    if match:
        least = int(match.group(1))
        return [least - 1, least + 0.5, str(least), True], [least, least + 7]
    if type_text == "number > 0":
        return [0, -1.5, "abc", float("nan"), True], [1e-9, 3]
    if type_text == "number >= 0":
        return [-1e-9, "1", float("inf"), []], [0, 0.0, 2.5]
    if type_text == "number in [0, 1]":
        return [-0.1, 1.5, "0.5", False], [0, 0.5, 1]
    if type_text == "number in [0, 1)":
        return [-0.1, 1, 1.0, "0.5", False], [0, 0.0, 0.5, 0.99]
    choices = type_text.removeprefix("one of ").split(", ")
    return ["not-a-choice", choices[0].upper(), True], choices


def test_the_table_renders_every_key_and_its_rule_is_the_checks():
    rows = table_rows()
    schema = load_schema()
    assert sum(map(len, rows.values())) == len(schema.entries)
    markdown = render_table()
    checked = 0
    for file, file_rows in rows.items():
        section = markdown.split(f"#### `{file}`\n", 1)[1].split("\n\n#### ", 1)[0]
        for key, type_text, default, description in file_rows:
            assert f"| `{key}` | {type_text} | `{default}` |" in section, (file, key)
            assert description, (file, key)
            assert type_text == schema.rule(key).text
            if not schema.rule(key).checked:
                continue
            checked += 1
            refused, accepted = _samples(type_text)
            for value in refused:
                with pytest.raises(ConfigError) as error:
                    checks.check_values({key: value})
                assert str(error.value) == f"config '{key}' {schema.rule(key).requirement}, got {value!r}"
            for value in accepted:
                checks.check_values({key: value})
    assert checked > len(schema.declarations) // 2
    # a few rows as a reader sees them
    assert "| `embedding_size` | int >= 1 | `64` | d, the embedding size" in markdown
    assert "| `walk_direction` | one of paper, authors | `paper` |" in markdown
    assert "| `uvl_min_videos` | int >= 0 | `3` |" in markdown
    assert "| `walk_q1` | number in [0, 1] | `0.4` |" in markdown
    assert "| `use_gpu` | bool | `True (RecBole's)` |" in markdown
    assert "| `n_layers` | int >= 1 | `3` | K, unrolled solver steps. |" in markdown  # GTN's own description
    assert "e_1 \\|\\| e_2" in markdown  # a '|' in a cell is escaped


def test_the_rst_table_has_one_list_table_per_file_and_four_cells_a_row():
    text = render_table("rst")
    tables = text.split(".. list-table:: ")[1:]
    assert [table.split("\n", 1)[0] for table in tables] == list(table_rows())
    for table in tables:
        rows = table.split("   * - ")[1:]
        assert all(row.count("\n     - ") == 3 for row in rows)
    assert "* - ``cl_negatives``\n     - one of in_batch, all\n     - ``in_batch``" in text
    assert "e_1 \\|\\| e_2" in text
    with pytest.raises(ValueError, match="fmt must be"):
        render_table("html")


def test_the_module_prints_the_table_without_recbole_or_torch_and_run_help_points_to_it(capsys):
    script = (
        "import sys, runpy\n"
        "sys.argv = ['schema']\n"
        "try:\n"
        "    runpy.run_module('recbole_vagnn.config.schema', run_name='__main__')\n"
        "except SystemExit as exit_:\n"
        "    assert exit_.code == 0, exit_.code\n"
        "assert not [m for m in ('torch', 'recbole', 'ray') if m in sys.modules], 'heavy module loaded'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| `cl_temperature` | number > 0 | `0.5` |" in done.stdout
    from recbole_vagnn.cli import run

    with pytest.raises(SystemExit):
        run.main(["--help"])
    assert "python -m recbole_vagnn.config.schema" in " ".join(capsys.readouterr().out.split())
