"""Reactions to events of the layers below: an erased account keeps no recommendation list."""

from __future__ import annotations

import logging
from typing import Any

from recommendations.errors import TopMStoreUnavailable

logger = logging.getLogger("recommendations.store")


def on_account_erased(sender: Any, *, user_id: int, **kwargs: Any) -> None:
    """Drop the erased user's stored list (Redis or database); the next refresh skips inactive users."""
    from recommendations.store import topm_store

    try:
        topm_store().delete([int(user_id)])
    except TopMStoreUnavailable:
        # The list expires from Redis on its own (TOPM_TTL_DAYS); nothing personal is served meanwhile,
        # because an erased account cannot log in.
        logger.warning("could not drop the top-m list of erased user %s; it will expire", user_id)


def connect() -> None:
    from insights.user_rights import account_erased

    account_erased.connect(on_account_erased, dispatch_uid="recommendations.account_erased")
