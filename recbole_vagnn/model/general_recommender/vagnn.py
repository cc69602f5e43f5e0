r"""
VAGNN
################################################

Reference:
    Weijiang Lai, Beihong Jin, Beibei Li, Yiyuan Zheng and Rui Zhao. "A Vlogger-augmented Graph
    Neural Network Model for Micro-video Recommendation." In ECML PKDD 2023 (arXiv:2405.18260).

Reference code:
    https://github.com/laiweijiang/VAGNN (plain PyTorch). Where it departs from the paper we
    follow the paper, as listed below.

Choices where the paper is open or its code differs (config key in brackets):

- Graphs. Video view: training user-video interactions X. Vlogger view: the user-vlogger relation
  Y as in the paper's Sec. 4.3 [``vlogger_view_graph: explicit``]; the authors' code instead links
  each user to the vloggers of its watched training videos [``watched``]. Y is the dataset's
  (:meth:`TripartiteDataset.user_vlogger_matrix`): explicit events and the paper's "more than two
  videos" rule, built from the training split only so that no validation or test interaction
  shapes it [dataset key ``uvl_rule: leak_free``; ``paper`` is the literal, leaky construction].
  Both views are augmented once per run by the meta-path random walk of
  :mod:`recbole_vagnn.model.metapath` [``walk_q1``, ``walk_q2``; code values 0.4 / 0.1, the paper
  gives none], seeded with ``seed`` and cached on the training dataset. A U-P-U / U-V-U walk puts
  the other user u' into u's neighbourhood as the paper says [``walk_direction: paper``]; the
  code gives u's neighbours to u' [``authors``]. Edges are sets as in the paper's Eqs. 1-2
  [``edge_weight: binary``]; the code sums repeated edges [``count``: every walk adds 1 per pair].
- Propagation (Eqs. 1-3, 6-8): LightGCN-style, D^-1/2 A D^-1/2, no self loops, layer mean over
  the L+1 layers (the paper's 1/L is a typo). Layer 0 of a video in the video view is the video's
  own embedding (Eq. 3 writes e_p: a typo).
- Pooling (Eqs. 4, 9): a vlogger's video-view embedding is the mean of its videos', a video's
  vlogger-view embedding the mean of its training users'. Mean pooling is linear, so pooling the
  layer mean equals the layer mean of the per-layer pools. The code L2-normalises pooled vectors
  [``pool_l2_normalize: True``]; default off as in the paper.
- Contrastive loss (Eqs. 11-14): InfoNCE with cosine similarity and temperature ``tau`` written as
  a cross entropy (logsumexp, stable for any tau). Anchors are the batch's distinct users,
  positive videos and those videos' vloggers (the paper's Eqs. 11-13 sum over every node; per
  batch we take the batch's, as the authors' code does). Candidates in the denominator
  [``cl_negatives``]: ``in_batch``, the anchors' own other-view embeddings (default, as the code;
  cost O(B^2 d)), or ``all``, every node of the type as in the paper's denominators (O(B N d)). The code's projection head is not in the paper and is left out. The code returns
  minus InfoNCE for tau >= 0.05 (a sign bug); this is not reproduced.
- Prediction (Eqs. 15-17): e = e_1 || e_2 per node, w = sigmoid(e_v^T Q e_{p_v}) with
  Q in R^{2d x 2d}, y_uv = w e_u.e_v + (1 - w) e_u.e_{p_v}, raw dot products for training and
  ranking (the code squashes scores by a sigmoid for ranking only). Since w depends on the video
  alone, y_uv = e_u . (w e_v + (1 - w) e_{p_v}) and full ranking is one matrix product.
- Losses (Eqs. 18-20): BPR on (user, video, RecBole-sampled negative video) + ``vlogger_loss_weight``
  x BPR on a stream of (user, linked vlogger, unlinked vlogger) triples drawn from Y (as many as
  the batch has rows; uniform over Y's pairs, i.e. Eq. 19's sum over O' [``vlogger_sampling:
  pair``], or a uniform linked user first, then one of its vloggers, as the authors' code
  [``user``]) + ``cl_weight`` x CL + ``reg_weight`` x the squared L2 norm of
  the layer-0 embeddings the batch touches (its users, videos and their vloggers, and the vlogger
  triples' users and vloggers) / (2 x batch size), RecBole's ``EmbLoss(require_pow=True)``
  convention. BPR terms are batch means (RecBole's ``BPRLoss``) rather than the paper's sums,
  which only rescales the learning rate.
- Training (not in the paper's text): the benchmark and quick start train every model under one
  convergence rule (the plugin trainer's, in its convergence module); the paper's literal batch 4096 and patience of
  10 epochs are ``properties/presets/paper-training.yaml``. The trainer validates VA-GNN a second
  time inside :meth:`VAGNN.score_part` ``("video")`` (y = e_u.e_v) and warns when that scores higher.
- Ablations of the paper's Table 3 are switches: (A) ``use_cl: False``, (B)
  ``use_vlogger_loss: False``, (C) ``use_video_view: False``, (D) ``use_vlogger_view: False``,
  (E) ``use_vlogger_score: False`` (y_uv = e_u.e_v). With one view left, every embedding has d
  dimensions, Q is d x d and there is no contrastive loss (it needs two views).
- Switches beyond the paper, each alone, for diagnosing which part helps on the data at hand
  (defaults: the paper's model): ``use_gate: False`` keeps the vlogger score but replaces the
  learned gate by w = 1/2 for every video (so Eq. 16 averages the two parts, Q unused);
  ``view_fusion: sum`` keeps both views and the contrastive loss but fuses them as e_1 + e_2
  (d dimensions, Q is d x d) instead of Eq. 15's concatenation; ``walk_q1: 0`` turns the
  meta-path augmentation off (both views are X and Y as they are).
- Using the creator signal (beyond the paper; ``properties/presets/paper.yaml`` turns both off).
  Measured with ``recbole-vagnn parts`` on real author data (Book-Crossing, link lift 16.7): after
  one epoch the full score validates far above LightGCN's, then both parts sink together and the
  video part falls below the vlogger part; the fused BPR of Eq. 18 trains the two parts only
  through the gate's mix, so neither part learns to rank alone, and the gate, trained on training
  pairs, cannot know which part generalises. Two decisions follow:

  * ``gate_calibration: True``: after training, the gate's bias b in w = sigmoid(e_v^T Q e_p + b)
    is chosen on validation among :data:`GATE_BIASES` (0, the paper's gate, wins ties; b = +inf
    is the video part alone, -inf the vlogger part alone), so the kept model validates at least as
    well as either part alone. The trainer writes b into the kept checkpoint, which the test
    evaluates; the log names every bias's validation score.
    The gate's input stays Eq. 17's raw e_v^T Q e_p, on purpose. With e_v and e_p L2-normalised
    first (tried on Book-Crossing, seed 2020) the gate does move, from w in [0.27, 0.63] after one
    epoch to a mean of 0.97 by epoch 16, but towards the video part, which fits the training
    pairs, while on validation the vlogger part alone ranked better (0.0114 against 0.0077): a gate
    fitted on training pairs learns which part memorises them, not which one generalises.
  * ``part_loss_weight`` (default 0, the paper's loss): adds that weight x (BPR of e_u.e_v + BPR
    of e_u.e_p) on the batch's own (user, video, negative) triples, so that each part also ranks
    alone and the gate mixes two rankers.
- A video without training interactions (a new upload, or in a warm split a video met only in
  validation or test) has only its untrained, BPR-negative embedding in e_v, so Eq. 16's video part
  and the gate's input are noise for it. With ``cold_video_score: vlogger`` (default) its gate is
  w = 0: it is scored by the vlogger part e_u.e_{p_v} alone, in training (as a sampled negative,
  in a warm split; under ``cold_items`` no held-out video is drawn) and in ranking alike;
  ``gate`` keeps Eq. 16 as written (the paper preset). Training does not drop video embeddings
  on purpose (no DropoutNet-style switch): the vlogger part already learns to rank alone where
  ``part_loss_weight`` is set.
- Several processes (RecBole's distributed data parallel): the graphs and the meta-path walk are
  the same on every rank (from the files and ``seed``); the vlogger triples are drawn per rank
  from torch's generator, seeded ``seed + local_rank`` by RecBole, so the ranks draw different
  triples, their share of the global batch's. The in-batch contrastive loss takes its negatives
  from the rank's batch: with k ranks it equals one process's at ``train_batch_size / k``.
"""

from contextlib import contextmanager

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from recbole.model.abstract_recommender import GeneralRecommender
from recbole.model.init import xavier_normal_initialization
from recbole.model.loss import BPRLoss
from recbole.utils import InputType

from recbole_vagnn.model.layers import (
    SparseCopyMixin,
    bipartite_norm_adj,
    gather_rows,
    propagate,
    row_mean_matrix,
    sparse_mm,
    transpose_csr,
)
from recbole_vagnn.model.loss import info_nce
from recbole_vagnn.model.metapath import augment_views
from recbole_vagnn.utils.errors import ConfigError

SCORE_PARTS = ("video", "vlogger")
GATE_BIASES = (0.0, -1.0, 1.0, -2.0, 2.0, -float("inf"), float("inf"))
"""The gate biases :meth:`VAGNN.calibrate_gate` tries, in order of preference on a tie: the paper's
gate first, +-inf last (the vlogger part alone, the video part alone)."""


class VAGNN(SparseCopyMixin, GeneralRecommender):
    r"""VA-GNN: video-view and vlogger-view propagation on the user/video/vlogger tripartite graph,
    cross-view contrastive learning, and a gated mix of user preferences for a video and its vlogger.
    """

    input_type = InputType.PAIRWISE

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        if not hasattr(dataset, "user_vlogger_matrix"):  # duck-typed: the model never imports the dataset
            raise ConfigError(
                "VAGNN needs a tripartite dataset: NAME.item with the vlogger of every video and "
                "NAME.uvl with user-vlogger interactions (see the manual, Data format and converters, 'Adding a dataset')"
            )
        self.embedding_size = config["embedding_size"]
        self.n_layers = config["n_layers"]
        self.vlogger_loss_weight = config["vlogger_loss_weight"]
        self.cl_weight = config["cl_weight"]
        self.cl_temperature = config["cl_temperature"]
        self.reg_weight = config["reg_weight"]
        self.cl_negatives = config["cl_negatives"]
        self.pool_l2_normalize = config["pool_l2_normalize"]
        self.use_video_view = config["use_video_view"]
        self.use_vlogger_view = config["use_vlogger_view"]
        self.use_vlogger_score = config["use_vlogger_score"]
        self.use_vlogger_loss = config["use_vlogger_loss"]
        self.use_gate = config["use_gate"]
        self.view_fusion = config["view_fusion"]
        self.use_cl = config["use_cl"] and self.use_video_view and self.use_vlogger_view
        if not (self.use_video_view or self.use_vlogger_view):
            raise ConfigError("VAGNN needs at least one of use_video_view and use_vlogger_view")
        self.vlogger_sampling = config["vlogger_sampling"]
        # the parts calculate_loss returns, in order, for the training log
        self.part_loss_weight = config["part_loss_weight"]
        has_part_loss = bool(self.part_loss_weight and self.use_vlogger_score)
        self.loss_names = (
            ["video BPR"]
            + ["parts BPR"] * has_part_loss
            + ["vlogger BPR"] * self.use_vlogger_loss
            + ["CL"] * self.use_cl
            + ["L2"]
        )
        self.n_vloggers = dataset.vlogger_num

        self.user_embedding = nn.Embedding(self.n_users, self.embedding_size)
        self.item_embedding = nn.Embedding(self.n_items, self.embedding_size)
        self.vlogger_embedding = nn.Embedding(self.n_vloggers, self.embedding_size)
        n_views = int(self.use_video_view) + int(self.use_vlogger_view)
        joint_size = self.embedding_size * (n_views if self.view_fusion == "concat" else 1)
        self.gate = nn.Parameter(torch.empty(joint_size, joint_size))
        self.apply(xavier_normal_initialization)
        nn.init.xavier_normal_(self.gate)
        self.register_buffer("gate_bias", torch.zeros(()))  # set by calibrate_gate; 0 is Eq. 17
        self.mf_loss = BPRLoss()

        video_view, vlogger_view = self._build_views(config, dataset)
        self.item2vlogger = torch.as_tensor(dataset.item2vlogger, device=self.device)
        self.cold_video_score = config["cold_video_score"]
        training_degree = np.asarray(dataset.inter_matrix(form="csr").sum(axis=0)).ravel()
        self.trained_videos = torch.as_tensor(training_degree > 0, device=self.device)
        self.video_adj = bipartite_norm_adj(video_view, self.device)
        self.vlogger_adj = bipartite_norm_adj(vlogger_view, self.device)
        self.vlogger_pool = row_mean_matrix(dataset.publish_matrix(form="csr"), self.device)
        self.video_pool = row_mean_matrix(dataset.inter_matrix(form="csr").T, self.device)
        # built once for the backward passes of the pooling (sparse_mm)
        self.vlogger_pool_t, self.video_pool_t = transpose_csr(self.vlogger_pool), transpose_csr(self.video_pool)

        follows = dataset.user_vlogger_matrix(form="csr", training=True)
        follows.sort_indices()
        degree = torch.as_tensor(np.diff(follows.indptr), dtype=torch.long, device=self.device)
        self.follow_users = torch.repeat_interleave(torch.arange(len(degree), device=self.device), degree)
        self.follow_vloggers = torch.as_tensor(follows.indices, dtype=torch.long, device=self.device)
        self.follow_start = torch.as_tensor(follows.indptr[:-1], dtype=torch.long, device=self.device)
        rank = torch.arange(len(self.follow_vloggers), device=self.device) - self.follow_start[self.follow_users] + 1
        # per user, s_j - j for its j-th linked vlogger s_j: non-decreasing, so the keys are sorted
        self.gap_keys = self.follow_users * self.n_vloggers + self.follow_vloggers - rank
        self.follow_degree = degree
        self.linked_users = torch.nonzero(degree).view(-1)
        if self.use_vlogger_loss and len(self.follow_vloggers) == 0:
            raise ConfigError(
                "the vlogger loss needs user-vlogger links, and the training split has none "
                f"({getattr(dataset, 'relation_note', 'no links')}): no .uvl event before the held-out interactions "
                "and no user with uvl_min_videos videos of a vlogger survive. On small data the paper's "
                "uvl_min_links: 5 removes every link: use uvl_min_links: 1 (properties/presets/small-data.yaml)"
            )

        self.restore_user_e = None
        self.restore_item_e = None
        self._views_for_inference = None
        self.ranking_part = None  # set inside score_part
        self.other_parameter_name = ["restore_user_e", "restore_item_e"]

    @staticmethod
    def _build_views(config, dataset):
        """Augmented (video view, vlogger view) biadjacency matrices, built once per training set."""
        source = config["vlogger_view_graph"]
        direction = config["walk_direction"]
        key = ("vagnn_views", source, config["walk_q1"], config["walk_q2"], direction, config["seed"])

        def build():
            base = (
                dataset.user_vlogger_matrix(form="csr", training=True)
                if source == "explicit"
                else dataset.watched_vlogger_matrix(form="csr")
            )
            return augment_views(
                dataset.inter_matrix(form="csr"),
                base,
                dataset.publish_matrix(form="csr"),
                config["walk_q1"],
                config["walk_q2"],
                config["seed"],
                direction,
            )

        views = dataset.cached_graph(key, build)
        if config["edge_weight"] == "binary":
            views = tuple(view.sign() for view in views)
        return views

    def _pool(self, embeddings):
        return F.normalize(embeddings, dim=-1) if self.pool_l2_normalize else embeddings

    def forward(self):
        """Per view, the (users, videos, vloggers) embeddings after propagation and pooling."""
        users, videos, vloggers = (
            self.user_embedding.weight,
            self.item_embedding.weight,
            self.vlogger_embedding.weight,
        )
        views = []
        if self.use_video_view:
            view_users, view_videos = torch.split(
                propagate(self.video_adj, torch.cat([users, videos]), self.n_layers), [self.n_users, self.n_items]
            )
            vlogger_means = sparse_mm(self.vlogger_pool, view_videos, self.vlogger_pool_t)
            views.append((view_users, view_videos, self._pool(vlogger_means)))
        if self.use_vlogger_view:
            view_users, view_vloggers = torch.split(
                propagate(self.vlogger_adj, torch.cat([users, vloggers]), self.n_layers),
                [self.n_users, self.n_vloggers],
            )
            video_means = sparse_mm(self.video_pool, view_users, self.video_pool_t)
            views.append((view_users, self._pool(video_means), view_vloggers))
        return views

    def _fuse_views(self, views):
        """Eq. 15: e = e_1 || e_2 per node (``view_fusion: concat``), or e_1 + e_2 (``sum``)."""
        if self.view_fusion == "sum":
            return tuple(sum(view[k] for view in views) for k in range(3))
        return tuple(torch.cat([view[k] for view in views], dim=1) for k in range(3))

    def _gate(self, videos, vloggers, item_ids=None):
        """Eq. 17: w = sigmoid(e_v^T Q e_p + b), row by row, b the calibrated bias (0 before
        :meth:`calibrate_gate`); sigmoid(b) for every video with ``use_gate: False``. With
        ``cold_video_score: vlogger`` and a finite b, w = 0 for the rows of ``item_ids`` (all videos
        where None) that have no training interaction; b = +-inf is one part alone for every video."""
        if not self.use_gate:
            w = torch.sigmoid(self.gate_bias).expand(videos.shape[:1])
        else:
            w = torch.sigmoid(((videos @ self.gate) * vloggers).sum(dim=-1) + self.gate_bias)
        if self.cold_video_score == "vlogger":  # b = +inf keeps w = 1 for them too; no host sync on b
            trained = self.trained_videos if item_ids is None else self.trained_videos[item_ids]
            w = torch.where(trained, w, (self.gate_bias == float("inf")).to(w.dtype))
        return w

    @torch.no_grad()
    def calibrate_gate(self, validation_score):
        """Set the gate's bias b to the one of :data:`GATE_BIASES` with the best ``validation_score()``.

        ``validation_score`` evaluates the model as it is (higher is better). b = -inf ranks by the
        vlogger part alone and +inf by the video part alone, so after calibration the full score
        validates at least as well as either part; a tie keeps the earlier bias, the paper's 0 first.
        Returns ``{bias: score}`` in the order tried. Without a vlogger part (E) nothing is tried.
        """
        if not self.use_vlogger_score:
            return {}
        scores = {}
        for bias in GATE_BIASES:  # the bias changes the ranking items only, not the propagated views
            self.gate_bias.fill_(bias)
            self.restore_user_e = self.restore_item_e = None
            scores[bias] = float(validation_score())
        self.gate_bias.fill_(max(scores, key=lambda bias: (scores[bias], -GATE_BIASES.index(bias))))
        self.restore_user_e = self.restore_item_e = None
        return scores

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """A checkpoint from before the gate's bias existed loads with b = 0, its gate unchanged."""
        state_dict.setdefault(prefix + "gate_bias", torch.zeros(()))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _ranking_items(self, videos, vloggers):
        """Per video r_v with y_uv = e_u . r_v: r_v = w e_v + (1 - w) e_{p_v} (Eq. 16), or e_v for (E).

        Inside :meth:`score_part`, e_v or e_{p_v} alone.
        """
        if not self.use_vlogger_score or self.ranking_part == "video":
            return videos
        video_vloggers = gather_rows(vloggers, self.item2vlogger)
        if self.ranking_part == "vlogger":
            return video_vloggers
        w = self._gate(videos, video_vloggers).unsqueeze(-1)  # every video, in id order
        return w * videos + (1 - w) * video_vloggers

    def sample_vlogger_triples(self, size):
        """``size`` (user, linked vlogger, unlinked vlogger) triples from Y, with torch's seeded generator.

        ``vlogger_sampling: pair`` draws Y's pairs uniformly with replacement; ``user`` draws a
        linked user uniformly, then one of its vloggers. The negative is uniform over the user's
        unlinked vloggers, drawn exactly (no rejection): the k-th unlinked id is k + 1 plus the
        number of linked ids s_j (j-th smallest, j = 1..m) with s_j - j <= k. A user linked to
        every vlogger gets a uniform vlogger.
        """
        if self.vlogger_sampling == "pair":
            pick = torch.randint(len(self.follow_users), (size,), device=self.device)
        else:
            users = self.linked_users[torch.randint(len(self.linked_users), (size,), device=self.device)]
            offset = (torch.rand(size, device=self.device) * self.follow_degree[users]).long()
            pick = self.follow_start[users] + offset
        users, positives = self.follow_users[pick], self.follow_vloggers[pick]
        unlinked = (self.n_vloggers - 1) - self.follow_degree[users]
        k = (torch.rand(size, device=self.device) * unlinked.clamp(min=1)).long()
        skipped = torch.searchsorted(self.gap_keys, users * self.n_vloggers + k, right=True) - self.follow_start[users]
        negatives = torch.where(unlinked > 0, k + 1 + skipped, torch.randint_like(k, 1, self.n_vloggers))
        return users, positives, negatives

    def contrastive_loss(self, views, users, videos, vloggers):
        """Eq. 14: the mean of the user, video and vlogger cross-view InfoNCE losses (Eqs. 11-13).

        ``views`` holds per view the (users, videos, vloggers) embeddings, either full tables
        indexed by id or rows already gathered for the batch; ``users``, ``videos`` and
        ``vloggers`` index into them. Repeated ids count once.
        """
        losses = []
        for kind, ids in enumerate((users, videos, vloggers)):
            ids = torch.unique(ids)
            if self.cl_negatives == "in_batch":
                candidates, target = gather_rows(views[1][kind], ids), torch.arange(len(ids), device=ids.device)
            else:  # every real node of the type; id 0 is padding
                candidates, target = views[1][kind][1:], ids - 1
            losses.append(info_nce(gather_rows(views[0][kind], ids), candidates, target, self.cl_temperature))
        return sum(losses) / 3

    def _score_pairs(self, users, videos, vloggers, item_ids):
        """Eq. 16 for aligned rows (gathered user, video and that video's vlogger embeddings, and
        the videos' ids): ``(y, e_u.e_v, e_u.e_p)``, the last None for (E)."""
        video_score = (users * videos).sum(dim=-1)
        if not self.use_vlogger_score:
            return video_score, video_score, None
        w = self._gate(videos, vloggers, item_ids)
        vlogger_score = (users * vloggers).sum(dim=-1)
        return w * video_score + (1 - w) * vlogger_score, video_score, vlogger_score

    def calculate_loss(self, interaction):
        self.restore_user_e = self.restore_item_e = None
        user = interaction[self.USER_ID]
        pos_item = interaction[self.ITEM_ID]
        neg_item = interaction[self.NEG_ITEM_ID]
        size = len(user)
        # Each table is gathered once per view for every row the losses need: backward through a
        # gather fills a whole table, so fewer gathers make a faster step. Every gather with a
        # gradient goes through gather_rows, whose backward sums repeated ids in a fixed order.
        user_ids, item_ids = user, torch.cat([pos_item, neg_item])
        vlogger_ids = self.item2vlogger[item_ids]
        if self.use_vlogger_loss:
            v_user, v_pos, v_neg = self.sample_vlogger_triples(size)
            user_ids, vlogger_ids = torch.cat([user, v_user]), torch.cat([vlogger_ids, v_pos, v_neg])
        full_views = self.forward()
        views = [
            (gather_rows(u, user_ids), gather_rows(v, item_ids), gather_rows(p, vlogger_ids)) for u, v, p in full_views
        ]
        users, videos, vloggers = self._fuse_views(views)

        pos_scores = self._score_pairs(users[:size], videos[:size], vloggers[:size], pos_item)
        neg_scores = self._score_pairs(users[:size], videos[size:], vloggers[size : 2 * size], neg_item)
        losses = [self.mf_loss(pos_scores[0], neg_scores[0])]
        if self.part_loss_weight and self.use_vlogger_score:
            parts = zip(pos_scores[1:], neg_scores[1:])
            losses.append(self.part_loss_weight * sum(self.mf_loss(pos, neg) for pos, neg in parts))
        if self.use_vlogger_loss:
            v_pos_scores = (users[size:] * vloggers[2 * size : 3 * size]).sum(dim=-1)
            v_neg_scores = (users[size:] * vloggers[3 * size :]).sum(dim=-1)
            losses.append(self.vlogger_loss_weight * self.mf_loss(v_pos_scores, v_neg_scores))
        if self.use_cl and self.cl_negatives == "in_batch":  # the same anchors, by row of the gathered views
            cl_rows = [self._distinct_rows(ids) for ids in (user, pos_item, vlogger_ids[:size])]
            losses.append(self.cl_weight * self.contrastive_loss(views, *cl_rows))
        elif self.use_cl:
            losses.append(self.cl_weight * self.contrastive_loss(full_views, user, pos_item, vlogger_ids[:size]))
        ego = (
            self.user_embedding(user_ids),
            self.item_embedding(item_ids),
            self.vlogger_embedding(vlogger_ids),
        )
        losses.append(self.reg_weight * sum(e.pow(2).sum() for e in ego) / (2 * size))
        return tuple(losses)

    @staticmethod
    def _distinct_rows(ids):
        """Position of the last occurrence of each distinct id in ``ids``, in id order.

        A max over the positions rather than ``scatter_``, whose winner among repeated ids is
        unspecified (CUDA, or a parallel CPU scatter): the row that carries an anchor's contrastive
        gradient, and so the order of the sums in the backward, is the same on every run.
        """
        _, inverse = torch.unique(ids, return_inverse=True)
        positions = torch.zeros(int(inverse.max()) + 1, dtype=torch.long, device=ids.device)
        return positions.scatter_reduce_(0, inverse, torch.arange(len(ids), device=ids.device), "amax")

    def _ranking_embeddings(self):
        if self.restore_user_e is not None:
            return self.restore_user_e, self.restore_item_e
        users, videos, vloggers = self._fuse_views(self.forward())
        items = self._ranking_items(videos, vloggers)
        if not self.training:
            self.restore_user_e, self.restore_item_e = users, items
        return users, items

    @torch.no_grad()
    def score_parts(self, users, items):
        """Eq. 16 split by the gate for aligned (user, video) id pairs: ``(w, w e_u.e_v, (1 - w) e_u.e_p)``.

        The two parts sum to the ranking score. Variant (E) (``use_vlogger_score: False``) has no
        gate: w is 1 and the vlogger part 0.
        """
        all_users, videos, vloggers = self._inference_views()
        e_u, e_v, e_p = all_users[users], videos[items], vloggers[self.item2vlogger[items]]
        video_score, vlogger_score = (e_u * e_v).sum(dim=-1), (e_u * e_p).sum(dim=-1)
        w = self._gate(e_v, e_p, items) if self.use_vlogger_score else torch.ones_like(video_score)
        return w, w * video_score, (1 - w) * vlogger_score

    @torch.no_grad()
    def vlogger_scores(self, users):
        """The learned user-vlogger preference e_u.e_p of Eq. 19 (the vlogger BPR's score), users x vloggers."""
        all_users, _, vloggers = self._inference_views()
        return all_users[users] @ vloggers.T

    def _inference_views(self):
        """The concatenated (users, videos, vloggers) embeddings, computed once while in eval mode."""
        if self.training or self._views_for_inference is None:
            views = self._fuse_views(self.forward())
            if self.training:
                return views
            self._views_for_inference = views
        return self._views_for_inference

    @contextmanager
    def score_part(self, part):
        """Within the block, rank by one part of Eq. 16 alone: ``video`` (y = e_u.e_v, as ablation E
        scores) or ``vlogger`` (y = e_u.e_{p_v}).

        The trainer validates once more inside ``score_part("video")`` to tell whether the vlogger
        part of the score helps on the data at hand; ``recbole-vagnn parts`` evaluates both parts.
        """
        if part not in SCORE_PARTS:
            raise ValueError(f"score part {part!r}: one of {', '.join(SCORE_PARTS)}")
        self.ranking_part = part
        self.restore_user_e = self.restore_item_e = None
        try:
            yield
        finally:
            self.ranking_part = None
            self.restore_user_e = self.restore_item_e = None

    def train(self, mode=True):
        """Switching back to training drops the embeddings cached for evaluation."""
        if mode:
            self.restore_user_e = self.restore_item_e = None
            self._views_for_inference = None
        return super().train(mode)

    def predict(self, interaction):
        users, items = self._ranking_embeddings()
        return (users[interaction[self.USER_ID]] * items[interaction[self.ITEM_ID]]).sum(dim=-1)

    def full_sort_predict(self, interaction):
        users, items = self._ranking_embeddings()
        return torch.matmul(users[interaction[self.USER_ID]], items.T).view(-1)
