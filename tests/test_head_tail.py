"""Recall split by the test videos' training popularity (``head_tail``): the 20% most trained-on
videos (head) and the rest (tail), from the one full ranking."""

import math

import numpy as np
import pytest
import torch

from recbole_vagnn.evaluator.evaluator import HeadTailCollector, PerUserEvaluator, head_items
from recbole_vagnn.quick_start import run_recbole
from tests.conftest import make_config


def test_the_head_is_the_most_trained_on_fifth_of_the_videos_ties_to_the_smaller_id():
    # ids 1..10 (0 is padding): counts 1:3, 2:0, 3:5, 4:3, rest 0 -> ceil(0.2 x 10) = 2 head videos: 3, then 1 (tie with 4)
    mask = head_items([1, 1, 1, 3, 3, 3, 3, 3, 4, 4, 4], 11)
    assert mask.tolist() == [False, True, False, True] + [False] * 7


def test_head_and_tail_recall_count_each_groups_positives_in_the_one_ranking(tiny_root):
    config = make_config("BPR", "tiny", data_path=tiny_root, metrics=["Recall"], topk=[2, 3], valid_metric="recall@2")
    collector = HeadTailCollector(config)
    collector.head = torch.tensor([False, True, True, False, False, False])  # videos 1 and 2
    scores = torch.tensor(
        [
            [-math.inf, 0.9, 0.1, 0.8, 0.2, 0.0],  # top 2: 1 (head), 3 (tail); top 3 adds 4
            [-math.inf, 0.1, 0.2, 0.3, 0.4, 0.5],  # top 2: 5, 4 (tail); top 3 adds 3
        ]
    )
    # user 0: positives 1, 2 (head) and 4 (tail); user 1: positive 5 (tail) only
    collector.eval_batch_collect(scores, None, torch.tensor([0, 0, 0, 1]), torch.tensor([1, 2, 4, 5]))
    evaluator = PerUserEvaluator(config)
    result = evaluator.evaluate(collector.get_data_struct())
    # k = 2, the smallest: user 0 hits 1 of its 2 head positives and 0 of its 1 tail one; user 1 has no head positive
    np.testing.assert_allclose(evaluator.per_user["recall_head@2"], [0.5, np.nan])
    np.testing.assert_allclose(evaluator.per_user["recall_tail@2"], [0.0, 1.0])
    assert result["recall_head@2"] == 0.5 and result["recall_tail@2"] == 0.5
    assert result["recall@2"] == pytest.approx((1 / 3 + 1) / 2, abs=1e-4) and "recall_head@3" not in result
    assert "rec.head_tail" not in collector.data_struct  # the next evaluation starts empty


@pytest.mark.parametrize("fast_loader", [True, False])
def test_with_one_test_video_per_user_head_or_tail_recall_is_the_users_recall(fast_loader):
    config = {"epochs": 1, "show_progress": False, "head_tail": True, "fast_loader": fast_loader}
    result = run_recbole("LightGCN", config_dict=config, saved=False)
    per_user = {key: np.asarray(values) for key, values in result["test_per_user"].items()}
    head, tail = per_user["recall_head@10"], per_user["recall_tail@10"]
    assert (np.isnan(head) ^ np.isnan(tail)).all()  # leave-one-out: each user's one video is in one group
    np.testing.assert_array_equal(np.where(np.isnan(head), tail, head), per_user["recall@10"])
    assert 0 < np.isnan(tail).sum() < len(tail)


def test_without_head_tail_or_under_cold_items_there_is_no_split():
    plain = run_recbole("LightGCN", config_dict={"epochs": 1, "show_progress": False}, saved=False)
    cold = run_recbole(
        "LightGCN", config_dict={"epochs": 1, "show_progress": False, "head_tail": True, "cold_items": 0.2}, saved=False
    )
    for result in (plain, cold):
        assert not any("head" in key or "tail" in key for key in result["test_result"])
