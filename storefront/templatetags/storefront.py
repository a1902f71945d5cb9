"""Template helpers of the storefront: money, covers, stars, structured data, media."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import nh3
from django import template
from django.conf import settings
from django.http import QueryDict
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from catalog.models import Product
from core.money import money_quantize

register = template.Library()

CURRENCY_SIGNS = {"CNY": "¥", "USD": "US$", "EUR": "€", "HKD": "HK$"}
AUDIO_EXTENSIONS = (".mp3", ".m4a", ".aac", ".ogg", ".oga", ".wav", ".flac", ".opus")
# Tags a publisher's description may keep; everything else is stripped at display time too.
DESCRIPTION_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "h3", "h4", "blockquote", "a"}


@register.filter
def money(amount: Decimal | int | str | None, currency: str = "CNY") -> str:
    """``¥49.00``; empty for no amount."""
    if amount is None or amount == "":
        return ""
    value = money_quantize(amount)
    sign = CURRENCY_SIGNS.get(currency or "CNY", f"{currency} ")
    return f"{sign}{value:,.2f}"


def cover_hue(seed: str) -> int:
    """A stable hue for a product without a cover image."""
    return int(hashlib.sha256(seed.encode("utf-8")).hexdigest()[:6], 16) % 360


def cover_image_url(product: Product) -> str:
    if product.cover_image:
        return product.cover_image.url
    return product.cover_url or ""


@register.simple_tag
def product_cover(product: Product, size: str = "card") -> SafeString:
    """The product's cover image, or a generated one: its title on a colour drawn from its slug."""
    url = cover_image_url(product)
    if url:
        return format_html(
            '<img class="cover cover-{}" src="{}" alt="{}" loading="lazy" width="300" height="400">',
            size,
            url,
            _("Cover of %(title)s") % {"title": product.title},
        )
    kind_label = {
        Product.Kind.COURSE: _("Course"),
        Product.Kind.BOOK: _("Book"),
        Product.Kind.BUNDLE: _("Bundle"),
    }.get(product.kind, "")  # type: ignore[call-overload]
    return format_html(
        '<div class="cover cover-{} cover-generated cover-{}" style="--cover-hue: {}" role="img" aria-label="{}">'
        '<span class="cover-kind">{}</span><span class="cover-title">{}</span>'
        '<span class="cover-mark" aria-hidden="true">桥</span></div>',
        size,
        product.kind,
        cover_hue(product.slug),
        _("Cover of %(title)s") % {"title": product.title},
        kind_label,
        product.title,
    )


@register.simple_tag
def stars(rating: Decimal | float | int | None, count: int | None = None) -> SafeString:
    """Five stars filled to ``rating``, readable by screen readers."""
    value = Decimal(str(rating or 0))
    percent = int(value / 5 * 100)
    label = _("Rated %(rating)s out of 5") % {"rating": f"{value:.1f}"}
    suffix = format_html(' <span class="muted">({})</span>', count) if count else ""
    return format_html(
        '<span class="stars" role="img" aria-label="{}"><span class="stars-fill" style="width: {}%"></span></span>{}',
        label,
        percent,
        suffix,
    )


@register.filter
def clean_html(html: str | None) -> SafeString:
    """A publisher's description, sanitised: only simple formatting tags survive."""
    return mark_safe(nh3.clean(html or "", tags=DESCRIPTION_TAGS, link_rel="nofollow noopener"))  # noqa: S308


@register.filter
def paragraphs(text: str | None) -> SafeString:
    """Plain text (a chapter, lesson notes) as paragraphs, escaped."""
    parts = [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n\n") if p.strip()]
    return mark_safe("".join(format_html("<p>{}</p>", p).replace("\n", "<br>") for p in parts))  # noqa: S308


@register.filter
def duration(seconds: int | None) -> str:
    """``12:05`` or ``1:02:03``."""
    total = int(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def media_url(ref: str | None) -> str:
    """A lesson's media reference as a URL: absolute URLs and paths as they are, else under MEDIA_URL."""
    ref = (ref or "").strip()
    if not ref or ref.startswith(("http://", "https://", "/")):
        return ref
    return f"{settings.MEDIA_URL}{ref}"


@register.filter
def is_audio(ref: str | None) -> bool:
    return (ref or "").lower().split("?")[0].endswith(AUDIO_EXTENSIONS)


@register.simple_tag
def jsonld(data: Any) -> SafeString:
    """A ``<script type="application/ld+json">`` block, safely escaped."""
    script = json_script(json.loads(json.dumps(data, default=str, ensure_ascii=False)))
    return mark_safe(script.replace('<script type="application/json">', '<script type="application/ld+json">', 1))  # noqa: S308


@register.simple_tag
def track_context(slot: str = "", position: int | None = None, model: str = "", **extra: Any) -> str:
    """JSON for a ``data-track-context`` attribute (the template escapes it)."""
    data: dict[str, Any] = {key: value for key, value in extra.items() if value not in (None, "")}
    if slot:
        data["slot"] = slot
    if position is not None:
        data["position"] = position
    if model:
        data["model_version"] = model
    return json.dumps(data, ensure_ascii=False)


@register.simple_tag
def with_rec(url: str, rec: str | None = None) -> str:
    """``url`` with ``?rec=<model version>:<slot>`` when the link belongs to a recommendation row
    (``{% with_rec url rec as href %}``; an absent ``rec`` leaves the URL as it is)."""
    if not rec:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'rec': rec}, safe=':')}"


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with ``changes`` applied (``None`` or "" removes a key); page resets."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    params.pop("page", None) if "page" not in changes else None
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode() if params else urlencode({})
    return f"?{encoded}" if encoded else "?"
