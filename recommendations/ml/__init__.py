"""The recommender's machine-learning core: interactions, splits, metrics, models and top-k scoring.

Nothing here imports Django, so it can be tested and benchmarked alone and
run inside a Celery worker. Importing the package registers every model
(``popularity``, ``item_cosine``, ``ease``, ``tf_hybrid``); TensorFlow itself
is imported only when the TensorFlow model is fitted.
"""

from recommendations.ml import ease, item_cosine, popularity, tf_model
from recommendations.ml.base import ModelError, Recommender, model_class, model_names
from recommendations.ml.evaluation import MAIN_ALIAS, MAIN_MODEL

__all__ = [
    "MAIN_ALIAS",
    "MAIN_MODEL",
    "ModelError",
    "Recommender",
    "ease",
    "item_cosine",
    "model_class",
    "model_names",
    "popularity",
    "tf_model",
]
