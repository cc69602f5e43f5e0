"""The fair comparison: the convergence rule, per-user metrics, paired tests and the link lift."""

import logging

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import wilcoxon

from recbole_vagnn.data.link_lift import leave_one_out_link_lift, link_lift
from recbole_vagnn.experiments.significance import paired_test
from recbole_vagnn.experiments.synthetic import generate
from recbole_vagnn.quick_start import run_recbole
from recbole_vagnn.trainer.convergence import StoppingDecision, training_schedule


@pytest.mark.parametrize(
    "rows, rule, expected",
    [
        (6_000, (20, 500), (256, 21, 24)),  # small data: the batch halves to 20+ steps, patience spans 500 steps
        (1_400_000, (20, 500), (4096, 10, 342)),  # paper size: the paper's setting already satisfies the rule
        (6_000, (0, 0), (4096, 10, 2)),  # the paper's literal protocol
        (100, (20, 500), (4, 20, 25)),
    ],
)
def test_training_schedule(rows, rule, expected):
    assert training_schedule(rows, 4096, 10, 1, *rule) == expected


def test_run_reports_the_schedule_the_curve_and_whether_it_converged():
    result = run_recbole("LightGCN", config_dict={"epochs": 2, "show_progress": False}, saved=False)
    steps = result["optimizer_steps"] // 2
    assert result["train_batch_size"] == 256 and steps == 25  # 6,195 training rows
    assert [step for step, _ in result["valid_curve"]] == [steps, 2 * steps]
    assert result["converged"] is False and result["video_only_curve"] == []


def test_a_run_ended_by_early_stopping_is_converged(monkeypatch):
    import recbole_vagnn.trainer.trainer as trainer_module
    from recbole_vagnn.trainer.convergence import EarlyStopping

    class OnlyTheFirstImproves(EarlyStopping):
        def update(self, score, best, cur_step, steps, margin=0.0):
            return super().update(score if best == float("-inf") else float("-inf"), best, cur_step, steps, margin)

    monkeypatch.setattr(trainer_module, "EarlyStopping", OnlyTheFirstImproves)
    settings = {"epochs": 9, "show_progress": False, "stopping_step": 1, "patience_steps": 0}
    result = run_recbole("LightGCN", config_dict={**settings, "min_train_steps": 0}, saved=False)
    assert result["converged"] is True and result["epochs"] == 3  # the patience of 1 runs out at the third
    # 25 steps an epoch: the validation at step 50 cannot count against the patience, so it runs out at 100
    result = run_recbole("LightGCN", config_dict={**settings, "min_train_steps": 60}, saved=False)
    assert result["converged"] is True and result["epochs"] == 4


def test_the_stopping_rule_is_recboles_with_ties_as_improvements_and_the_min_train_steps_floor():
    from recbole_vagnn.trainer.convergence import EarlyStopping

    rule = EarlyStopping(stopping_step=1, bigger=True, min_train_steps=100)
    assert rule.update(0.30, 0.30, 0, 50) == StoppingDecision(
        best=0.30, cur_step=0, stop=False, improved=True
    )  # a tie counts as an improvement (RecBole's >=)
    assert rule.update(0.20, 0.30, 0, 75) == StoppingDecision(
        best=0.30, cur_step=0, stop=False, improved=False
    )  # before min_train_steps: held at 0
    assert rule.update(0.20, 0.30, 0, 100) == StoppingDecision(best=0.30, cur_step=1, stop=False, improved=False)
    assert rule.update(0.20, 0.30, 1, 125) == StoppingDecision(
        best=0.30, cur_step=2, stop=True, improved=False
    )  # the patience of 1 ran out
    assert rule.steps_left(1, 125, 25) == 25 and rule.steps_left(0, 25, 25) == 75
    smaller = EarlyStopping(stopping_step=1, bigger=False, min_train_steps=0)
    assert smaller.update(0.1, 0.2, 3, 10) == StoppingDecision(best=0.1, cur_step=0, stop=False, improved=True)


@pytest.mark.parametrize("fast_loader", [True, False])
def test_per_user_values_average_to_recboles_metrics(fast_loader):
    result = run_recbole(
        "VAGNN",
        config_dict={"epochs": 1, "show_progress": False, "metric_decimal_place": 10, "fast_loader": fast_loader},
        saved=False,
    )
    assert len(result["test_users"]) == 400 == len(set(result["test_users"]))
    for metric, value in result["test_result"].items():
        assert np.mean(result["test_per_user"][metric]) == pytest.approx(value, abs=1e-9)
    assert len(result["video_only_curve"]) == len(result["valid_curve"]) == 1


def test_score_part_ranks_by_one_part_alone_and_restores_the_gate():
    from recbole_vagnn.quick_start import build_data_and_model

    _, model, *_, test = build_data_and_model("VAGNN", config_dict={"show_progress": False})
    model.eval()
    interaction = next(iter(test))[0]
    gated = model.full_sort_predict(interaction)
    users, videos, vloggers = model._fuse_views(model.forward())
    user_rows = users[interaction["user_id"]]
    with model.score_part("video"):
        video_only = model.full_sort_predict(interaction)
    with model.score_part("vlogger"):
        vlogger_only = model.full_sort_predict(interaction)
    assert torch_allclose(video_only, (user_rows @ videos.T).view(-1))
    assert torch_allclose(vlogger_only, (user_rows @ vloggers[model.item2vlogger].T).view(-1))
    assert torch_allclose(model.full_sort_predict(interaction), gated) and not torch_allclose(gated, video_only)
    with pytest.raises(ValueError, match="one of video, vlogger"), model.score_part("both"):
        pass


def torch_allclose(a, b):
    return bool(np.allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-6))


def test_trainer_warns_when_the_video_part_alone_validates_better(caplog):
    from recbole_vagnn.quick_start import build_data_and_model
    from recbole_vagnn.utils.utils import get_trainer

    config, model, *_ = build_data_and_model("VAGNN", config_dict={"show_progress": False})
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    trainer.valid_curve, trainer.video_only_curve = [(24, 0.10), (48, 0.12)], [(24, 0.20), (48, 0.11)]
    caplog.clear()  # the convergence rule's warning while building
    with caplog.at_level(logging.WARNING):
        trainer._warn_if_vlogger_score_hurts()
    assert not caplog.records  # at the best validation (step 48) the full score is better
    trainer.video_only_curve = [(24, 0.20), (48, 0.13)]
    with caplog.at_level(logging.WARNING):
        trainer._warn_if_vlogger_score_hurts()
    assert "lower lambda1" in caplog.text and "benchmark --tune" in caplog.text and "0.1300" in caplog.text


def _run(seed, users, values):
    return {"seed": seed, "test_users": users, "test_per_user": {"recall@10": values}}


def test_paired_test_pairs_seeds_and_users_and_averages_over_seeds():
    rng = np.random.default_rng(0)
    users = list(range(1, 61))
    a = [rng.random(60), rng.random(60)]
    b = [a[0] - 0.1 + 0.05 * rng.random(60), a[1] - 0.1 + 0.05 * rng.random(60)]
    reference = [_run(2020, users, a[0].tolist()), _run(2021, users, a[1].tolist())]
    order = rng.permutation(60)  # the other model lists its users in another order
    other = [_run(2021, [users[i] for i in order], b[1][order].tolist()), _run(2020, users, b[0].tolist())]
    test = paired_test(reference, other, "recall@10")
    mean_a, mean_b = (a[0] + a[1]) / 2, (b[0] + b[1]) / 2
    assert test["p"] == pytest.approx(wilcoxon(mean_a - mean_b).pvalue)
    assert test["diff"] == pytest.approx(np.mean(mean_a - mean_b))
    assert test["seed_p"] == pytest.approx([wilcoxon(a[0] - b[0]).pvalue, wilcoxon(a[1] - b[1]).pvalue])
    assert test["seeds_better"] == 2 and test["p"] < 1e-6 and test["users"] == 60
    same = paired_test(reference, reference, "recall@10")
    assert same["p"] == 1.0 and same["diff"] == 0.0 and same["seeds_better"] == 0
    assert paired_test(reference, [_run(7, users, a[0].tolist())], "recall@10") is None


def test_link_lift_by_hand():
    # 2 users, 6 videos (ids 0-5), vloggers A (videos 0-2) and B (3-5); user 0 linked to A, user 1 to B.
    relation = sp.csr_matrix(np.array([[1, 0], [0, 1]]))
    vlogger_of = np.array([0, 0, 0, 1, 1, 1])
    history = sp.csr_matrix((np.ones(3), ([0, 0, 1], [0, 3, 4])), shape=(2, 6))
    # user 0 tests video 1 (linked); candidates 1, 2, 4, 5: 2 of 4 linked.
    # user 1 tests video 0 (not linked); candidates 0, 1, 2, 3, 5: 2 of 5 linked (3 and 5).
    result = link_lift(relation, vlogger_of, history, [0, 1], [1, 0], 6)
    assert result["share"] == pytest.approx(0.5)
    assert result["base_rate"] == pytest.approx((2 / 4 + 2 / 5) / 2)
    assert result["lift"] == pytest.approx(0.5 / 0.45) and result["users"] == 2


def test_converter_link_lift_equals_the_datasets(tmp_path):
    from recbole_vagnn.quick_start import build_data_and_model
    from recbole_vagnn.utils.paths import EMBEDDED_DATA_DIR

    def read(suffix):
        frame = pd.read_csv(EMBEDDED_DATA_DIR / "vagnn-demo" / f"vagnn-demo.{suffix}", sep="\t")
        return frame.rename(columns=lambda name: name.split(":")[0])

    from_frames = leave_one_out_link_lift(read("inter"), read("item"), read("uvl"))
    _, _, _, train, _, _ = build_data_and_model("LightGCN", config_dict={"show_progress": False})
    assert from_frames == pytest.approx(train.dataset.link_lift)
    assert from_frames["lift"] > 5  # the embedded data plants vlogger signal


def test_no_signal_control_has_a_link_lift_near_one():
    inter, item, uvl = generate(vlogger_share=0, topic_fidelity=0)
    first_watch = inter.groupby("user_id")["timestamp"].min()
    assert (uvl["timestamp"].to_numpy() < first_watch.loc[uvl["user_id"]].to_numpy()).all()
    assert 0.85 < leave_one_out_link_lift(inter, item, uvl)["lift"] < 1.2
