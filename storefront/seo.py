"""What search engines and share cards read: canonical and alternate-language
URLs, Open Graph, and schema.org JSON-LD."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.html import strip_tags
from django.utils.translation import get_language

from catalog.models import Product, ProductContributor, Variant
from storefront.templatetags.storefront import cover_image_url

# Each page has one URL per language: the default (zh-Hans) plain, English with ?lang=en.
LANG_PARAM = "lang"
HREFLANG = {"zh-hans": "zh-Hans", "en": "en"}
BOOK_FORMATS: dict[str, str] = {
    Variant.Format.EBOOK: "https://schema.org/EBook",
    Variant.Format.AUDIOBOOK: "https://schema.org/AudiobookFormat",
    Variant.Format.PRINT: "https://schema.org/Paperback",
}


def url_for_language(path: str, language: str) -> str:
    """``path`` as the page in ``language``."""
    if language == settings.LANGUAGE_CODE:
        return path
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}{LANG_PARAM}={language}"


@dataclass
class PageMeta:
    """What the page's <head> says about it."""

    title: str
    description: str = ""
    path: str = "/"
    og_type: str = "website"
    image: str = ""
    noindex: bool = False
    extra_og: list[tuple[str, str]] = field(default_factory=list)
    jsonld: list[dict[str, Any]] = field(default_factory=list)

    def canonical(self, request: HttpRequest) -> str:
        return request.build_absolute_uri(url_for_language(self.path, get_language() or settings.LANGUAGE_CODE))

    def alternates(self, request: HttpRequest) -> list[tuple[str, str]]:
        pairs = [
            (HREFLANG[code], request.build_absolute_uri(url_for_language(self.path, code)))
            for code, _ in settings.LANGUAGES
        ]
        pairs.append(("x-default", request.build_absolute_uri(self.path)))
        return pairs


def summary(html: str, limit: int = 160) -> str:
    text = " ".join(strip_tags(html or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _credits(product: Product, roles: Iterable[str]) -> list[ProductContributor]:
    wanted = set(roles)
    return [c for c in product.credits.all() if c.role in wanted]


def _person(credit: ProductContributor) -> dict[str, str]:
    return {"@type": "Person", "name": credit.contributor.name}


def _offer(variant: Variant, url: str, *, available: bool) -> dict[str, Any]:
    return {
        "@type": "Offer",
        "url": url,
        "sku": variant.sku,
        "price": f"{variant.price:.2f}",
        "priceCurrency": variant.currency,
        "availability": "https://schema.org/InStock" if available else "https://schema.org/Discontinued",
        "itemCondition": "https://schema.org/NewCondition",
    }


def product_jsonld(
    *, request: HttpRequest, product: Product, variants: Sequence[Variant], sellable_ids: set[int]
) -> dict[str, Any]:
    """Product + Offer(s) + AggregateRating; a Book with its editions (workExample, ISBN);
    a Course with its provider."""
    url = request.build_absolute_uri(product.get_absolute_url())
    sellable = [v for v in variants if v.pk in sellable_ids]
    types: list[str] = ["Product"]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@id": url,
        "url": url,
        "name": product.title,
        "description": summary(product.description, 500) or product.subtitle or product.title,
        "inLanguage": product.language,
        "brand": {"@type": "Brand", "name": product.publisher_name or product.owner.name},
        "sku": sellable[0].sku if sellable else (variants[0].sku if variants else product.slug),
    }
    image = cover_image_url(product)
    if image:
        data["image"] = request.build_absolute_uri(image)
    if sellable:
        offers = [_offer(v, url, available=True) for v in sellable]
        data["offers"] = (
            offers[0]
            if len(offers) == 1
            else {
                "@type": "AggregateOffer",
                "lowPrice": min(o["price"] for o in offers),
                "highPrice": max(o["price"] for o in offers),
                "priceCurrency": sellable[0].currency,
                "offerCount": len(offers),
                "offers": offers,
            }
        )
    if product.rating_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": f"{product.rating_average:.2f}",
            "ratingCount": product.rating_count,
            "bestRating": "5",
            "worstRating": "1",
        }
    if product.kind == Product.Kind.BOOK:
        types.insert(0, "Book")
        authors = _credits(product, ["author"])
        if authors:
            data["author"] = [_person(c) for c in authors]
        translators = _credits(product, ["translator"])
        if translators:
            data["translator"] = [_person(c) for c in translators]
        if product.publisher_name:
            data["publisher"] = {"@type": "Organization", "name": product.publisher_name}
        if product.published_on:
            data["datePublished"] = product.published_on.isoformat()
        editions = []
        for v in variants:
            edition: dict[str, Any] = {
                "@type": "Book",
                "bookFormat": BOOK_FORMATS.get(v.format, ""),
                "name": product.title,
            }
            if v.isbn13:
                edition["isbn"] = v.isbn13
            if v.format == Variant.Format.AUDIOBOOK:
                edition["@type"] = ["Book", "Audiobook"]
            if v.pk in sellable_ids:
                edition["offers"] = _offer(v, url, available=True)
            editions.append(edition)
        if editions:
            data["workExample"] = editions
        isbns = [v.isbn13 for v in variants if v.isbn13]
        if isbns:
            data["isbn"] = isbns[0]
    elif product.kind == Product.Kind.COURSE:
        types.insert(0, "Course")
        data["provider"] = {"@type": "Organization", "name": product.owner.name}
        instructors = _credits(product, ["instructor"])
        if instructors:
            data["instructor"] = [_person(c) for c in instructors]
        data["hasCourseInstance"] = {"@type": "CourseInstance", "courseMode": "online", "courseWorkload": "PT1H"}
    data["@type"] = types if len(types) > 1 else types[0]
    return data


def item_list_jsonld(
    *, request: HttpRequest, name: str, products: Sequence[Product], offset: int = 0
) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": name,
        "numberOfItems": len(products),
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": offset + i + 1,
                "url": request.build_absolute_uri(p.get_absolute_url()),
                "name": p.title,
            }
            for i, p in enumerate(products)
        ],
    }


def item_list_jsonld_for_links(
    *, request: HttpRequest, name: str, links: Sequence[tuple[str, str]], offset: int = 0
) -> dict[str, Any]:
    """An ``ItemList`` of (path, title) pairs: what a cached row remembers of its products."""
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": name,
        "numberOfItems": len(links),
        "itemListElement": [
            {"@type": "ListItem", "position": offset + i + 1, "url": request.build_absolute_uri(path), "name": title}
            for i, (path, title) in enumerate(links)
        ],
    }


def breadcrumb_jsonld(*, request: HttpRequest, trail: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i + 1, "name": name, "item": request.build_absolute_uri(path)}
            for i, (name, path) in enumerate(trail)
        ],
    }
