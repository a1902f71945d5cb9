"""Payment providers by name, built from settings ``PAYMENT_PROVIDERS``."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from commerce.payments.base import PaymentProvider

DEFAULT_PROVIDERS: dict[str, dict[str, Any]] = {
    "sandbox": {"class": "commerce.payments.sandbox.SandboxProvider", "options": {}},
}


def _configured() -> dict[str, dict[str, Any]]:
    return getattr(settings, "PAYMENT_PROVIDERS", None) or DEFAULT_PROVIDERS


def provider_names() -> list[str]:
    return list(_configured())


def default_provider_name() -> str:
    return getattr(settings, "PAYMENT_DEFAULT_PROVIDER", None) or provider_names()[0]


@cache
def _build(name: str, dotted: str, options_repr: str) -> PaymentProvider:
    cls = import_string(dotted)
    if not (isinstance(cls, type) and issubclass(cls, PaymentProvider)):
        raise ImproperlyConfigured(f"PAYMENT_PROVIDERS[{name!r}] is not a PaymentProvider: {dotted}")
    return cls(**_configured()[name].get("options", {}))


def provider_get(name: str) -> PaymentProvider:
    """The provider registered as ``name``; ``KeyError`` if there is none."""
    entry = _configured().get(name)
    if entry is None:
        raise KeyError(name)
    # Keyed on the options too, so tests that override settings get a fresh instance.
    return _build(name, entry["class"], repr(sorted(entry.get("options", {}).items())))
