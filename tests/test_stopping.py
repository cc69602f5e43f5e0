"""The stopping study: rules replayed on a run recorded once give what the trainer itself does."""

import pytest

from recbole_vagnn.experiments import stopping
from recbole_vagnn.experiments.run_store import run_identity, train_run
from recbole_vagnn.experiments.stopping import leaders, replay, rule_rows
from tests.conftest import fails


def recorded(scores, per_validation=25, stopping_step=1, min_train_steps=0):
    curve = [[per_validation * (i + 1), score] for i, score in enumerate(scores)]
    return {
        "valid_curve": curve,
        "test_curve": [[steps, {"recall@10": score / 2}] for steps, score in curve],
        # 100 users, standard error 0.01 at every validation
        "valid_per_user_curve": [[score - 0.0995, score + 0.0995] * 50 for _, score in curve],
        "valid_score_bigger": True,
        "identity": {"config": {"stopping_step": stopping_step, "min_train_steps": min_train_steps}},
    }


def test_a_tie_resets_the_patience_only_where_ties_count():
    run = recorded([0.1, 0.3, 0.3, 0.3, 0.2, 0.2, 0.2])
    assert replay(run, 25, ties_improve=True) == (3, 5, True)  # the later tie is kept; two worse validations stop it
    assert replay(run, 25, ties_improve=False) == (1, 3, True)  # the first 0.3 is kept; the ties run the patience down
    assert replay(run, 100, ties_improve=True) == (3, 6, False)  # patience 4 validations: not out by the end


def test_rule_rows_report_the_kept_checkpoints_test_score_and_the_leader_per_rule():
    runs = {"A": [recorded([0.1, 0.3, 0.3, 0.2, 0.2])], "B": [recorded([0.1, 0.2, 0.25, 0.26, 0.27])]}
    rows = rule_rows(runs, [25, 100], rules=((True, 0.0, 1), (False, 0.0, 1)))
    by_rule = {(row["model"], row["patience"], row["ties"]): row for row in rows}
    assert by_rule[("A", 25, "count")]["test"] == pytest.approx(0.15) and by_rule[("A", 25, "count")]["steps"] == 125
    assert by_rule[("B", 100, "count")]["test"] == pytest.approx(0.135)
    assert set(leaders(rows).values()) == {"A"} and len(leaders(rows)) == 4
    assert by_rule[("A", 25, "count")]["complete"] and not by_rule[("B", 100, "count")]["complete"]


def test_a_margin_in_standard_errors_keeps_small_gains_from_resetting_the_patience():
    run = recorded([0.10, 0.30, 0.305, 0.31, 0.32, 0.33])  # per-user SE 0.01 at every validation
    assert replay(run, 25, ties_improve=True)[:2] == (5, 5)
    assert replay(run, 25, ties_improve=False, margin_se=1.0)[:2] == (1, 3)  # +0.005, +0.01 do not beat 0.30 + 0.01
    assert replay(run, 100, ties_improve=False, margin_se=1.0)[:2] == (4, 5)  # a longer patience waits for 0.32


@pytest.mark.slow
def test_replaying_the_recorded_rule_gives_the_trainers_own_stop_and_checkpoint(tmp_path):
    config = {"record_test_curve": True, "show_progress": False, "state": "WARNING", "min_train_steps": 0}
    config.update({"stopping_step": 2, "patience_steps": 50, "epochs": 60})
    identity = run_identity("LightGCN", 2020, "vagnn-demo", config, None)
    run = train_run("LightGCN", 2020, "vagnn-demo", config, None, tmp_path / "saved", identity)
    assert run["converged"] and len(run["test_curve"]) == len(run["valid_curve"]) == len(run["valid_per_user_curve"])
    rule = run["identity"]["config"]
    assert (rule["stopping_ties_improve"], rule["stopping_window"]) == (False, 5)  # the defaults: no tie, 5 averaged
    kept, stop, stopped = replay(run, 50, ties_improve=False, window=5)
    assert stopped and stop == len(run["valid_curve"]) - 1
    assert run["valid_curve"][kept][0] == run["best_valid_step"]
    assert run["test_curve"][kept][1] == run["test"]  # the recorded test result is the kept checkpoint's
    assert len(run["valid_per_user_curve"][kept]) == 400


def test_the_window_compares_the_mean_of_the_last_validations_and_keeps_the_model_ending_the_best_one():
    run = recorded([0.1, 0.3, 0.2, 0.2, 0.4, 0.1, 0.1, 0.1])
    # means of 3: 0.1, 0.2, 0.2, 0.233, 0.267 (best: kept), 0.233, 0.2 (two short of it: stop), 0.1
    assert replay(run, 25, ties_improve=False, window=3) == (4, 6, True)
    assert replay(run, 25, ties_improve=False) == (1, 3, True)  # raw scores: 0.3 then 0.2, 0.2 stop it before 0.4


def default_rule():
    """``(ties_improve, window)`` of the early-stopping rule a run gets from this package's defaults."""
    from recbole_vagnn.config.configurator import Config

    config = Config(model="LightGCN")
    return config["stopping_ties_improve"], config["stopping_window"] or 1


def test_ties_at_the_best_neither_extend_a_run_nor_move_its_checkpoint_under_the_default_rule():
    ties, window = default_rule()
    rising = [0.05 * k for k in range(1, 7)]  # 0.30 (120 of 400 users) first at validation 5
    plateau = 5 + window - 1  # the first window holding only 0.30: the best mean, never beaten, only tied
    for length in (20, 60):  # however long the plateau lasts
        run = recorded(rising + [0.30] * length, stopping_step=3)
        assert replay(run, 0, ties, window=window) == (plateau, plateau + 4, True)
    # RecBole's rule, for contrast: each tie is kept and resets the patience, so the run never stops
    assert replay(recorded(rising + [0.30] * 60, stopping_step=3), 0, ties_improve=True) == (65, 65, False)


def test_one_lucky_validation_after_the_peak_neither_becomes_the_checkpoint_nor_extends_the_run():
    ties, window = default_rule()
    falling = [0.10, 0.20, 0.30, 0.31, 0.32, 0.32, 0.31, 0.30, 0.29, 0.28, 0.27, 0.26, 0.25, 0.24, 0.23]
    lucky = list(falling)
    lucky[10] = 0.33  # one validation 0.06 above its neighbours (some 3 standard errors on 400 users), by chance
    kept, stop, stopped = replay(recorded(lucky, stopping_step=6), 0, ties, window=window)
    assert (kept, stop, stopped) == replay(recorded(falling, stopping_step=6), 0, ties, window=window)
    assert kept < 10 and stopped
    # the last score alone, for contrast: the luck is kept
    assert replay(recorded(lucky, stopping_step=6), 0, ties_improve=False)[0] == 10
    assert replay(recorded(falling, stopping_step=6), 0, ties_improve=False)[0] == 4


@pytest.mark.slow
def test_the_trainer_takes_the_margin_and_the_ties_from_the_config():
    from recbole_vagnn.trainer.convergence import EarlyStopping, standard_error

    rule = EarlyStopping(stopping_step=1, bigger=True, min_train_steps=0, ties_improve=False)
    assert rule.update(0.30, 0.30, 0, 50).improved is False  # a tie is no improvement
    assert (
        rule.update(0.305, 0.30, 0, 50, margin=0.01).improved is False
        and rule.update(0.311, 0.30, 0, 50, margin=0.01).improved
    )
    assert standard_error([0.0, 1.0] * 50) == pytest.approx(0.05025, rel=1e-3) and standard_error(None) is None

    from recbole_vagnn.quick_start import run_recbole

    settings = {"show_progress": False, "epochs": 40, "min_train_steps": 0, "patience_steps": 0, "stopping_step": 2}
    strict = run_recbole("LightGCN", config_dict={**settings, "stopping_margin_se": 3.0}, saved=False)
    loose = run_recbole("LightGCN", config_dict=settings, saved=False)
    assert strict["optimizer_steps"] < loose["optimizer_steps"]  # gains of less than 3 SE no longer extend the run


def test_datasets_are_looked_up_under_data_path_without_the_default_dataset_there(tmp_path, capsys):
    (tmp_path / "mine").mkdir()  # --data_path holds this one alone, not the default vagnn-demo
    message = fails(stopping.main, ["--datasets", "mine,nowhere", "--data_path", str(tmp_path)], capsys)
    assert "dataset 'nowhere' not found" in message  # each named one is checked, before any training
