r"""
SimGCL
################################################

Reference:
    Junliang Yu, Hongzhi Yin, Xin Xia, Tong Chen, Lizhen Cui and Quoc Viet Hung Nguyen. "Are Graph
    Augmentations Necessary? Simple Graph Contrastive Learning for Recommendation." In SIGIR 2022.

Reference code:
    https://github.com/Coder-Yu/SELFRec (model SimGCL).

LightGCN's encoder with a contrastive task on two noisy views: after every propagation layer each
embedding gets uniform noise of length ``eps`` pointing into its own orthant,
e' = e + eps * normalize(U(0, 1)) * sign(e). The final embedding is the mean of layers 1..L (the
paper drops layer 0). The loss is BPR + ``cl_weight`` x (user InfoNCE + item InfoNCE) over the
batch's distinct users and positive items, with cosine similarity and temperature ``cl_temperature``,
+ ``reg_weight`` x (||U_b|| + ||I_b||) / B, the Frobenius norms of the batch's PROPAGATED user and
positive-item embeddings divided by the batch size, as the reference code's ``l2_reg_loss`` (it does
not regularise layer-0 embeddings or negatives). Prediction uses the noise-free embeddings.

Initialisation: xavier-uniform embeddings, as the reference code (inherited from RecBole's
LightGCN); the VA-GNN paper's "normal distribution" sentence is not applied to baselines whose own
code says otherwise. Defaults: eps = 0.1 and tau = 0.2 (paper and code), lambda = 0.5 (the
reference configuration; the paper tunes lambda per dataset), reg 1e-4 (the reference's reg.lambda).
"""

import torch
import torch.nn.functional as F
from recbole.model.general_recommender import LightGCN

from recbole_vagnn.model.loss import info_nce


class SimGCL(LightGCN):
    r"""SimGCL: LightGCN plus contrastive learning between two uniform-noise views of the embeddings."""

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.eps = config["eps"]
        self.cl_weight = config["cl_weight"]
        self.cl_temperature = config["cl_temperature"]
        self.loss_names = ["BPR", "L2", "CL"]  # the parts calculate_loss returns, for the training log

    def forward(self, perturbed=False):
        embeddings = self.get_ego_embeddings()
        layers = []
        for _ in range(self.n_layers):
            embeddings = torch.sparse.mm(self.norm_adj_matrix, embeddings)
            if perturbed:
                noise = F.normalize(torch.rand_like(embeddings), dim=-1)
                embeddings = embeddings + self.eps * noise * torch.sign(embeddings)
            layers.append(embeddings)
        final = torch.stack(layers, dim=0).mean(dim=0)
        return torch.split(final, [self.n_users, self.n_items])

    def contrastive_loss(self, user, item):
        """InfoNCE between the two noisy views, for the batch's distinct users and items."""
        first_users, first_items = self.forward(perturbed=True)
        second_users, second_items = self.forward(perturbed=True)
        loss = 0.0
        for ids, first, second in ((user, first_users, second_users), (item, first_items, second_items)):
            ids = torch.unique(ids)
            loss = loss + info_nce(
                first[ids], second[ids], torch.arange(len(ids), device=ids.device), self.cl_temperature
            )
        return loss

    def calculate_loss(self, interaction):
        self.restore_user_e = self.restore_item_e = None
        user, pos_item = interaction[self.USER_ID], interaction[self.ITEM_ID]
        users, items = self.forward()
        user_e, pos_e, neg_e = users[user], items[pos_item], items[interaction[self.NEG_ITEM_ID]]
        bpr = self.mf_loss((user_e * pos_e).sum(dim=-1), (user_e * neg_e).sum(dim=-1))
        reg = self.reg_weight * (user_e.norm() + pos_e.norm()) / len(user)
        return bpr, reg, self.cl_weight * self.contrastive_loss(user, pos_item)
