from recbole_vagnn.model.general_recommender.simgcl import SimGCL
from recbole_vagnn.model.general_recommender.vagnn import VAGNN

__all__ = ["SimGCL", "VAGNN"]
