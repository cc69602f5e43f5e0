"""Data loaders, as ``recbole.data.dataloader``: the fast loaders (``device_loader``) that sample
training triples and mask evaluation history as whole tensors, used where a run allows them and
RecBole's own loaders elsewhere."""
