"""What every storefront page shares: the language of the URL, the shopper's territory, page meta."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from storefront.seo import LANG_PARAM, PageMeta
from storefront.territory import shopper_territory

View = TypeVar("View", bound=Callable[..., HttpResponse])


def language_from_url(view: View) -> View:
    """Serve the page in the language its URL names (``?lang=en``), so that each
    language version has its own address for search engines; without the
    parameter the shopper's own choice (cookie, browser) applies as usual."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        asked = request.GET.get(LANG_PARAM, "")
        if asked in dict(settings.LANGUAGES):
            translation.activate(asked)
            request.LANGUAGE_CODE = asked
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def path_without_language(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop(LANG_PARAM, None)
    query = params.urlencode()
    return f"{request.path}?{query}" if query else request.path


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, meta: PageMeta | None = None, status: int = 200
) -> HttpResponse:
    """Render a storefront page with its head (canonical, hreflang, share card, JSON-LD)."""
    full = {
        "territory": shopper_territory(request),
        "lang_switch_next": path_without_language(request),
        **context,
    }
    if meta is not None:
        full["meta"] = meta
        full["canonical_url"] = meta.canonical(request)
        full["alternate_urls"] = meta.alternates(request)
    return render(request, template, full, status=status)
