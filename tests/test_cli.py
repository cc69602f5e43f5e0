"""The command lines' plumbing: fast help, one flag convention, one-line faults, short run output."""

import ast
import errno
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from recbole_vagnn.cli.base import argument_parser, config_file_list, describe
from recbole_vagnn.utils.errors import ConfigError
from tests.conftest import fails, make_config, write_raw

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "recbole", "ray", "matplotlib")


def test_every_help_answers_without_loading_recbole_torch_or_ray():
    script = f"""
import sys
from recbole_vagnn.cli.main import COMMANDS, CONVERTERS, main
for argv in [[name, "--help"] for name in COMMANDS] + [["convert", name, "--help"] for name in CONVERTERS]:
    try:
        main(argv)
    except SystemExit as exit_:
        assert exit_.code in (0, None), (argv, exit_.code)
    loaded = [name for name in {HEAVY!r} if name in sys.modules]
    assert not loaded, (argv, loaded)
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")


def test_the_old_kebab_spelling_of_a_flag_still_works_with_a_note(capsys):
    parser = argument_parser("test")
    parser.add_argument("--batch_size", type=int, default=1)
    parser.add_argument("--all_users", action="store_true")
    args = parser.parse_args(["--batch-size", "7", "--all-users"])
    assert (args.batch_size, args.all_users) == (7, True)
    err = capsys.readouterr().err
    assert "note: --batch-size is deprecated, use --batch_size" in err
    assert "note: --all-users is deprecated, use --all_users" in err
    assert parser.parse_args(["--batch-size=9"]).batch_size == 9
    assert parser.parse_args(["--batch_size=3"]).batch_size == 3
    assert capsys.readouterr().err.count("deprecated") == 1  # the new spelling is silent
    with pytest.raises(SystemExit):
        parser.parse_args(["--batch-sise", "1"])  # a misspelling is still an error


def test_config_files_take_a_list_or_recboles_quoted_string():
    assert config_file_list(["a.yaml b.yaml"]) == ["a.yaml", "b.yaml"]
    assert config_file_list(["a.yaml", "b.yaml"]) == ["a.yaml", "b.yaml"]
    assert config_file_list(None) is None and config_file_list([" "]) is None


@pytest.mark.parametrize(
    "code, words",
    [
        (errno.ENOSPC, "no space left on the device"),
        (errno.EACCES, "permission denied"),
        (errno.EROFS, "read-only file system"),
        (errno.EIO, "raw text"),  # no hint: the system's own words
    ],
)
def test_every_os_error_is_one_line_naming_the_file(capsys, code, words):
    def main(argv):
        raise OSError(code, "raw text", "out/data.inter")

    message = fails(main, [], capsys)
    assert message.startswith("error: out/data.inter: ") and words in message
    assert words in describe(OSError(code, "raw text"))  # no file name: still one line, not a bug


def test_a_full_disk_while_writing_a_dataset_leaves_nothing_behind(tmp_path, monkeypatch):
    from recbole_vagnn.data import atomic
    from recbole_vagnn.experiments.synthetic import generate

    def full(frame, columns, path):
        Path(path).write_text("partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_write", full)
    with pytest.raises(OSError):
        atomic.write_tripartite(tmp_path / "data" / "x", "x", *generate(users=20, vloggers=5))
    assert list((tmp_path / "data").iterdir()) == []


@pytest.mark.parametrize("name", ["../demo", "a/b", "..", ".", ""])
def test_a_dataset_name_must_be_a_plain_file_name_everywhere(tmp_path, capsys, name):
    with pytest.raises(ConfigError, match="not a plain file name"):
        make_config("VAGNN", name, data_path=tmp_path)
    from recbole_vagnn.dataset_converters import takatak
    from recbole_vagnn.experiments import synthetic

    assert "not a plain file name" in fails(synthetic.main, [str(tmp_path / "out"), "--name", name], capsys)
    events = REPO / "dataset_converters" / "examples" / "takatak" / "events.csv"
    assert "not a plain file name" in fails(takatak.main, [str(events), str(tmp_path / "out"), "--name", name], capsys)
    assert not (tmp_path / "out").exists()


def test_a_missing_interaction_file_or_column_is_one_line_before_loading(tmp_path):
    write_raw(tmp_path, "nointer", inter=None)
    with pytest.raises(ConfigError, match=r"nointer\.inter: file not found"):
        make_config("VAGNN", "nointer", data_path=tmp_path)
    write_raw(tmp_path, "notime", inter=[("u1", "v1")] * 3, inter_header="user_id:token\titem_id:token")
    with pytest.raises(ConfigError, match=r"notime\.inter: no column 'timestamp' \(TIME_FIELD\)"):
        make_config("LightGCN", "notime", data_path=tmp_path)
    write_raw(tmp_path, "reader", inter_header="reader:token\titem_id:token\ttimestamp:float")
    with pytest.raises(ConfigError, match=r"no column 'user_id' \(USER_ID_FIELD\)"):
        make_config("VAGNN", "reader", data_path=tmp_path)
    config = make_config("LightGCN", "notime", data_path=tmp_path, eval_args={"order": "RO"})
    assert config["eval_args"]["order"] == "RO"  # without a time split the time column is not needed


def test_synthetic_writes_into_out_as_convert_does_and_keeps_the_old_meaning(tmp_path, capsys):
    from recbole_vagnn.experiments import synthetic

    synthetic.main([str(tmp_path / "data"), "--name", "mini", "--users", "30"])
    assert (tmp_path / "data" / "mini" / "mini.inter").is_file()
    assert "deprecated" not in capsys.readouterr().err
    synthetic.main([str(tmp_path / "old" / "mini"), "--name", "mini", "--users", "30"])
    assert (tmp_path / "old" / "mini" / "mini.inter").is_file()
    assert "note: OUT_DIR is now the data folder" in capsys.readouterr().err


def test_a_run_logs_a_short_header_and_the_dump_only_when_verbose(caplog):
    from recbole_vagnn.quick_start import build_data_and_model

    config_dict = {"show_progress": False, "state": "INFO", "epochs": 1}
    with caplog.at_level(logging.INFO):
        config, *_ = build_data_and_model("VAGNN", "vagnn-demo", config_dict=config_dict)
    text = caplog.text
    assert "VAGNN on vagnn-demo (400 users, 464 items, 6,995 interactions)" in text
    assert "lambda1 vlogger_loss_weight=5.0" in text and "train_batch_size=256" in text
    assert "n_layers=2" in text and "use_vlogger_view" not in text  # a grid's one-value switch is no key
    assert "device cpu" in text and re.search(r"\d+ CPU threads?", text)
    assert "General Hyper Parameters" not in text and "embedding_size = " not in text
    assert config["use_gpu"] is False and config["gpu_id"] is None  # the device actually used
    caplog.clear()
    with caplog.at_level(logging.INFO):
        build_data_and_model("VAGNN", "vagnn-demo", config_dict={**config_dict, "verbose": True})
    assert "General Hyper Parameters" in caplog.text and "use_gpu = False" in caplog.text


def test_benchmark_outputs_are_named_by_their_model_set():
    from recbole_vagnn.experiments.benchmark import output_stem
    from recbole_vagnn.experiments.labels import PAPER_MODELS

    assert output_stem("wechat", PAPER_MODELS) == "wechat"
    assert output_stem("wechat", ["LightGCN", "VAGNN"]) == "wechat-LightGCN+VAGNN"
    assert output_stem("wechat", ["VAGNN"]) != output_stem("wechat", ["LightGCN", "VAGNN"])


def _imports(path, package):
    """recbole_vagnn modules ``path`` imports anywhere in its code (lazy imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the converters' package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            elif node.module and node.module.startswith("recbole_vagnn"):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("recbole_vagnn")}
    return found


def test_the_package_has_no_import_cycle():
    modules = {}
    for root, package in ((REPO / "recbole_vagnn", "recbole_vagnn"), (REPO / "dataset_converters", None)):
        for path in root.rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(
                ([package] if package else ["recbole_vagnn", "dataset_converters"])
                + [p for p in parts if p != "__init__"]
            )
            home = name if path.name == "__init__.py" else name.rpartition(".")[0]
            modules[name] = _imports(path, home)
    graph = {name: {m for m in deps if m in modules and m != name} for name, deps in modules.items()}

    def cycle_from(start):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return path + [start]
                if nxt not in path:
                    stack.append((nxt, path + [nxt]))
        return None

    cycles = [cycle for cycle in map(cycle_from, graph) if cycle]
    assert not cycles, " -> ".join(cycles[0])


def test_the_raw_samples_convert_as_the_readme_shows_and_help_lists_their_columns(tmp_path, capsys):
    from recbole_vagnn.dataset_converters import takatak, wechat

    examples = REPO / "dataset_converters" / "examples"
    wechat.main([str(examples / "wechat"), str(tmp_path)])
    takatak.main([str(examples / "takatak" / "events.csv"), str(tmp_path)])
    for name in ("wechat", "takatak"):
        assert all((tmp_path / name / f"{name}.{suffix}").is_file() for suffix in ("inter", "item", "uvl"))
    capsys.readouterr()
    readme = (REPO / "docs" / "source" / "user_guide" / "data.rst").read_text(encoding="utf-8")
    for module, read in (
        (wechat, wechat.ACTION_COLUMNS + ["feedid", "authorid", "videoplayseconds"]),
        (takatak, takatak.COLUMNS),
    ):
        listed = {column for columns in module.RAW_COLUMNS.values() for column, _ in columns}
        assert listed == set(read)  # help lists exactly what the converter reads
        with pytest.raises(SystemExit):
            module.main(["--help"])
        help_text = capsys.readouterr().out
        for column in listed:
            assert f"    {column} " in help_text and f"`{column}`" in readme, column
