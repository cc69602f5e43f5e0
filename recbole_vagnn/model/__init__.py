"""Models of recbole-vagnn, looked up by name before RecBole's own."""

from recbole_vagnn.model.general_recommender import SimGCL, VAGNN

__all__ = ["SimGCL", "VAGNN"]
