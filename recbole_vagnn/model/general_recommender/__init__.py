from recbole_vagnn.model.general_recommender.gtn import GTN
from recbole_vagnn.model.general_recommender.simgcl import SimGCL
from recbole_vagnn.model.general_recommender.vagnn import VAGNN

__all__ = ["GTN", "SimGCL", "VAGNN"]
