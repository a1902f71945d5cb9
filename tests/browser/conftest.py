"""Headless Chromium (the machine's own, from Debian) driven by Playwright, against
pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary blocking calls and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Where the screenshots go (`make screenshots` sets var/screenshots/).
OUT = Path(os.environ.get("SCREENSHOTS_DIR", settings.BASE_DIR / "var" / "screenshots"))
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


def login(page, live_server, email: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit].wide")
    page.wait_for_load_state()


def check_and_shoot(page, name: str, language: str, width_name: str, viewport: dict) -> None:
    """Fails on a page wider than the screen or not in ``language``; otherwise saves its screenshot."""
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.documentElement.scrollWidth") - viewport["width"]
    assert overflow <= 1, f"{name} ({language}, {width_name}) is {overflow}px wider than the screen"
    html_lang = page.get_attribute("html", "lang")
    assert html_lang == ("zh-Hans" if language == "zh-hans" else "en"), (name, html_lang)
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}-{language}-{width_name}.png"), full_page=True)
