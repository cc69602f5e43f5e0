"""``create_dataset`` that picks the tripartite dataset class when the data is tripartite."""

from logging import getLogger

from recbole.data import create_dataset as recbole_create_dataset

from recbole_vagnn.data.dataset.tripartite_dataset import TripartiteDataset


def create_dataset(config):
    """Build the dataset for ``config``.

    Tripartite datasets (``tripartite: True``, set automatically for folders with ``NAME.uvl``)
    load as :class:`TripartiteDataset` for every model, so that baselines and VA-GNN see the very
    same users, videos and split. Anything else goes through RecBole's ``create_dataset``.
    """
    if config["tripartite"]:
        if config["save_dataset"] or config["dataset_save_path"]:
            getLogger().warning(
                "save_dataset / dataset_save_path are not supported for tripartite datasets yet: "
                "the dataset is built from its atomic files on every run"
            )
        return TripartiteDataset(config)
    return recbole_create_dataset(config)
