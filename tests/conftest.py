"""Shared fixtures: tiny tripartite datasets written as raw atomic files."""

import sys
import warnings

import pytest

from recbole_vagnn.cli.base import run_main
from recbole_vagnn.config.configurator import Config

INTER_HEADER = "user_id:token\titem_id:token\ttimestamp:float"
ITEM_HEADER = "item_id:token\tvlogger_id:token"
UVL_HEADER = "user_id:token\tvlogger_id:token"

# 3 users, 4 videos, 2 vloggers: the hand-computable graph of the model tests.
# u1 watches v1 v2 v3 v4 (v4 last), u2 watches v1 v3 v4, u3 watches v2 v4 v1.
TINY_INTER = [
    ("u1", "v1", 1),
    ("u1", "v2", 2),
    ("u1", "v3", 3),
    ("u1", "v4", 4),
    ("u2", "v1", 1),
    ("u2", "v3", 2),
    ("u2", "v4", 3),
    ("u3", "v2", 1),
    ("u3", "v4", 2),
    ("u3", "v1", 3),
]
TINY_ITEM = [("v1", "pA"), ("v2", "pA"), ("v3", "pB"), ("v4", "pB")]
TINY_UVL = [("u1", "pA"), ("u2", "pB"), ("u3", "pA"), ("u3", "pB")]


def _lines(header, rows):
    return "\n".join([header] + ["\t".join(map(str, row)) for row in rows]) + "\n"


def write_raw(
    folder,
    name,
    inter=TINY_INTER,
    item=TINY_ITEM,
    uvl=TINY_UVL,
    inter_header=INTER_HEADER,
    item_header=ITEM_HEADER,
    uvl_header=UVL_HEADER,
):
    """Write NAME.inter/.item/.uvl into folder/NAME; ``None`` skips a file."""
    target = folder / name
    target.mkdir(parents=True, exist_ok=True)
    for suffix, header, rows in [("inter", inter_header, inter), ("item", item_header, item), ("uvl", uvl_header, uvl)]:
        if rows is not None:
            (target / f"{name}.{suffix}").write_text(_lines(header, rows))
    return folder


def make_config(model, dataset, data_path=None, **overrides):
    config_dict = {"checkpoint_dir": overrides.pop("checkpoint_dir", None) or "saved", "show_progress": False}
    if data_path is not None:
        config_dict["data_path"] = str(data_path)
    config_dict.update(overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Config(model=model, dataset=dataset, config_dict=config_dict)


@pytest.fixture(autouse=True, scope="session")
def _no_pytest_flags_for_recbole():
    """RecBole's Config reads --key=value flags from sys.argv: pytest's own (--durations=10) are none of its keys.

    Session-wide, so that module-scoped fixtures that train a model see a clean command line too.
    """
    saved, sys.argv = sys.argv, ["pytest"]
    yield
    sys.argv = saved


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path, monkeypatch):
    """RecBole writes log/ and saved/ into the working directory: keep them in tmp."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["pytest"])


@pytest.fixture
def tiny_root(tmp_path):
    return write_raw(tmp_path / "data", "tiny")


def fails(main, argv, capsys):
    """Run ``main`` through the front door; return its one stderr line after checking exit 1."""
    with pytest.raises(SystemExit) as exit_:
        run_main(main, argv)
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err
