"""Datasets, as ``recbole.data.dataset``: :class:`TripartiteDataset` (users, videos, vloggers;
``tripartite_dataset``) loads RecBole's atomic files plus the vlogger of each video and the
explicit user-vlogger events, and builds the graphs VA-GNN propagates over."""

from recbole_vagnn.data.dataset.tripartite_dataset import TripartiteDataError, TripartiteDataset

__all__ = ["TripartiteDataError", "TripartiteDataset"]
