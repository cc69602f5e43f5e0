r"""
CreatorAffinity
################################################

A personalised reference model for tripartite (user / video / vlogger) data: "more videos of the
vloggers this user already watches and follows". It is the rule a practitioner tries first on
creator data, and the one a model of the vloggers (VA-GNN) must beat to show it learned more than
the user's own creator history.

Score of video ``v`` for user ``u``, from the training split only::

    score(u, v) = C[u, p(v)] + follow_weight * F[u, p(v)] + delta * pop(v) / (1 + max(vlogger_pop))

- ``p(v)``: the vlogger of ``v`` (``dataset.item2vlogger``);
- ``C[u, p]``: the user's training interactions with videos of ``p`` (``watched_vlogger_matrix``,
  X Z^T on the training split);
- ``F[u, p]``: 1 if the user follows ``p``, from the dataset's leak-free training relation
  ``user_vlogger_matrix(training=True)``: explicit ``.uvl`` events before the user's first
  validation or test interaction, built by the dataset (no time filtering here). The dataset adds
  its "uvl_min_videos" rule to that relation, and ``properties/model/CreatorAffinity.yaml`` turns
  the rule off (``uvl_min_videos: 0``, ``uvl_min_links: 1``), so that F is the explicit events
  alone; a config that sets them otherwise gets that relation, and the model logs a warning;
- ``pop(v) = vlogger_pop[p(v)] + item_pop[v] / (1 + max(item_pop))``: CreatorPop's score, so the
  tie-break term is a fraction below 1 that orders tied videos by their vlogger's training
  popularity first and by their own second;
- ``delta``: 1 where ``follow_weight`` is a whole number (the first two terms are then integers),
  else the distance from ``follow_weight`` to the nearest whole number, the smallest gap between
  two different values of ``C + follow_weight * F``. The tie-break therefore never reorders videos
  of different first-two-term scores: it breaks exact ties only.

A user with no history and no follow gets the vloggers' popularity ranking (CreatorPop's).

Non-trainable, as RecBole's ``Pop`` (``ModelType.TRADITIONAL``: one epoch, a fake loss): the sparse
users x vloggers matrix ``C + follow_weight * F`` is built once, vectorised, and kept as CSR buffers;
:meth:`CreatorAffinity.full_sort_predict` expands it to dense rows for the batch's users only and
gathers the vlogger of every video, so no users x videos matrix is ever built.
"""

from logging import getLogger

import numpy as np
import torch
from recbole.model.abstract_recommender import GeneralRecommender
from recbole.utils import InputType, ModelType

from recbole_vagnn.model.general_recommender.creator_pop import creator_pop_scores, require_tripartite

DEFAULT_FOLLOW_WEIGHT = 1.0


def tie_scale(follow_weight):
    """``delta``: the smallest gap between two different values of ``count + follow_weight * follows``."""
    distance = abs(follow_weight - round(follow_weight))
    return 1.0 if distance == 0 else distance


class CreatorAffinity(GeneralRecommender):
    r"""CreatorAffinity ranks a user's videos by the user's training interactions with their vlogger plus a follow bonus.

    ``follow_weight`` (default 1.0) x [the user follows the vlogger] is added, the follows taken
    leak-free from the dataset; exact ties are broken by the vlogger's, then the video's, training
    popularity (a fraction below the scores' resolution).
    """

    input_type = InputType.POINTWISE
    type = ModelType.TRADITIONAL

    def __init__(self, config, dataset):
        require_tripartite(dataset, "CreatorAffinity")
        super().__init__(config, dataset)
        weight = config["follow_weight"]
        self.follow_weight = float(DEFAULT_FOLLOW_WEIGHT if weight is None else weight)
        self.n_vloggers = dataset.vlogger_num

        counts = dataset.watched_vlogger_matrix(form="csr").astype(np.float64)
        follows = dataset.user_vlogger_matrix(form="csr", training=True).astype(np.float64)
        self._log_follows(config, follows.nnz)
        affinity = (counts + self.follow_weight * follows).tocsr()
        affinity.sum_duplicates()
        affinity.eliminate_zeros()
        affinity.sort_indices()

        pop, vlogger_pop = creator_pop_scores(dataset)
        tie_unit = tie_scale(self.follow_weight) / (1.0 + vlogger_pop.max(initial=0.0))
        tie = tie_unit * pop
        rows = np.repeat(np.arange(affinity.shape[0], dtype=np.int64), np.diff(affinity.indptr))
        device = self.device
        self.register_buffer("indptr", torch.as_tensor(affinity.indptr.astype(np.int64), device=device))
        self.register_buffer("vloggers", torch.as_tensor(affinity.indices.astype(np.int64), device=device))
        self.register_buffer("values", torch.as_tensor(affinity.data, dtype=torch.float64, device=device))
        # row * n_vloggers + vlogger of every stored entry: sorted, for predict's look-ups
        self.register_buffer("keys", torch.as_tensor(rows * self.n_vloggers + affinity.indices, device=device))
        self.register_buffer("item2vlogger", torch.as_tensor(dataset.item2vlogger, dtype=torch.long, device=device))
        self.register_buffer("item_tie", torch.as_tensor(tie, dtype=torch.float64, device=device))
        # the tie of a video without training interactions: its vlogger's popularity alone
        self.register_buffer("vlogger_tie", torch.as_tensor(tie_unit * vlogger_pop, dtype=torch.float64, device=device))
        self.fake_loss = torch.nn.Parameter(torch.zeros(1))

    @staticmethod
    def _log_follows(config, links):
        """Say which user-vlogger relation the follows are, and warn where it is not the explicit events alone."""
        rule, min_videos, min_links = config["uvl_rule"], config["uvl_min_videos"], config["uvl_min_links"]
        logger = getLogger()
        relation = f"{links} link(s) of the dataset's training relation (uvl_rule: {rule}"
        relation += f", uvl_min_videos: {min_videos}, uvl_min_links: {min_links})"
        if rule == "paper" or min_videos or (min_links or 1) > 1:
            logger.warning(
                f"CreatorAffinity: the follows are {relation}, not the explicit events before the held-out "
                "interactions alone (uvl_rule: leak_free, uvl_min_videos: 0, uvl_min_links: 1, this model's defaults)"
            )
        else:
            logger.info(
                f"CreatorAffinity: the follows are {relation}: the explicit .uvl events before each user's "
                "first validation/test interaction"
            )

    def forward(self):
        pass

    def calculate_loss(self, interaction):
        return torch.nn.Parameter(torch.zeros(1)).to(self.device)

    def predict(self, interaction):
        users, items = interaction[self.USER_ID], interaction[self.ITEM_ID]
        wanted = users * self.n_vloggers + self.item2vlogger[items]
        affinity = torch.zeros(len(wanted), dtype=torch.float64, device=wanted.device)
        if len(self.keys):
            position = torch.searchsorted(self.keys, wanted).clamp_(max=len(self.keys) - 1)
            found = self.keys[position] == wanted
            affinity[found] = self.values[position[found]]
        return affinity + self.item_tie[items]

    def affinity_rows(self, users):
        """Dense ``len(users) x n_vloggers`` rows of ``C + follow_weight * F`` for ``users``."""
        starts = self.indptr[users]
        lengths = self.indptr[users + 1] - starts
        offsets = torch.cumsum(lengths, 0) - lengths
        rows = torch.repeat_interleave(torch.arange(len(users), device=users.device), lengths)
        positions = torch.arange(len(rows), device=users.device) + torch.repeat_interleave(starts - offsets, lengths)
        dense = torch.zeros(len(users), self.n_vloggers, dtype=torch.float64, device=users.device)
        dense[rows, self.vloggers[positions]] = self.values[positions]
        return dense

    def vlogger_scores(self, users):
        """``len(users) x n_vloggers``: the score of a video of each vlogger with no training interaction (a new upload)."""
        return self.affinity_rows(users) + self.vlogger_tie

    def full_sort_predict(self, interaction):
        scores = self.affinity_rows(interaction[self.USER_ID])[:, self.item2vlogger] + self.item_tie
        return scores.view(-1)
