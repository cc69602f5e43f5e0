"""The stopping study: rules replayed on a run recorded once give what the trainer itself does."""

import pytest

from recbole_vagnn.experiments.run_store import run_identity, train_run
from recbole_vagnn.experiments.stopping import leaders, replay, rule_rows


def recorded(scores, per_validation=25, stopping_step=1, min_train_steps=0):
    curve = [[per_validation * (i + 1), score] for i, score in enumerate(scores)]
    return {
        "valid_curve": curve,
        "test_curve": [[steps, {"recall@10": score / 2}] for steps, score in curve],
        "valid_score_bigger": True,
        "identity": {"config": {"stopping_step": stopping_step, "min_train_steps": min_train_steps}},
    }


def test_a_tie_resets_the_patience_only_where_ties_count():
    run = recorded([0.1, 0.3, 0.3, 0.3, 0.2, 0.2, 0.2])
    assert replay(run, 25, ties_improve=True) == (3, 5)  # the later tie is kept; two worse validations stop it
    assert replay(run, 25, ties_improve=False) == (1, 3)  # the first 0.3 is kept; the ties run the patience down
    assert replay(run, 100, ties_improve=True) == (3, 6)  # patience 4 validations: not out by the end


def test_rule_rows_report_the_kept_checkpoints_test_score_and_the_leader_per_rule():
    runs = {"A": [recorded([0.1, 0.3, 0.3, 0.2, 0.2])], "B": [recorded([0.1, 0.2, 0.25, 0.26, 0.27])]}
    rows = rule_rows(runs, [25, 100])
    by_rule = {(row["model"], row["patience"], row["ties"]): row for row in rows}
    assert by_rule[("A", 25, "count")]["test"] == pytest.approx(0.15) and by_rule[("A", 25, "count")]["steps"] == 125
    assert by_rule[("B", 100, "count")]["test"] == pytest.approx(0.135)
    assert leaders(rows) == {
        (25, "count"): "A",
        (25, "do not count"): "A",
        (100, "count"): "A",
        (100, "do not count"): "A",
    }


def test_replaying_the_recorded_rule_gives_the_trainers_own_stop_and_checkpoint(tmp_path):
    config = {"record_test_curve": True, "show_progress": False, "state": "WARNING", "min_train_steps": 0}
    config.update({"stopping_step": 2, "patience_steps": 50, "epochs": 60})
    identity = run_identity("LightGCN", 2020, "vagnn-demo", config, None)
    run = train_run("LightGCN", 2020, "vagnn-demo", config, None, tmp_path / "saved", identity)
    assert run["converged"] and len(run["test_curve"]) == len(run["valid_curve"]) == len(run["valid_per_user_curve"])
    kept, stop = replay(run, 50, ties_improve=True)
    assert stop == len(run["valid_curve"]) - 1
    assert run["valid_curve"][kept][0] == run["best_valid_step"]
    assert run["test_curve"][kept][1] == run["test"]  # the recorded test result is the kept checkpoint's
    assert len(run["valid_per_user_curve"][kept]) == 400
