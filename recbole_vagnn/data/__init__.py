"""Datasets and dataset creation for recbole-vagnn."""

from recbole_vagnn.data.dataset import TripartiteDataError, TripartiteDataset
from recbole_vagnn.data.utils import create_dataset

__all__ = ["TripartiteDataError", "TripartiteDataset", "create_dataset"]
