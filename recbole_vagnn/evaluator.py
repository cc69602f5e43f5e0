"""RecBole's ``Evaluator`` that also keeps each user's value of every top-k metric.

The per-user values come from the same ``rec.topk`` data struct (the masked full ranking) that
RecBole's metric classes average, through those classes' own ``used_info`` and ``metric_info``,
so their mean over users is RecBole's metric. The benchmark's paired significance tests use them.
"""

from recbole.evaluator import Evaluator
from recbole.evaluator.base_metric import TopkMetric


class PerUserEvaluator(Evaluator):
    """After :meth:`evaluate`, ``per_user`` maps ``'recall@10'`` etc. to a numpy array over the evaluated users."""

    def __init__(self, config):
        super().__init__(config)
        self.per_user = {}

    def evaluate(self, dataobject):
        self.per_user = {}
        for name, metric in self.metric_class.items():
            if not isinstance(metric, TopkMetric):
                continue
            values = metric.metric_info(*metric.used_info(dataobject))
            for k in metric.topk:
                self.per_user[f"{name}@{k}"] = values[:, k - 1]
        return super().evaluate(dataobject)
