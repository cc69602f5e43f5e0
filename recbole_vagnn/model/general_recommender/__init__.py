from recbole_vagnn.model.general_recommender.creator_affinity import CreatorAffinity
from recbole_vagnn.model.general_recommender.creator_pop import CreatorPop
from recbole_vagnn.model.general_recommender.gtn import GTN
from recbole_vagnn.model.general_recommender.simgcl import SimGCL
from recbole_vagnn.model.general_recommender.vagnn import VAGNN

__all__ = ["CreatorAffinity", "CreatorPop", "GTN", "SimGCL", "VAGNN"]
