r"""
CreatorPop
################################################

A non-personalised reference model for tripartite (user / video / vlogger) data: RecBole's ``Pop``
one level up, where a video is as popular as the vlogger who published it. It is the first thing a
practitioner tries on creator data ("recommend the videos of the most watched vloggers"), and the
floor any model that uses the vloggers must clear.

Score of video ``v`` (the same for every user), from the training split only::

    score(u, v) = vlogger_pop[p(v)] + item_pop[v] / (1 + max(item_pop))

``p(v)`` is the vlogger of ``v`` (``dataset.item2vlogger``), ``item_pop[v]`` the number of
training interactions with ``v`` and ``vlogger_pop[p]`` the number of training interactions with
any video of ``p`` (the publish matrix Z times ``item_pop``). Both are counts (integers), and the
second term is a fraction strictly below 1: the videos are ranked by their vlogger's popularity,
and the videos of vloggers of equal popularity (a vlogger's own videos first of all) by their own
popularity. Videos equal on both keep RecBole's order of a tie.

Non-trainable, as RecBole's ``Pop`` (``ModelType.TRADITIONAL``: one epoch, a fake loss): the scores
are computed once, vectorised, from the training split's ``inter_matrix`` and ``publish_matrix``
when the model is built, and kept as a buffer (so a checkpoint holds them).
"""

import numpy as np
import torch
from recbole.model.abstract_recommender import GeneralRecommender
from recbole.utils import InputType, ModelType

from recbole_vagnn.utils.errors import ConfigError


def require_tripartite(dataset, model):
    """Refuse a dataset without vloggers in one line (duck-typed: the model never imports the dataset)."""
    if not hasattr(dataset, "user_vlogger_matrix"):
        raise ConfigError(
            f"{model} needs a tripartite dataset: NAME.item with the vlogger of every video and "
            "NAME.uvl with user-vlogger interactions (see the manual, Data format and converters, 'Adding a dataset')"
        )


def training_popularity(dataset):
    """``(item_pop, vlogger_pop)``: training interactions per video and per vlogger (float64 numpy arrays).

    ``dataset`` is the training split: its ``inter_matrix`` holds the training interactions only.
    """
    item_pop = np.asarray(dataset.inter_matrix(form="csr").sum(axis=0), dtype=np.float64).ravel()
    vlogger_pop = dataset.publish_matrix(form="csr") @ item_pop
    return item_pop, np.asarray(vlogger_pop, dtype=np.float64).ravel()


def creator_pop_scores(dataset):
    """CreatorPop's score of every video id (module docstring) and ``vlogger_pop``, float64 numpy arrays."""
    item_pop, vlogger_pop = training_popularity(dataset)
    scores = vlogger_pop[dataset.item2vlogger] + item_pop / (1.0 + item_pop.max(initial=0.0))
    return scores, vlogger_pop


class CreatorPop(GeneralRecommender):
    r"""CreatorPop recommends the videos of the vloggers with the most training interactions to every user.

    Ties between vloggers of equal popularity are broken by the video's own training popularity,
    ``+ item_pop / (1 + max item_pop)``, a fraction below 1.
    """

    input_type = InputType.POINTWISE
    type = ModelType.TRADITIONAL

    def __init__(self, config, dataset):
        require_tripartite(dataset, "CreatorPop")
        super().__init__(config, dataset)
        scores, vlogger_pop = creator_pop_scores(dataset)
        self.register_buffer("item_score", torch.as_tensor(scores, dtype=torch.float64, device=self.device))
        self.register_buffer("vlogger_pop", torch.as_tensor(vlogger_pop, dtype=torch.float64, device=self.device))
        self.fake_loss = torch.nn.Parameter(torch.zeros(1))

    def forward(self):
        pass

    def calculate_loss(self, interaction):
        return torch.nn.Parameter(torch.zeros(1)).to(self.device)

    def predict(self, interaction):
        return self.item_score[interaction[self.ITEM_ID]]

    def vlogger_scores(self, users):
        """``len(users) x n_vloggers``: the score of a video of each vlogger with no training interaction (a new upload)."""
        return self.vlogger_pop.expand(len(users), -1)

    def full_sort_predict(self, interaction):
        batch_users = interaction[self.USER_ID].shape[0]
        return self.item_score.repeat(batch_users, 1).view(-1)  # a copy: the evaluator writes into it
