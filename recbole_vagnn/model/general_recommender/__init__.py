from recbole_vagnn.model.general_recommender.vagnn import VAGNN

__all__ = ["VAGNN"]
