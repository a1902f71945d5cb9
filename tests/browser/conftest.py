"""Headless Chromium (the machine's own, from Debian) driven by Playwright, against
pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary blocking calls and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The storefront caches listings under the catalogue version; each test starts without them."""
    from django.core.cache import cache

    from storefront.cache import cache_state_reset

    cache_state_reset()
    cache.clear()
    yield
    cache.clear()
    cache_state_reset()


def new_page(chromium: object, live_server: object, *, language: str = "zh-hans", viewport: dict | None = None):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) speaking ``language``."""
    context = chromium.new_context(  # type: ignore[attr-defined]
        viewport=viewport or DESKTOP,
        locale="zh-CN" if language == "zh-hans" else "en-US",
        device_scale_factor=1,
        is_mobile=viewport == PHONE,
        has_touch=viewport == PHONE,
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    return context.new_page()
