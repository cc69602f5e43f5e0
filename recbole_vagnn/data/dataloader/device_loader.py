"""Training batches and full-ranking evaluation kept on the model's device (``fast_loader: True``).

RecBole builds every training batch on the CPU (sampling negatives per row, building an
``Interaction``, copying it to the device) and every full-sort evaluation batch too (history and
positive indices per user): on a GPU that per-batch work is most of an epoch. These loaders hold
the training pairs, the training history and the evaluation users' history and positive items on
the device for the whole run, for every pairwise model (VAGNN, LightGCN, NGCF, SGL, SimGCL, GTN),
so that the comparison stays fair. They are on by default (``fast_loader: True``) where this
package's training defaults apply, tripartite data and this package's models
(``properties/training.yaml``); a RecBole model on other data keeps RecBole's loaders, and so
RecBole's random streams and results, unless the run sets ``fast_loader: True``.

- :class:`DeviceTrainLoader` yields batches of (user, positive item, negative item) in a new
  random order each epoch, ``train_batch_size`` rows each, the last one partial, as RecBole's
  ``TrainDataLoader``. Negatives follow RecBole's uniform sampler: uniform over the items (id 0,
  the padding, excluded) not in the user's training history, drawn by rejection on the device;
  under ``cold_items`` the held-out videos are rejected too, as RecBole's loader rejects them
  (:func:`recbole_vagnn.data.cold_items.keep_held_out_videos_from_negatives`).
  The order and the negatives come from one ``torch.Generator`` seeded with ``seed``, so a seeded
  run repeats; the random streams differ from RecBole's, so single runs differ, not their
  distribution.
- :class:`DeviceFullSortEval` holds, for a validation or test split, the users to rank with the
  items to exclude (exactly RecBole's: training items, and validation items for test) and their
  target items, taken from RecBole's own ``FullSortEvalDataLoader``. The trainer scores a batch of
  users with ``full_sort_predict``, masks, and hands the scores to RecBole's ``Collector`` and
  ``Evaluator`` (``torch.topk`` and RecBole's metric functions), so metrics equal RecBole's path.

:func:`device_loaders` swaps RecBole's loaders for these when the run allows it and says why not
otherwise (``fast_loader: False`` keeps RecBole's path).
"""

from logging import getLogger

import numpy as np
import torch
from recbole.data.dataloader import FullSortEvalDataLoader
from recbole.data.interaction import Interaction
from recbole.model.abstract_recommender import AbstractRecommender
from recbole.utils import EvaluatorType, InputType, ModelType


def _csr_on_device(rows, device):
    """A list of 1-D index tensors (None for empty) as (indptr, indices) on ``device``."""
    lengths = np.array([0 if row is None else len(row) for row in rows], dtype=np.int64)
    pieces = [row for row in rows if row is not None and len(row)]
    indices = torch.cat(pieces) if pieces else torch.zeros(0, dtype=torch.long)
    indptr = torch.from_numpy(np.concatenate(([0], np.cumsum(lengths))))
    return indptr.to(device), indices.to(device)


def _rows(indptr, indices, users):
    """(batch row, column) index pairs of ``users``' CSR rows, on the device."""
    starts, ends = indptr[users], indptr[users + 1]
    counts = ends - starts
    batch_rows = torch.repeat_interleave(torch.arange(len(users), device=users.device), counts)
    offsets = torch.arange(int(counts.sum()), device=users.device) - torch.repeat_interleave(
        torch.cumsum(counts, 0) - counts, counts
    )
    return batch_rows, indices[torch.repeat_interleave(starts, counts) + offsets]


class DeviceTrainLoader:
    """Pairwise training batches drawn on the device; see the module docstring."""

    def __init__(self, config, train_data):
        dataset = train_data._dataset
        self._dataset = dataset
        self.shuffle = True
        self.device = torch.device(config["device"])
        self.uid_field, self.iid_field = dataset.uid_field, dataset.iid_field
        self.neg_field = config["NEG_PREFIX"] + self.iid_field
        self.batch_size = config["train_batch_size"]
        self.n_items = dataset.item_num
        self.users = dataset.inter_feat[self.uid_field].to(self.device)
        self.items = dataset.inter_feat[self.iid_field].to(self.device)
        self.history_keys = torch.unique(self.users * self.n_items + self.items)  # sorted
        held_out = getattr(dataset, "held_out_items", None)  # cold_items: never a negative
        self.held_out = None if held_out is None else torch.as_tensor(held_out, device=self.device)
        self.generator = torch.Generator(device=self.device).manual_seed(int(config["seed"]))

    @property
    def dataset(self):
        return self._dataset

    def __len__(self):
        return -(-len(self.users) // self.batch_size)

    def sample_negatives(self, users):
        """One item per user, uniform over the items outside the user's training history (and, under
        ``cold_items``, outside the held-out videos)."""
        negatives = torch.randint(1, self.n_items, users.shape, device=self.device, generator=self.generator)
        for _ in range(1000):
            keys = users * self.n_items + negatives
            position = torch.searchsorted(self.history_keys, keys).clamp(max=len(self.history_keys) - 1)
            taken = self.history_keys[position] == keys
            if self.held_out is not None:
                taken |= self.held_out[negatives]
            if not taken.any():
                return negatives
            redraw = torch.randint(1, self.n_items, (int(taken.sum()),), device=self.device, generator=self.generator)
            negatives[taken] = redraw
        raise RuntimeError("could not draw negatives in 1000 rounds: a user has (almost) every item in its history")

    def __iter__(self):
        order = torch.randperm(len(self.users), device=self.device, generator=self.generator)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            users, items = self.users[rows], self.items[rows]
            yield Interaction(
                {self.uid_field: users, self.iid_field: items, self.neg_field: self.sample_negatives(users)}
            )


class DeviceFullSortEval:
    """A validation or test split's full-ranking inputs on the device; see the module docstring."""

    def __init__(self, config, eval_data):
        self._dataset = eval_data._dataset
        self.device = torch.device(config["device"])
        self.uid_field = self._dataset.uid_field
        self.batch_size = max(1, config["eval_batch_size"] // self._dataset.item_num)
        self.uid_list = eval_data.uid_list  # on the CPU, in the order the users are evaluated
        self.users = eval_data.uid_list.to(self.device)
        users = eval_data.uid_list.numpy()
        self.history = _csr_on_device(eval_data.uid2history_item[users], self.device)
        self.positives = _csr_on_device(eval_data.uid2positive_item[users], self.device)

    @property
    def dataset(self):
        return self._dataset

    def __len__(self):
        return -(-len(self.users) // self.batch_size)

    def __bool__(self):
        return len(self.users) > 0

    def __iter__(self):
        """Per batch: (interaction of user ids, (rows, items) to exclude, (rows, items) of the targets)."""
        for start in range(0, len(self.users), self.batch_size):
            rows = torch.arange(start, min(start + self.batch_size, len(self.users)), device=self.device)
            interaction = Interaction({self.uid_field: self.users[rows]})
            yield interaction, _rows(*self.history, rows), _rows(*self.positives, rows)


def fast_path_refusal(config, model_class):
    """Why this run cannot use the device loaders, or None if it can.

    The device path covers general pairwise models with one uniform negative per row, drawn once per batch, and full ranking
    scored by the model's own ``full_sort_predict``; every ranking metric works on it (RecBole's
    ``Collector`` gets the same masked score matrix). Its training batches come in a new random
    order every epoch, with negatives outside the user's training history. Anything else (dynamic
    negative sampling, several or popularity negatives, ``uni100``/``pop100``, value metrics, a
    model that scores only through ``predict``, ``shuffle: False``, ``repeatable: True``, whose
    negatives RecBole draws from every item but the positive) goes through RecBole's own loaders,
    and so does a distributed run (``single_spec`` False): RecBole's loaders shard every batch
    and evaluation over the ranks with their DistributedSampler; these loaders do not shard.
    """
    sampling = config["train_neg_sample_args"] or {}
    eval_mode = config["eval_args"]["mode"]
    modes = set(eval_mode.values()) if isinstance(eval_mode, dict) else {eval_mode}
    if model_class.type != ModelType.GENERAL:
        return f"{model_class.__name__} is a {model_class.type.name.lower()} model, not a general one"
    if getattr(model_class, "input_type", None) != InputType.PAIRWISE:
        return f"{model_class.__name__} is not a pairwise model"
    if sampling.get("distribution") != "uniform" or sampling.get("sample_num") != 1:
        return f"train_neg_sample_args {sampling} is not one uniform negative per row"
    if sampling.get("dynamic"):
        return "dynamic negative sampling (train_neg_sample_args: {dynamic: True}) asks the model for negatives"
    if config["shuffle"] is False:
        return "shuffle: False keeps the training order, and the device loader shuffles every epoch"
    if config["repeatable"]:
        return "repeatable: True draws negatives from the user's history too, and the device loader never does"
    if modes != {"full"}:
        return f"evaluation mode {eval_mode} is not full ranking"
    if config["eval_type"] != EvaluatorType.RANKING:
        return f"metrics {config['metrics']} are value metrics"
    if model_class.full_sort_predict is AbstractRecommender.full_sort_predict:
        return f"{model_class.__name__} has no full_sort_predict (RecBole scores every item with predict)"
    if not config["single_spec"]:
        return "distributed training"
    return None


def device_loaders(config, model_class, train_data, valid_data, test_data):
    """The three loaders for the run: the device ones if ``fast_loader`` is on and the run allows it."""
    if not config["fast_loader"]:
        return train_data, valid_data, test_data
    refusal = fast_path_refusal(config, model_class)
    if refusal or not all(isinstance(data, FullSortEvalDataLoader) for data in (valid_data, test_data)):
        getLogger().info(f"fast_loader: RecBole's loaders are used ({refusal or 'not full-sort evaluation'})")
        return train_data, valid_data, test_data
    return (
        DeviceTrainLoader(config, train_data),
        DeviceFullSortEval(config, valid_data),
        DeviceFullSortEval(config, test_data),
    )
