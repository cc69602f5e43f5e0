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
+ ``reg_weight`` x L2 of the batch's layer-0 embeddings (RecBole's ``EmbLoss``). Prediction uses
the noise-free embeddings. Defaults are the paper's: eps = 0.1, lambda = 0.2, tau = 0.2.
"""

import torch
import torch.nn.functional as F
from recbole.model.general_recommender import LightGCN

from recbole_vagnn.model.layers import info_nce


class SimGCL(LightGCN):
    r"""SimGCL: LightGCN plus contrastive learning between two uniform-noise views of the embeddings."""

    def __init__(self, config, dataset):
        super().__init__(config, dataset)
        self.eps = config["eps"]
        self.cl_weight = config["cl_weight"]
        self.cl_temperature = config["cl_temperature"]

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
            loss = loss + info_nce(first[ids], second[ids], torch.arange(len(ids), device=ids.device), self.cl_temperature)
        return loss

    def calculate_loss(self, interaction):
        bpr_and_reg = super().calculate_loss(interaction)  # LightGCN's, on the noise-free forward()
        cl_loss = self.contrastive_loss(interaction[self.USER_ID], interaction[self.ITEM_ID])
        return bpr_and_reg, self.cl_weight * cl_loss
