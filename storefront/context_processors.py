"""What the site shell shows on every page: the number of items in the cart."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from commerce.models import CartLine
from commerce.services.cart import SESSION_CART_TOKEN


def _cart_count(request: HttpRequest) -> int:
    try:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            lines = CartLine.objects.filter(cart__user=user)
        else:
            session = getattr(request, "session", None)
            token = session.get(SESSION_CART_TOKEN) if session is not None else None
            if not token:
                return 0
            lines = CartLine.objects.filter(cart__token=str(token), cart__user__isnull=True)
        return sum(lines.values_list("quantity", flat=True))
    except (ValueError, ValidationError):  # a malformed token in an old session: no cart
        return 0


def storefront(request: HttpRequest) -> dict[str, Any]:
    """``cart_count``: evaluated only when a template shows it (one query)."""
    return {"cart_count": SimpleLazyObject(lambda: _cart_count(request))}
