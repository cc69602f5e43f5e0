"""Sparse graph operators: torch CSR from scipy, normalised adjacency, mean pooling, propagation, sparse products."""

import copy
import warnings

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F


def to_torch_sparse(matrix, device=None):
    """scipy sparse matrix -> torch sparse CSR float32 tensor.

    CSR rather than COO: on CPU, ``torch.sparse.mm`` forward and backward run about 1.7x faster
    with it (measured on the workload of recbole-vagnn's speed command), and CUDA supports it too.
    """
    csr = sp.csr_matrix(matrix)
    csr.sum_duplicates()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")
        return torch.sparse_csr_tensor(
            torch.from_numpy(csr.indptr.astype(np.int64)),
            torch.from_numpy(csr.indices.astype(np.int64)),
            torch.from_numpy(csr.data.astype(np.float32)),
            csr.shape,
            device=device,
            check_invariants=False,
        )


def _inverse_sqrt(degree):
    with np.errstate(divide="ignore"):
        scale = np.power(degree, -0.5)
    scale[~np.isfinite(scale)] = 0.0
    return scale


def bipartite_norm_adj(matrix, device=None):
    """Symmetrically normalised adjacency of a bipartite graph, D^-1/2 A D^-1/2, no self loops.

    ``matrix`` is the (rows x cols) biadjacency R, possibly weighted; A = [[0, R], [R^T, 0]] over
    rows first, then columns. Degrees are the (weighted) row / column sums; isolated nodes get 0.
    For a binary R the entry for (u, v) is 1 / sqrt(|N_u| |N_v|), LightGCN's (and VA-GNN's Eq. 1-2).
    """
    R = sp.coo_matrix(matrix, dtype=np.float64)
    n_rows, n_cols = R.shape
    row_scale = _inverse_sqrt(np.asarray(R.sum(axis=1)).ravel())
    col_scale = _inverse_sqrt(np.asarray(R.sum(axis=0)).ravel())
    values = R.data * row_scale[R.row] * col_scale[R.col]
    rows = np.concatenate([R.row, R.col + n_rows])
    cols = np.concatenate([R.col + n_rows, R.row])
    size = n_rows + n_cols
    adjacency = sp.csr_matrix((np.concatenate([values, values]), (rows, cols)), shape=(size, size))
    return to_torch_sparse(adjacency, device)


def row_mean_matrix(matrix, device=None):
    """Sparse operator averaging, for every row, the columns it links to (empty rows give zeros)."""
    R = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    R.data[:] = 1.0
    count = np.asarray(R.sum(axis=1)).ravel()
    scale = np.divide(1.0, count, out=np.zeros_like(count), where=count > 0)
    return to_torch_sparse(sp.diags(scale) @ R, device)


class _SparseMM(torch.autograd.Function):
    """``matrix @ dense`` with a backward by a given transpose (see :func:`sparse_mm`)."""

    @staticmethod
    def forward(ctx, matrix, transpose, dense):
        ctx.transpose = transpose
        return torch.sparse.mm(matrix, dense)

    @staticmethod
    def backward(ctx, grad):
        return None, None, torch.sparse.mm(ctx.transpose, grad)


def sparse_mm(matrix, dense, transpose=None):
    """``matrix @ dense`` for a constant sparse ``matrix``, differentiable in ``dense``.

    The backward multiplies the gradient by ``transpose``, built once by the caller, or by
    ``matrix`` itself when it is omitted, which is right for a symmetric matrix such as D^-1/2 A D^-1/2.
    ``torch.sparse.mm`` builds the transpose of a CSR matrix anew in every backward pass instead
    (36% of a VA-GNN step at WeChat size, measured with torch.profiler). The product is the same; only
    the summation order of the gradient may differ, by float rounding.

    Reproducibility: on CPU the CSR product (forward, and this backward by the transpose) gave the
    same bits on repeated calls with 2 threads and at 1 and 2 threads (torch 2.13, the demo's
    graph): each output row is one row's sum, whichever thread computes it. Seeded runs rely on
    this. On CUDA the product is cuSPARSE's, with the algorithm torch picks; not checked here.
    """
    return _SparseMM.apply(matrix, matrix if transpose is None else transpose, dense)


def transpose_csr(matrix):
    """The transpose of a torch sparse CSR matrix, as CSR (built once, for :func:`sparse_mm`)."""
    return matrix.to_sparse_coo().t().coalesce().to_sparse_csr()


def gather_rows(table, ids):
    """``table[ids]``: the rows of a 2-D ``table`` at ``ids`` (repeats allowed), with a reproducible backward.

    Every differentiable gather of VA-GNN goes through here. A seeded run repeats bit for bit only
    if every gradient is summed in the same order each time. The backward of advanced indexing
    (``table[ids]``) is ``index_put_(accumulate=True)``, which on CPU, once the gather has 32,768
    elements or more (VA-GNN's 512 x 64 user and video gathers at the default batch of 256) and
    torch has more than one thread, adds the rows of repeated ids with atomic float adds from
    all threads, in whatever order they run. That was the run-to-run variation with 2 threads:
    weights differed after the first steps, and two 150-epoch runs of the demo ended at test
    NDCG@10 0.1632 and 0.1606. (``torch.use_deterministic_algorithms(True)`` serialises that add,
    but for the whole process; RecBole's ``reproducibility`` does not set it. RecBole's LightGCN
    gathers 256 x 64 at a time, below the threshold.)

    The gather here is ``F.embedding``, the op behind ``nn.Embedding``: the same forward, and a
    backward (``embedding_dense_backward``) that hands each thread its own range of table rows and
    sums each row's gradients in the order of ``ids``. On CPU its result is the same bit for bit on
    every run and at any thread count (checked at 1 and 2 threads), and a training step is no
    slower (see the commit message).
    On CUDA the same op sorts the ids and sums each row's segment, and torch does not list it
    among its nondeterministic ops, so the same code serves both; this was not checked bitwise on
    a GPU, and a GPU run as a whole repeats only as far as its other kernels do (cuSPARSE's
    products, ``index_add_``; torch's deterministic mode covers some of them).
    """
    return F.embedding(ids, table)


def propagate(norm_adj, embeddings, n_layers):
    """LightGCN propagation: mean of the layer-0..L embeddings, E^(l) = A E^(l-1).

    ``norm_adj`` must be symmetric (as :func:`bipartite_norm_adj` makes it): the backward pass
    multiplies by it instead of its transpose (:func:`sparse_mm`). The paper's Eqs. 5 and 10 write
    ``1/L sum_{l=0..L}``; averaging L+1 terms by L is a typo, and we take the mean over the L+1
    layers as LightGCN does.
    """
    layers = [embeddings]
    for _ in range(n_layers):
        layers.append(sparse_mm(norm_adj, layers[-1]))
    return torch.stack(layers, dim=0).mean(dim=0)


class SparseCopyMixin:
    """``copy.deepcopy`` for a module holding sparse CSR tensors, which torch cannot deep-copy.

    RecBole's ``run_recbole`` deep-copies every model to count its FLOPs; the CSR graphs are
    cloned, everything else is deep-copied as usual.
    """

    def __deepcopy__(self, memo):
        clone = self.__class__.__new__(self.__class__)
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            sparse_csr = isinstance(value, torch.Tensor) and value.layout == torch.sparse_csr
            clone.__dict__[key] = value.clone() if sparse_csr else copy.deepcopy(value, memo)
        return clone
