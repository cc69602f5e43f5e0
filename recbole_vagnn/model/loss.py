"""Losses shared by the models of this package (RecBole's own are in ``recbole.model.loss``)."""

import torch.nn.functional as F


def info_nce(anchors, candidates, target, temperature):
    """Mean InfoNCE with cosine similarity: -log softmax(sim(a_i, c_j) / tau)_j at j = target_i.

    Written as a cross entropy over the similarity logits, i.e. with logsumexp, so it is stable
    for any temperature. The denominator runs over all ``candidates``, the positive included.
    """
    logits = F.normalize(anchors, dim=-1) @ F.normalize(candidates, dim=-1).T / temperature
    return F.cross_entropy(logits, target)
