"""InfoNCE as a cross entropy over cosine similarities, with a backward that divides on the n x d side."""

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

EXP_RANGE = 80.0
"""exp(x) of float32 stays a normal number for x in [-80, 0]: a fixed shift is safe when logits span at most that."""


class _SoftmaxCrossEntropy(torch.autograd.Function):
    """Mean cross entropy of the logits ``anchors @ candidates.T`` at ``target``, in few passes.

    ``F.cross_entropy`` on materialised logits keeps the logits, their log-softmax and a gradient
    of the same n x m size and passes over them some eight times; on small data VA-GNN's in-batch
    InfoNCE (three such matrices per step) is half of a training step. Here the n x m buffer is
    written once by the product, exponentiated in place and summed by row, and the backward reads
    it in two products: with W = exp(logits - shift) and row sums s, d loss / d logits =
    (W / s - onehot(target)) / n, so d anchors = (W C / s - C[target]) / n and d candidates =
    (W^T (A / s) - scatter(A at target)) / n, all divisions on the n x d side.

    The shift keeps exp from overflowing: ``bound``, an upper bound of every logit, folded into the
    product as one more column (no pass), or the row maxima (one more pass) when ``bound`` is None.
    Same loss and gradients as the plain cross entropy, up to float rounding; backward runs once.
    """

    @staticmethod
    def forward(ctx, anchors, candidates, target, bound):
        if bound is None:
            weights = anchors @ candidates.T
            weights.sub_(weights.amax(dim=1, keepdim=True))
        else:
            shifted = torch.cat([anchors, anchors.new_full((len(anchors), 1), -bound)], 1)
            weights = shifted @ torch.cat([candidates, candidates.new_ones((len(candidates), 1))], 1).T
        shifted_positive = weights.gather(1, target[:, None]).squeeze(1)
        total = weights.exp_().sum(dim=1)
        ctx.save_for_backward(anchors, candidates, target, weights, total)
        return (total.log() - shifted_positive).mean()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        anchors, candidates, target, weights, total = ctx.saved_tensors
        scale = grad / len(target)
        d_anchors = (weights @ candidates) / total[:, None] - candidates[target]
        d_candidates = weights.T @ (anchors / total[:, None])
        d_candidates.index_add_(0, target, anchors, alpha=-1)
        return d_anchors * scale, d_candidates * scale, None, None


def info_nce(anchors, candidates, target, temperature):
    """Mean InfoNCE with cosine similarity: -log softmax(sim(a_i, c_j) / tau)_j at j = target_i.

    A cross entropy over the similarity logits, through logsumexp (stable for any temperature);
    the denominator runs over all ``candidates``, the positive included. 1/tau scales the n x d
    anchors rather than the n x m logits. Cosines lie in [-1, 1], so every logit is at most 1/tau
    and they span 2/tau: for tau >= 2/80 the fixed shift 1/tau is safe, below it the row maxima.
    """
    anchors = F.normalize(anchors, dim=-1) / temperature
    bound = 1.0 / temperature if 2.0 / temperature <= EXP_RANGE else None
    return _SoftmaxCrossEntropy.apply(anchors, F.normalize(candidates, dim=-1), target, bound)
