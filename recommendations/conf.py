"""The recommender's settings, read from ``settings.RECOMMENDER`` over these defaults.

Every key may be overridden in ``config/settings/*.py`` (``RECOMMENDER = {...}``
is merged over :data:`DEFAULTS`, key by key).

``MODEL`` / ``MODEL_PARAMS``
    The model trained by default (a name registered in ``recommendations.ml``)
    and its hyper-parameters.
``KIND_WEIGHTS``
    How much one interaction of each kind counts (a purchase more than a view).
``HALF_LIFE_DAYS``
    Time decay: an interaction counts half as much per half-life of age,
    measured back from the newest interaction of the snapshot (``None``: no decay).
``CELL_CAP``
    The largest value one (user, product) cell can reach, so a hundred views
    never outweigh a purchase.
``EVAL_K`` / ``TEST_FRACTION`` / ``SPLIT_SEED``
    The offline evaluation every candidate and the active model are measured on.
``PROMOTION_TOLERANCE``
    A candidate becomes active when its NDCG@K ≥ the active model's − this.
``ARTIFACT_ROOT``
    Where trained models are written, one directory per version.
``TOPM_SIZE``
    How many products are stored per user (serving asks for at most this many).
``TOPM_CHUNK_USERS``
    Users per top-m chunk; a refresh with more users than this runs as a Celery group.
``TOPM_STORE``
    ``auto`` (Redis when ``REDIS_URL`` is set, else the database), ``redis`` or ``database``.
``TOPM_REDIS_URL``
    The Redis holding the lists (default ``REDIS_URL``).
``TOPM_TTL_DAYS``
    Lists not refreshed for this long expire from Redis.
``STALE_RUN_MINUTES``
    A running training run whose heartbeat is older than this is marked failed.
``QUEUED_RUN_HOURS``
    A queued run no worker has taken for this long is marked failed.
``HEARTBEAT_SECONDS``
    How often a running training run stamps its heartbeat.
``ATTRIBUTION_DAYS``
    How long a click on a recommendation is remembered to attribute a purchase.
``TERRITORY``
    The territory whose rights decide what can be recommended (default ``STOREFRONT_TERRITORY``).
``MIN_USERS_FOR_MAIN_MODEL``
    The demo trains the main model only with at least this many users with interactions;
    with fewer it trains EASE (see ``recommendations/demo.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "MODEL": "tf_hybrid",
    "MODEL_PARAMS": {"epochs": 20, "dim": 128},
    "KIND_WEIGHTS": {
        "purchase": 5.0,
        "rating": 4.0,
        "lesson_completed": 3.0,
        "add_to_cart": 2.0,
        "preview": 1.5,
        "click": 1.0,
        "view": 0.5,
    },
    "HALF_LIFE_DAYS": 180.0,
    "CELL_CAP": 10.0,
    "EVAL_K": 10,
    "TEST_FRACTION": 0.2,
    "SPLIT_SEED": 42,
    "PROMOTION_TOLERANCE": 0.002,
    "ARTIFACT_ROOT": None,
    "TOPM_SIZE": 50,
    "TOPM_CHUNK_USERS": 5000,
    "TOPM_STORE": "auto",
    "TOPM_REDIS_URL": None,
    "TOPM_TTL_DAYS": 30,
    "STALE_RUN_MINUTES": 15,
    "QUEUED_RUN_HOURS": 6,
    "HEARTBEAT_SECONDS": 20,
    "ATTRIBUTION_DAYS": 7,
    "TERRITORY": None,
    "MIN_USERS_FOR_MAIN_MODEL": 200,
}


def recsys_setting(name: str) -> Any:
    """One setting: ``settings.RECOMMENDER[name]`` if given, else its default (some derived)."""
    if name not in DEFAULTS:
        raise KeyError(f"unknown recommender setting {name!r}")
    configured = getattr(settings, "RECOMMENDER", {}) or {}
    value = configured.get(name, DEFAULTS[name])
    if name == "ARTIFACT_ROOT" and not value:
        return Path(settings.MEDIA_ROOT) / "recsys"
    if name == "TOPM_REDIS_URL" and not value:
        return settings.REDIS_URL
    if name == "TERRITORY" and not value:
        return getattr(settings, "STOREFRONT_TERRITORY", "CN")
    return value
