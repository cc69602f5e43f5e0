"""Models of recbole-vagnn, looked up by name before RecBole's own."""

from recbole_vagnn.model.general_recommender import *  # noqa: F401,F403
from recbole_vagnn.model.general_recommender import __all__
