"""RecBole's ``Evaluator`` that also keeps each user's value of every metric defined per user.

Every metric of RecBole's registry (``recbole.evaluator.register.metrics_dict``) is computed by
RecBole's own classes, so the returned values are RecBole's. For the metrics that RecBole averages
over users, the per-user values are kept too, from the same data struct and through the metric
classes' own ``used_info`` and ``metric_info``:

- the top-k metrics (Recall, MRR, NDCG, Hit, Precision, MAP and any other ``TopkMetric``): one
  value per user and k, whose mean over users is RecBole's metric;
- GAUC: each user's AUC from RecBole's ``rec.meanrank``; RecBole's GAUC is their mean weighted by
  the user's number of positives, over the users with at least one positive and one negative
  (the others get NaN, as RecBole leaves them out).

With ``head_tail: True`` (``benchmark``, ``sweep`` and ``stopping`` set it; the trainer leaves it
out under ``cold_items``, whose candidates have no training interactions) Recall at the smallest k
is also split by the test videos' popularity, as :class:`HeadTailCollector` collects it:
``recall_head@k`` counts only the user's positives among the :data:`HEAD_SHARE` most trained-on
videos (hits in the top k of the one full ranking over the number of such positives),
``recall_tail@k`` those among the rest. A user with no positive in a group has NaN there and is left out of that group's mean and
its paired tests.

The other metrics (AUC, MAE, RMSE, LogLoss, ItemCoverage, AveragePopularity, GiniIndex,
ShannonEntropy, TailPercentage) are defined over the whole evaluation, not per user: they have
RecBole's value and no per-user values (:data:`PER_USER_METRICS` names those that do). The
benchmark's paired significance tests use the per-user values.

Every returned value is a Python float with ``metric_decimal_place`` decimals. RecBole's metric
classes round, but GAUC (and AUC) round a float32 NumPy number, which as a float reads
``0.49000000953674316``; the values are rounded again here as Python floats.

In a distributed run each rank scores its shard of the users (RecBole's DistributedSampler);
with ``positions`` set (the trainer sets the rows this rank scored), :meth:`PerUserEvaluator.evaluate`
first gathers every rank's rows (:func:`gather_rows`), so that every metric and per-user value is
computed once over all users, in user order, exactly as one process computes it, on every rank.
RecBole instead averages each rank's metrics weighted by its count of batches (``_map_reduce``),
which counts the sampler's padding users twice and is not the single-process value.
"""

import copy
import inspect

import numpy as np
import torch
from recbole.evaluator import Collector, Evaluator
from recbole.evaluator.base_metric import TopkMetric

PER_USER_METRICS = {"recall", "mrr", "ndcg", "hit", "precision", "map", "gauc"}  # RecBole's, kept per user
HEAD_SHARE = 0.2
"""The share of videos, the most trained-on, that ``recall_head@k`` counts; ``recall_tail@k`` the other 80%."""
GROUPS = ("head", "tail")


def head_items(train_items, n_items, share=HEAD_SHARE):
    """Boolean mask over item ids: the ``ceil(share x (n_items - 1))`` items (id 0 is padding) with the
    most training interactions (``train_items``: the item id of each), ties to the smaller id."""
    counts = np.bincount(np.asarray(train_items), minlength=n_items)[1:n_items]
    order = np.argsort(-counts, kind="stable")[: int(np.ceil(share * (n_items - 1)))]
    mask = np.zeros(n_items, dtype=bool)
    mask[order + 1] = True
    return torch.as_tensor(mask)


def _topk_per_user(metric, dataobject):
    """``{k: values}`` of a ``TopkMetric``: its ``metric_info`` takes the hit matrix, and the positives' counts if it needs them."""
    pos_index, pos_len = metric.used_info(dataobject)
    needs_counts = len(inspect.signature(metric.metric_info).parameters) > 1
    values = metric.metric_info(pos_index, pos_len) if needs_counts else metric.metric_info(pos_index)
    return {k: values[:, k - 1] for k in metric.topk}


def _auc_per_user(dataobject):
    """Each user's AUC from ``rec.meanrank`` (RecBole's GAUC formula before its weighted mean); NaN where undefined."""
    pos_rank_sum, user_len, pos_len = np.split(dataobject.get("rec.meanrank").numpy(), 3, axis=1)
    pos_rank_sum, user_len, pos_len = pos_rank_sum[:, 0], user_len[:, 0], pos_len[:, 0]
    neg_len = user_len - pos_len
    pairs = (user_len + 1) * pos_len - pos_len * (pos_len + 1) / 2 - pos_rank_sum
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((pos_len > 0) & (neg_len > 0), pairs / (neg_len * pos_len), np.nan)


def _head_tail_recall(dataobject, k):
    """``{'recall_head@k': values, 'recall_tail@k': values}`` per user from :class:`HeadTailCollector`'s counts."""
    counts = dataobject.get("rec.head_tail").numpy()
    k_max = (counts.shape[1] - 2) // 2
    values = {}
    for g, group in enumerate(GROUPS):
        hits, positives = counts[:, g * k_max : (g + 1) * k_max], counts[:, 2 * k_max + g]
        with np.errstate(divide="ignore", invalid="ignore"):
            values[f"recall_{group}@{k}"] = np.where(positives > 0, hits[:, k - 1] / positives, np.nan)
    return values


class HeadTailCollector(Collector):
    """RecBole's ``Collector`` that, while ``head`` (a mask over items) is set, also keeps per user the
    hits at every rank up to max(topk) among head and among tail videos and the positives in each:
    ``rec.head_tail``, one row per user."""

    head = None

    def eval_batch_collect(self, scores_tensor, interaction, positive_u, positive_i):
        super().eval_batch_collect(scores_tensor, interaction, positive_u, positive_i)
        if self.head is None:
            return
        _, top = torch.topk(scores_tensor, max(self.topk), dim=-1)  # RecBole's call: the same top k
        positive = torch.zeros_like(scores_tensor, dtype=torch.bool)
        positive[positive_u, positive_i] = True
        head = self.head.to(scores_tensor.device)
        hit, top_in_head = torch.gather(positive, 1, top), head[top]
        counts = [
            (hit & top_in_head).cumsum(dim=1),
            (hit & ~top_in_head).cumsum(dim=1),
            (positive & head).sum(dim=1, keepdim=True),
            (positive & ~head).sum(dim=1, keepdim=True),
        ]
        self.data_struct.update_tensor("rec.head_tail", torch.cat(counts, dim=1))

    def get_data_struct(self):
        returned = super().get_data_struct()
        if "rec.head_tail" in self.data_struct:
            del self.data_struct["rec.head_tail"]
        return returned


ROW_KEYS = ("rec.items", "rec.topk", "rec.meanrank", "rec.score", "data.label", "rec.head_tail")
"""The keys of RecBole's ``DataStruct`` that hold one row per evaluated row (user, for ranking)."""


def gather_rows(dataobject, positions):
    """``dataobject`` with the rows of every rank of the process group, in order of position, each position once.

    ``positions``: the index of each of this rank's rows in the evaluation (RecBole's sampler
    pads the last ranks with rows of the first; the copies are dropped). Every rank gets the same
    struct, the one a single process collects.
    """
    import torch.distributed as dist

    from recbole_vagnn.utils.errors import DistributedError

    rows = {key: dataobject.get(key) for key in ROW_KEYS if key in dataobject}
    shards = [None] * dist.get_world_size()
    dist.all_gather_object(shards, (positions.cpu(), rows))
    for shard_positions, shard_rows in shards:
        if any(len(value) != len(shard_positions) for value in shard_rows.values()):
            raise DistributedError(
                "this evaluation collects other than one row per evaluated user or interaction, and its shards "
                "cannot be put together: evaluate it in one process"
            )
    every = torch.cat([shard_positions for shard_positions, _ in shards])
    order = torch.argsort(every, stable=True)
    first = torch.ones(len(order), dtype=torch.bool)
    first[1:] = every[order][1:] != every[order][:-1]
    keep = order[first]  # each position once, ascending
    gathered = copy.copy(dataobject)
    gathered._data_dict = dict(dataobject._data_dict)
    for key in rows:
        gathered._data_dict[key] = torch.cat([shard_rows[key] for _, shard_rows in shards])[keep]
    return gathered


class PerUserEvaluator(Evaluator):
    """After :meth:`evaluate`, ``per_user`` maps ``'recall@10'``, ``'gauc'`` etc. to a numpy array over the evaluated users."""

    def __init__(self, config):
        super().__init__(config)
        self.per_user = {}
        self.positions = None  # a distributed run's rows of this rank (module docstring)

    def evaluate(self, dataobject):
        if self.positions is not None:
            dataobject = gather_rows(dataobject, self.positions)
        self.per_user = {}
        for name, metric in self.metric_class.items():
            if isinstance(metric, TopkMetric):
                for k, values in _topk_per_user(metric, dataobject).items():
                    self.per_user[f"{name}@{k}"] = values
            elif name == "gauc":
                self.per_user[name] = _auc_per_user(dataobject)
        result = super().evaluate(dataobject)
        if "rec.head_tail" in dataobject and "recall" in self.metric_class:
            split = _head_tail_recall(dataobject, min(self.metric_class["recall"].topk))
            self.per_user.update(split)
            result.update(
                {key: np.nanmean(values) if (values == values).any() else np.nan for key, values in split.items()}
            )
        places = self.config["metric_decimal_place"]
        for key, value in result.items():
            result[key] = round(float(value), 4 if places is None else places)
        return result
