"""The shopper's territory: what may be sold to them depends on where they are."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

SESSION_KEY = "storefront_territory"
# Offered in the region picker; rights rows may name any ISO 3166-1 code.
TERRITORY_CHOICES = ["CN", "HK", "MO", "TW", "SG", "US", "GB"]


def territory_default() -> str:
    return str(getattr(settings, "STOREFRONT_TERRITORY", "CN")).upper()


def territory_is_valid(code: str) -> bool:
    return len(code) == 2 and code.isascii() and code.isalpha()


def shopper_territory(request: HttpRequest) -> str:
    """The session's chosen territory, else the site's (``settings.STOREFRONT_TERRITORY``, default CN)."""
    chosen = str(request.session.get(SESSION_KEY, "")).upper() if hasattr(request, "session") else ""
    return chosen if territory_is_valid(chosen) else territory_default()
