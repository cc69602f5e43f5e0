"""Bad input: one clear line, exit code 1, nothing written; config values checked before loading."""

import logging
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from recbole_vagnn.cli.base import run_main
from recbole_vagnn.experiments import benchmark
from recbole_vagnn.utils.errors import ConfigError, InputError
from tests.conftest import fails, make_config

REPO = Path(__file__).resolve().parent.parent


def test_input_errors_are_one_line_and_debug_shows_the_traceback(capsys, monkeypatch):
    def main(argv):
        raise InputError("tiny.inter: line 3:\n  something")

    assert fails(main, [], capsys) == "error: tiny.inter: line 3: something (run with --debug for the traceback)"
    with pytest.raises(InputError):
        run_main(main, ["--debug"])
    monkeypatch.setenv("RECBOLE_VAGNN_DEBUG", "1")
    with pytest.raises(InputError):
        run_main(main, [])


def test_missing_files_are_input_errors_but_bugs_keep_their_traceback(capsys):
    def missing(argv):
        open("no-such.yaml")

    assert "no-such.yaml: No such file or directory" in fails(missing, [], capsys)

    def bug(argv):
        raise KeyError("internal")

    with pytest.raises(KeyError):
        run_main(bug, [])


@pytest.mark.parametrize(
    "model, key, value, message",
    [
        ("VAGNN", "use_cl", "maybe", "'use_cl' must be True or False, got 'maybe'"),
        ("VAGNN", "use_vlogger_loss", "no", "'use_vlogger_loss' must be True or False, got 'no'"),
        ("VAGNN", "use_video_view", 1, "'use_video_view' must be True or False, got 1"),
        ("VAGNN", "train_batch_size", 0, "'train_batch_size' must be an integer >= 1, got 0"),
        ("VAGNN", "epochs", 0, "'epochs' must be an integer >= 1, got 0"),
        ("VAGNN", "epochs", 2.5, "'epochs' must be an integer >= 1, got 2.5"),
        ("VAGNN", "learning_rate", "abc", "'learning_rate' must be a number > 0, got 'abc'"),
        ("VAGNN", "learning_rate", -0.1, "'learning_rate' must be a number > 0, got -0.1"),
        ("VAGNN", "cl_temperature", 0, "'cl_temperature' must be a number > 0, got 0"),
        ("VAGNN", "vlogger_loss_weight", -1, "'vlogger_loss_weight' must be a number >= 0, got -1"),
        ("VAGNN", "embedding_size", 0, "'embedding_size' must be an integer >= 1, got 0"),
        ("VAGNN", "n_layers", 0, "'n_layers' must be an integer >= 1, got 0"),
        ("VAGNN", "walk_q1", 1.5, "'walk_q1' must be a number in [0, 1], got 1.5"),
        ("VAGNN", "walk_direction", "sideways", "'walk_direction' must be one of 'paper', 'authors', got 'sideways'"),
        ("SimGCL", "eps", -0.1, "'eps' must be a number >= 0, got -0.1"),
        ("SimGCL", "cl_temperature", -1, "'cl_temperature' must be a number > 0, got -1"),
        ("GTN", "prop_dropout", 2, "'prop_dropout' must be a number in [0, 1], got 2"),
        ("GTN", "require_pow", "yes", "'require_pow' must be True or False, got 'yes'"),
        ("LightGCN", "reg_weight", -1e-4, "'reg_weight' must be a number >= 0, got -0.0001"),
    ],
)
def test_bad_config_values_are_refused_before_loading(tiny_root, model, key, value, message):
    with pytest.raises(ConfigError) as error:
        make_config(model, "tiny", data_path=tiny_root, **{key: value})
    assert str(error.value) == f"config {message}"


def test_good_values_pass_and_booleans_from_the_command_line_are_parsed(tiny_root, monkeypatch):
    monkeypatch.setattr("sys.argv", ["run_recbole.py", "--use_cl=False", "--walk_q1=0"])
    config = make_config("VAGNN", "tiny", data_path=tiny_root)
    assert config["use_cl"] is False and config["walk_q1"] == 0
    monkeypatch.setattr("sys.argv", ["run_recbole.py", "--use_cl=off"])
    with pytest.raises(ConfigError, match="'use_cl' must be True or False, got 'off'"):
        make_config("VAGNN", "tiny", data_path=tiny_root)


def test_an_unknown_key_is_warned_about_with_the_closest_known_key(tiny_root, caplog):
    with caplog.at_level(logging.WARNING, logger="recbole_vagnn"):
        make_config("VAGNN", "tiny", data_path=tiny_root, learning_rte=0.01, cl_weight=0.1)
    assert (
        "unknown config key 'learning_rte' is ignored: VAGNN, its dataset and the trainer do not read it; "
        in caplog.text
    )
    assert "did you mean 'learning_rate'?" in caplog.text and "cl_weight" not in caplog.text


MODEL_KEYS = {
    "VAGNN": "vlogger_loss_weight",
    "LightGCN": "n_layers",
    "NGCF": "hidden_size_list",
    "SGL": "ssl_tau",
    "SimGCL": "eps",
    "GTN": "trend_lambda",
}


@pytest.mark.parametrize("model", sorted(MODEL_KEYS))
def test_a_key_is_known_only_if_the_chosen_run_reads_it(tiny_root, caplog, model):
    from recbole_vagnn.config.checks import known_keys
    from recbole_vagnn.utils.paths import PROPERTIES_DIR
    from recbole_vagnn.utils.utils import get_model

    own = yaml.safe_load((PROPERTIES_DIR / "model" / f"{model}.yaml").read_text())
    known = known_keys(get_model(model))
    assert set(own) <= known and {"learning_rate", "uvl_min_links", "train_batch_size", "min_train_steps"} <= known
    others = {key for other, key in MODEL_KEYS.items() if other != model and key not in own}
    assert others and not (others & known)  # another model's keys are unknown to this one
    with caplog.at_level(logging.WARNING, logger="recbole_vagnn"):
        make_config(model, "tiny", data_path=tiny_root, **dict.fromkeys(others, 1))
    for key in others:
        assert f"unknown config key '{key}' is ignored: {model}," in caplog.text


def test_the_papers_names_set_vagnns_weights_and_nowhere_else(tiny_root):
    config = make_config("VAGNN", "tiny", data_path=tiny_root, lambda1=3.0, lambda2=0.01, tau=0.2)
    assert (config["vlogger_loss_weight"], config["cl_weight"], config["cl_temperature"]) == (3.0, 0.01, 0.2)
    assert "lambda1" not in config.final_config_dict
    with pytest.raises(ConfigError, match="'lambda1' and 'vlogger_loss_weight' are the same weight"):
        make_config("VAGNN", "tiny", data_path=tiny_root, lambda1=3.0, vlogger_loss_weight=1.0)
    with pytest.raises(
        ConfigError, match="'tau' is the VA-GNN paper's name for 'cl_temperature' and works for VAGNN only"
    ):
        make_config("SimGCL", "tiny", data_path=tiny_root, tau=0.3)
    with pytest.raises(
        ConfigError, match="'lambda1' must be a number >= 0|'vlogger_loss_weight' must be a number >= 0"
    ):
        make_config("VAGNN", "tiny", data_path=tiny_root, lambda1=-1.0)


def test_an_unknown_model_lists_the_models(tiny_root):
    with pytest.raises(ConfigError) as error:
        make_config("LightGNC", "tiny", data_path=tiny_root)
    message = str(error.value)
    assert message.startswith("unknown model 'LightGNC' (did you mean LightGCN")
    assert all(name in message for name in ("VAGNN", "SimGCL", "GTN", "NGCF", "SGL", "BPR"))


def test_a_missing_dataset_names_the_folder_and_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError) as error:
        make_config("VAGNN", "mine", data_path=tmp_path)
    assert f"dataset 'mine' not found: no folder {tmp_path / 'mine'}" in str(error.value)
    assert "recbole-vagnn convert table" in str(error.value) and "or wechat / takatak / authors" in str(error.value)
    assert "recbole-vagnn synthetic" in str(error.value) and f"{tmp_path} holds no dataset" in str(error.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("epochs: [1\n", "bad YAML"),
        ("- epochs\n- 2\n", "a config file must hold 'key: value' lines, got a list"),
    ],
)
def test_a_bad_config_file_is_one_line(tiny_root, tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(Exception) as error:
        from recbole_vagnn.config.configurator import Config

        Config(model="VAGNN", dataset="tiny", config_file_list=[str(path)], config_dict={"data_path": str(tiny_root)})
    from recbole_vagnn.cli.base import describe

    assert message in describe(error.value)


def test_presets_are_found_from_any_folder(tiny_root, tmp_path):
    from recbole_vagnn.config.configurator import Config

    config = Config(
        model="VAGNN",
        dataset="tiny",
        config_file_list=["properties/presets/VAGNN-wechat.yaml"],
        config_dict={"data_path": str(tiny_root)},
    )
    assert config["uvl_min_links"] == 5  # the preset's value, not the default 1


@pytest.mark.slow
def test_run_recbole_reports_a_bad_value_in_one_line_and_writes_nothing(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "run_recbole.py"), "--model=VAGNN", "--train_batch_size=0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: config 'train_batch_size' must be an integer >= 1, got 0 (run with --debug for the traceback)"
    )
    assert list(tmp_path.iterdir()) == []  # no log/, no saved/


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--seeds", "0"], "--seeds must be at least 1, got 0"),
        (["--models", " , "], "--models names no model"),
        (["--models", "VAGNN,VAGNN-Z"], "--models: 'VAGNN-Z' is no model label"),
        (["--models", "VAGNN", "--epochs", "0"], "config 'epochs' must be an integer >= 1, got 0"),
    ],
)
def test_benchmark_refuses_bad_arguments_before_writing(tmp_path, capsys, argv, message):
    out = tmp_path / "out"
    assert message in fails(benchmark.main, [*argv, "--out", str(out)], capsys)
    assert not out.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--params", "lambda9"], "--params: unknown parameter(s) ['lambda9']"),
        (["--params", "tau", "--grid", "0.1,x"], "--grid: '0.1,x' is not a comma-separated list of numbers"),
        (["--params", "tau", "--grid", "0.5,0"], "config 'cl_temperature' must be a number > 0, got 0.0"),
    ],
)
def test_sweep_refuses_bad_arguments_before_starting_ray(tmp_path, capsys, argv, message):
    from recbole_vagnn.experiments import sweep

    assert message in fails(sweep.main, [*argv, "--out", str(tmp_path / "out")], capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--users", "0"], "users must be positive"),
        (["--vlogger_share", "1.5"], "vlogger_share and topic_fidelity must lie in [0, 1]"),
    ],
)
def test_synthetic_refuses_bad_sizes_and_writes_nothing(tmp_path, capsys, argv, message):
    from recbole_vagnn.experiments import synthetic

    assert message in fails(synthetic.main, [str(tmp_path / "out"), *argv], capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "module",
    [
        "recbole_vagnn.cli.run",
        "recbole_vagnn.cli.recommend",
        "recbole_vagnn.experiments.benchmark",
        "recbole_vagnn.experiments.sweep",
        "recbole_vagnn.experiments.speed",
        "recbole_vagnn.experiments.synthetic",
        "recbole_vagnn.dataset_converters.wechat",
        "recbole_vagnn.dataset_converters.takatak",
        "recbole_vagnn.dataset_converters.authors",
        "recbole_vagnn.dataset_converters.table",
    ],
)
def test_every_flag_has_a_description_and_its_default_in_help(module, monkeypatch, capsys):
    import argparse
    import importlib

    parsers = []
    original = argparse.ArgumentParser.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        parsers.append(self)

    monkeypatch.setattr(argparse.ArgumentParser, "__init__", recording)
    with pytest.raises(SystemExit) as exit_:
        importlib.import_module(module).main(["--help"])
    assert exit_.value.code == 0
    text = "".join(capsys.readouterr().out.split())  # help wraps lines, also at hyphens
    (parser,) = parsers
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{action.dest} has no description"
        if action.option_strings:
            assert "".join(action.help.split()) + "(default:" in text, f"{action.dest} shows no default"


def test_benchmark_help_lists_the_accepted_labels(capsys):
    with pytest.raises(SystemExit):
        benchmark.main(["--help"])
    text = "".join(capsys.readouterr().out.split())
    assert all(label in text for label in ("SGL-ED", "VAGNN-A", "VAGNN-uvl-paper", "SimGCL"))


def test_version_convert_help_and_run_help_answer(capsys):
    from recbole_vagnn import __version__
    from recbole_vagnn.cli.main import main

    main(["--version"])
    assert capsys.readouterr().out == f"recbole-vagnn {__version__}\n"
    main(["convert", "--help"])  # returns: exit code 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in ("wechat", "takatak", "authors", "table"))
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert all(flag in text for flag in ("--epochs", "--data_path", "--debug", "--key=value", "properties/"))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--enable_amp=True"], "error: config 'enable_amp' True needs a CUDA GPU, and this run is on cpu"),
        (["--topk=abc"], "error: config: The topk [abc] must be a integer, list"),
        (["--eval_args={bad"], "error: config: eval_args:[{bad] should be a dict."),
        (["--user_inter_num_interval=[1000,inf)"], "error: dataset 'vagnn-demo': no interactions are left after"),
        (["--epochs=2"], "error: --epochs is given twice, with different values (--epochs '1', --epochs '2')"),
        (["--learning_rate", "0.1", "--learning_rate=0.2"], "error: --learning_rate is given twice, with different"),
        (["-m", "LightGCN"], "error: -m is given twice, with different values (--model 'BPR', -m 'LightGCN')"),
        (["--model=BPR", "--topk=abc"], "error: config: The topk"),  # the same value twice: accepted, as by RecBole
    ],
)
def test_errors_recbole_raises_through_run_are_one_line(capsys, argv, message):
    from recbole_vagnn.cli import run as run_command

    assert message in fails(run_command.main, ["--model", "BPR", "--epochs", "1", *argv], capsys)
    assert not list(Path().glob("saved/*.pth"))  # refused before training


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "KGAT"], "error: KGAT loads its data as RecBole's KnowledgeBasedDataset"),
        (["--model", "SASRec"], "error: config: train_neg_sample_args [{"),  # RecBole's default needs BPR loss
        (
            ["--model", "SASRec", "--train_neg_sample_args=None", "--eval_args={'order': 'RO'}"],
            "error: RecBole's dataset: The ordering args for sequential recommendation has to be 'TO'",
        ),
    ],
)
def test_models_tripartite_data_cannot_serve_are_one_line(capsys, argv, message):
    from recbole_vagnn.cli import run as run_command

    assert message in fails(run_command.main, [*argv, "--epochs", "1"], capsys)


def test_a_missing_wandb_is_one_line(capsys):
    import importlib.util

    from recbole_vagnn.cli import run as run_command

    if importlib.util.find_spec("wandb") is not None:
        pytest.skip("wandb is installed here")
    message = fails(run_command.main, ["--model", "BPR", "--log_wandb=True"], capsys)
    assert message.startswith("error: config 'log_wandb' True needs the package 'wandb', which is not installed")


def test_a_repeated_flag_with_one_value_is_accepted_as_by_recbole():
    from recbole_vagnn.cli.base import argument_parser, recbole_flags

    assert recbole_flags(["--epochs=1", "--epochs", "1", "--reg_weight", "-0.5"]) == [
        "--epochs=1",
        "--epochs=1",
        "--reg_weight=-0.5",
    ]
    with pytest.raises(InputError, match=r"--reg_weight is given twice, with different values \(--reg_weight '-0.5'"):
        recbole_flags(["--reg_weight", "-0.5", "--reg_weight=0.5"])
    parser = argument_parser("probe")
    parser.add_argument("--user", action="append")  # a flag meant to repeat
    parser.add_argument("--out")
    args, rest = parser.parse_known_args(["--user", "a", "--user", "b", "--out", "x", "--out=x"])
    assert (args.user, args.out, rest) == (["a", "b"], "x", [])
    with pytest.raises(InputError, match="--out is given twice"):
        parser.parse_known_args(["--out", "x", "--out", "y"])


def test_recboles_own_checks_are_one_line_but_a_bug_in_the_same_function_keeps_its_traceback():
    from recbole.config import Config as RecBoleConfig

    from recbole_vagnn.cli.base import describe

    probe = RecBoleConfig.__new__(RecBoleConfig)  # no final_config_dict: an AttributeError on a line that is no raise
    with pytest.raises(AttributeError) as error:
        RecBoleConfig._set_default_parameters(probe)
    assert describe(error.value) is None
