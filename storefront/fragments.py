"""Rendered pieces of pages kept in the cache: the rows of product cards.

A row of cards is the same for every visitor of one territory in one language
until the catalogue changes, so it is rendered once and kept under a key made
of those and of the catalogue version (``storefront.cache``). Cards carry no
per-visitor data (no CSRF token, no "you own this"); what differs per visitor
(a signed-in shopper's recommendations) is rendered on every request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalog.models import Product
from storefront.cache import cached, catalogue_key
from storefront.forms import SearchForm
from storefront.recommended import RecommendedRow
from storefront.selectors import SellableIndex, home_rows, product_cards_in_order

ROW_TEMPLATE = "storefront/_row.html"


def row_render(
    *,
    shelf_id: str,
    heading: str,
    products: list[Product] | None = None,
    row: RecommendedRow | None = None,
    lead: str = "",
    more_url: str = "",
    slot: str = "",
) -> SafeString:
    """One row of cards (``products``, or a recommendation ``row`` with its reasons, model
    version and ``?rec=`` links, its cards marked for the impression beacon)."""
    context: dict[str, object] = {
        "shelf_id": shelf_id,
        "heading": heading,
        "lead": lead,
        "more_url": more_url,
        "slot": slot,
        "products": products or [],
    }
    if row is not None:
        context |= {
            "items": row.items,
            "slot": row.slot,
            "model": row.model_version,
            "rec": row.rec,
            "impression": True,
        }
    return mark_safe(render_to_string(ROW_TEMPLATE, context))  # noqa: S308 (rendered by the template engine)


@dataclass(frozen=True)
class HomeShelves:
    """The home page's catalogue rows, rendered, and what its structured data lists."""

    bundles: SafeString
    courses: SafeString
    books: SafeString
    featured: list[tuple[str, str]]  # (path, title) of the featured bundles
    is_empty: bool


def _home_shelves(territory: str) -> HomeShelves:
    rows = home_rows(territory=territory)
    return HomeShelves(
        bundles=row_render(
            shelf_id="bundles",
            heading=_("Featured bundles"),
            lead=_("A course and the books it cites, for less than apart."),
            more_url=reverse("storefront:bundles"),
            products=rows.featured_bundles,
            slot="home_bundles",
        ),
        courses=row_render(
            shelf_id="courses",
            heading=_("New courses"),
            more_url=reverse("storefront:courses"),
            products=rows.new_courses,
            slot="home_courses",
        ),
        books=row_render(
            shelf_id="books",
            heading=_("New books"),
            more_url=reverse("storefront:books"),
            products=rows.new_books,
            slot="home_books",
        ),
        featured=[(p.get_absolute_url(), p.title) for p in rows.featured_bundles],
        is_empty=not (rows.featured_bundles or rows.new_courses or rows.new_books),
    )


def home_shelves(*, territory: str) -> HomeShelves:
    """Featured bundles, new courses and new books, rendered (cached with the catalogue)."""
    return cached(catalogue_key("home-shelves", territory, get_language()), lambda: _home_shelves(territory))


@dataclass(frozen=True)
class ResultsGrid:
    """One page of a listing's cards, rendered, and the (path, title) of each for its ``ItemList``."""

    html: SafeString
    links: list[tuple[str, str]]


def results_grid(
    *, results_key: str, page_number: int, ids: list[int], territory: str, index: SellableIndex
) -> ResultsGrid:
    """The cards of ``ids`` (a page of the results cached as ``results_key``), rendered once per language."""

    def render() -> ResultsGrid:
        products = product_cards_in_order(ids=ids, territory=territory, index=index)
        html = render_to_string("storefront/_grid.html", {"products": products})
        return ResultsGrid(html=mark_safe(html), links=[(p.get_absolute_url(), p.title) for p in products])  # noqa: S308

    return cached(catalogue_key("grid", results_key, page_number, get_language()), render)


def filter_form_render(*, form: SearchForm, preset: dict[str, str], path: str, is_filtered: bool) -> SafeString:
    """The listing's filter form, rendered once per language, catalogue and set of values entered.

    Choosing the widgets' templates for every option of every select is much of a
    listing's rendering time, and the result depends only on what was entered."""
    data = form.data
    entered = sorted((key, tuple(data.getlist(key))) for key in data if key != "page")  # type: ignore[attr-defined]
    digest = hashlib.sha256(repr((entered, sorted(preset.items()), path, is_filtered)).encode()).hexdigest()[:32]
    context = {"form": form, "preset": preset, "path": path, "is_filtered": is_filtered}
    return cached(
        catalogue_key("filters", digest, get_language()),
        lambda: mark_safe(render_to_string("storefront/_filters.html", context)),  # noqa: S308
    )
