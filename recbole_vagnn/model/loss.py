"""Losses shared by the models of this package (RecBole's own are in ``recbole.model.loss``)."""

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable


class _SoftmaxCrossEntropy(torch.autograd.Function):
    """Mean cross entropy of the logits ``anchors @ candidates.T`` at ``target``, in fewer passes.

    ``F.cross_entropy`` on materialised logits keeps the logits, their log-softmax and a gradient
    of the same n x m size and passes over them some eight times; on small data VA-GNN's in-batch
    InfoNCE (three such matrices per step) is most of a training step. Here the softmax is made in
    place in the logits' buffer and kept for the backward, which turns it into the gradient in
    place: d loss / d logits = (softmax - onehot(target)) / n. Same loss and gradients, up to float
    rounding; the backward runs once (no double backward).
    """

    @staticmethod
    def forward(ctx, anchors, candidates, target):
        logits = anchors @ candidates.T
        positive = logits.gather(1, target[:, None]).squeeze(1)
        top = logits.amax(dim=1, keepdim=True)
        probabilities = logits.sub_(top).exp_()
        total = probabilities.sum(dim=1, keepdim=True)
        probabilities.div_(total)
        ctx.save_for_backward(anchors, candidates, target, probabilities)
        return (top.squeeze(1) + total.squeeze(1).log() - positive).mean()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        anchors, candidates, target, gradient = ctx.saved_tensors
        gradient[torch.arange(len(target), device=target.device), target] -= 1
        scale = grad / len(target)
        return (gradient @ candidates) * scale, (gradient.T @ anchors) * scale, None


def info_nce(anchors, candidates, target, temperature):
    """Mean InfoNCE with cosine similarity: -log softmax(sim(a_i, c_j) / tau)_j at j = target_i.

    A cross entropy over the similarity logits, through logsumexp (stable for any temperature);
    the denominator runs over all ``candidates``, the positive included. 1/tau scales the n x d
    anchors rather than the n x m logits.
    """
    anchors = F.normalize(anchors, dim=-1) / temperature
    return _SoftmaxCrossEntropy.apply(anchors, F.normalize(candidates, dim=-1), target)
