"""Commerce's reactions to signals of the layers below it."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from commerce.services.cart import cart_merge_at_login
from users.models import User

logger = logging.getLogger(__name__)


@receiver(user_logged_in, dispatch_uid="commerce.cart_merge_at_login")
def merge_cart_at_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    try:
        cart_merge_at_login(session=session, user=user)
    except Exception:  # logging in must never fail because of the cart
        logger.exception("could not merge the anonymous cart of user %s", user.pk)
