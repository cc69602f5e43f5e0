"""Models of recbole-vagnn, looked up by name before RecBole's own."""

from recbole_vagnn.model.general_recommender import GTN, SimGCL, VAGNN

__all__ = ["GTN", "SimGCL", "VAGNN"]
