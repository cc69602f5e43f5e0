"""VA-GNN's use of the creator signal: the gate's calibration in the trainer and the score's parts."""

from pathlib import Path

import pytest

from recbole_vagnn.experiments import parts
from recbole_vagnn.quick_start import build_data_and_model, run_recbole
from recbole_vagnn.trainer.checkpoint import load_checkpoint

SETTINGS = {"epochs": 2, "show_progress": False, "seed": 2020}


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """A short VA-GNN run with the gate calibrated on validation, and its checkpoint."""
    folder = tmp_path_factory.mktemp("calibrated")
    result = run_recbole("VAGNN", config_dict={**SETTINGS, "checkpoint_dir": str(folder)})
    (checkpoint,) = folder.glob("VAGNN-*.pth")
    return result, checkpoint


def test_the_kept_model_validates_at_least_as_well_as_either_part_alone(calibrated):
    result, checkpoint = calibrated
    scores = result["gate_calibration"]
    bias = float(load_checkpoint(checkpoint)["state_dict"]["gate_bias"])
    assert bias in scores and scores[bias] == max(scores.values())
    assert scores[bias] >= scores[float("inf")] and scores[bias] >= scores[-float("inf")]  # video, vlogger part alone
    assert result["best_valid_score"] == scores[bias] == result["best_valid_result"]["recall@10"]


def test_the_test_evaluates_the_calibrated_checkpoint(calibrated):
    from recbole_vagnn.quick_start import load_data_and_model
    from recbole_vagnn.utils.utils import get_trainer

    result, checkpoint = calibrated
    config, model, _, _, _, test_data = load_data_and_model(str(checkpoint))
    assert float(model.gate_bias) in result["gate_calibration"]
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    assert trainer.evaluate(test_data, load_best_model=False) == pytest.approx(result["test_result"])


def test_the_paper_preset_keeps_the_papers_gate_and_loss():
    preset = Path(__file__).resolve().parents[1] / "properties" / "presets" / "paper.yaml"
    _, model, *_ = build_data_and_model("VAGNN", config_file_list=[str(preset)], config_dict=SETTINGS)
    assert model.loss_names == ["video BPR", "vlogger BPR", "CL", "L2"]
    result = run_recbole("VAGNN", config_file_list=[str(preset)], config_dict=SETTINGS)
    assert result["gate_calibration"] == {}


def test_parts_prints_each_part_and_the_gate(calibrated, capsys):
    result, checkpoint = calibrated
    parts.main(["--model_file", str(checkpoint)])
    out = capsys.readouterr().out
    for row in (
        "full",
        "video part",
        "vlogger part",
        "by training interactions of the video",
        "by user met the vlogger",
    ):
        assert row in out
    assert f"{result['best_valid_score']:.4f}" in out.split("test:")[0]  # the validation of the kept model
    assert "the full score is at least each part alone" in out


def test_parts_of_a_model_without_parts(tmp_path, capsys):
    run_recbole("LightGCN", config_dict={**SETTINGS, "checkpoint_dir": str(tmp_path), "training_defaults": True})
    (checkpoint,) = tmp_path.glob("LightGCN-*.pth")
    parts.main(["--model_file", str(checkpoint)])
    out = capsys.readouterr().out
    assert "LightGCN scores with one part" in out and "vlogger part" not in out
