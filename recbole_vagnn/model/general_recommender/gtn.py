r"""
GTN
################################################

Reference:
    Wenqi Fan, Xiaorui Liu, Wei Jin, Xiangyu Zhao, Jiliang Tang and Qing Li. "Graph Trend
    Filtering Networks for Recommendation." In SIGIR 2022.

Reference code:
    https://github.com/wenqifan03/GTN-SIGIR2022

GTN replaces LightGCN's smoothing (an l2 penalty on embedding differences across edges) by graph
trend filtering, an l1 penalty that tolerates a few unreliable interactions:

    min_F  1/2 ||F - E||^2 + lambda ||Δ̃ F||_1,

with Δ̃ = Δ D̃^{-1/2} the incidence matrix of the user-item graph (one row per interaction, +1 and -1
at its two ends) scaled by the degrees with self loops, D̃ = D + I. The network unrolls K steps of
a primal-dual solver from F^0 = E, Z^0 = 0 (gamma = ``gtn_gamma``, beta = ``gtn_beta``):

    Y^k     = F^{k-1} - gamma (F^{k-1} - E)
    Z^k     = clip(Z^{k-1} + beta/gamma Δ̃ (Y^k - gamma Δ̃^T Z^{k-1}), -lambda, lambda)
    F^k     = dropout(Y^k - gamma Δ̃^T Z^k)

and uses F^K (no layer mean). Loss and regulariser are LightGCN's: BPR on the propagated
embeddings + ``reg_weight`` x squared L2 of the batch's layer-0 embeddings / (2 x batch size).
Defaults follow the reference code (K = 3, lambda = 4, beta = 0.5, gamma = 1, propagation dropout
0.1) with d = 64 as the VA-GNN paper fixes for every model. D̃ counts interactions plus the self
loop, in the paper and in the reference code alike. Embeddings start from N(0, 0.1^2), the
reference code's initialiser (RecBole's LightGCN, which this class extends, uses xavier-uniform).
"""

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn as nn
import torch.nn.functional as F
from recbole.model.general_recommender import LightGCN

from recbole_vagnn.model.layers import SparseCopyMixin, to_torch_sparse


def normalised_incidence(interactions, n_users):
    """Δ̃ = Δ D̃^{-1/2}: one row per user-item edge, +1 at the user, -1 at the item (node ids: users,
    then items offset by ``n_users``), columns scaled by (degree + 1)^{-1/2}."""
    R = sp.coo_matrix(interactions)
    R.sum_duplicates()
    n_edges, n_nodes = R.nnz, n_users + R.shape[1]
    rows = np.concatenate([np.arange(n_edges), np.arange(n_edges)])
    cols = np.concatenate([R.row, R.col + n_users])
    signs = np.concatenate([np.ones(n_edges), -np.ones(n_edges)])
    degree = np.concatenate([np.asarray((R != 0).sum(axis=1)).ravel(), np.asarray((R != 0).sum(axis=0)).ravel()])
    values = signs * np.power(degree[cols] + 1.0, -0.5)
    return sp.csr_matrix((values, (rows, cols)), shape=(n_edges, n_nodes))


class GTN(SparseCopyMixin, LightGCN):
    r"""GTN: LightGCN's embeddings and loss with graph-trend-filtering propagation."""

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        for table in (self.user_embedding, self.item_embedding):
            nn.init.normal_(table.weight, std=0.1)
        self.trend_lambda = config["trend_lambda"]
        self.gtn_beta = config["gtn_beta"]
        self.gtn_gamma = config["gtn_gamma"]
        self.prop_dropout = config["prop_dropout"]
        incidence = normalised_incidence(dataset.inter_matrix(form="coo"), self.n_users)
        self.incidence = to_torch_sparse(incidence, self.device)
        self.incidence_t = to_torch_sparse(incidence.T, self.device)

    def forward(self):
        ego = self.get_ego_embeddings()
        x = ego
        z = torch.zeros(self.incidence.shape[0], ego.shape[1], device=ego.device)
        gamma, beta = self.gtn_gamma, self.gtn_beta
        for _ in range(self.n_layers):
            y = x - gamma * (x - ego)
            step = torch.sparse.mm(self.incidence, y - gamma * torch.sparse.mm(self.incidence_t, z))
            z = torch.clamp(z + beta / gamma * step, -self.trend_lambda, self.trend_lambda)
            x = F.dropout(y - gamma * torch.sparse.mm(self.incidence_t, z), p=self.prop_dropout, training=self.training)
        return torch.split(x, [self.n_users, self.n_items])
