"""Models of recbole-vagnn, looked up by name before RecBole's own."""

from recbole_vagnn.model.general_recommender import GTN, VAGNN, SimGCL

__all__ = ["GTN", "SimGCL", "VAGNN"]
