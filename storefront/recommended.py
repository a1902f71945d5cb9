"""The recommendation rows of the storefront: home, product page and cart.

The lists come from ``recommendations.selectors`` (a user's stored top-m list,
similar products, "complete it with" companions). Every row carries its model
version and slot: the cards are marked for the impression beacon with them, and
every link ends in ``?rec=<version>:<slot>`` so that a purchase made after the
click is attributed to the list (``recommendations.attribution``).

A row never breaks a page: when the recommender fails, the row is the
storefront's own popular products (``model_version == "popularity"``), and when
that fails too, the row is empty.

Anonymous visitors all see the same lists for a territory and language, so their
lists are cached with the catalogue (``storefront.cache``); a signed-in
shopper's lists leave out what they own and are read on every request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils.translation import get_language

from catalog.models import Product
from recommendations.attribution import rec_param_format
from recommendations.selectors import (
    FALLBACK_VERSION,
    RecommendationList,
    companions_for_product,
    recommendations_for_user,
    similar_products,
)
from storefront.cache import cached, catalogue_key
from storefront.selectors import SellableIndex, product_cards, product_list_popular
from storefront.sql import id_in
from users.models import User

logger = logging.getLogger("storefront.recommended")

HOME_SLOT = "home_recommended"
SIMILAR_SLOT = "product_similar"
COMPLETE_SLOT = "product_complete"
CART_SLOT = "cart"
HOME_SIZE = 8
SIMILAR_SIZE = 4
COMPLETE_SIZE = 3
CART_SIZE = 4


@dataclass(frozen=True)
class RowItem:
    product: Product
    reason: str = ""
    # "Complete it with": a sellable bundle that holds both products, when there is one.
    bundle: Product | None = None


@dataclass(frozen=True)
class RecommendedRow:
    slot: str
    model_version: str
    items: list[RowItem] = field(default_factory=list)
    # "model" when the recommender chose the products, "fallback" for popularity.
    source: str = "fallback"

    @property
    def rec(self) -> str:
        """The ``rec`` query parameter of the row's links."""
        return rec_param_format(model_version=self.model_version, slot=self.slot)

    @property
    def products(self) -> list[Product]:
        return [item.product for item in self.items]

    @property
    def is_personal(self) -> bool:
        return self.source == "model"

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass(frozen=True)
class _Served:
    """A served list as the cache keeps it: ids, not products (cards are loaded fresh)."""

    slot: str
    model_version: str
    source: str
    items: list[tuple[int, str, int | None]]  # product id, reason, bundle id


def _shopper(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    return user if isinstance(user, User) and user.is_authenticated else None


def _from_list(served: RecommendationList) -> _Served:
    return _Served(
        slot=served.slot,
        model_version=served.model_version,
        source=served.source,
        # "Popular on Zhiqiao" under every card says nothing the row's heading does not.
        items=[(item.product.pk, "" if item.reason_code == "popular" else item.reason, None) for item in served.items],
    )


def _popular(*, slot: str, territory: str, m: int, exclude: Collection[int], index: SellableIndex | None) -> _Served:
    products = list(product_list_popular(territory=territory, index=index).exclude(pk__in=list(exclude))[:m])
    return _Served(
        slot=slot, model_version=FALLBACK_VERSION, source="fallback", items=[(p.pk, "", None) for p in products]
    )


def _serve(
    fetch: Callable[[], _Served],
    *,
    slot: str,
    territory: str,
    m: int,
    exclude: Collection[int],
    index: SellableIndex | None,
) -> _Served:
    try:
        return fetch()
    except Exception:  # the recommender failing must not take the page with it
        logger.exception("recommendations for %s failed; serving popular products", slot)
    try:
        return _popular(slot=slot, territory=territory, m=m, exclude=exclude, index=index)
    except Exception:
        logger.exception("popular products for %s failed; the row is left out", slot)
        return _Served(slot=slot, model_version=FALLBACK_VERSION, source="fallback", items=[])


def _cards(
    served: _Served,
    *,
    territory: str,
    m: int,
    exclude: Collection[int],
    index: SellableIndex | None,
    products: dict[int, Product] | None = None,
) -> RecommendedRow:
    """The row's products ready for cards, in the served order (four queries, none when given)."""
    wanted = [(pk, reason, bundle) for pk, reason, bundle in served.items if pk not in exclude][:m]
    if products is None:
        ids = {pk for pk, _r, _b in wanted} | {b for _p, _r, b in wanted if b}
        try:
            products = {p.pk: p for p in product_cards(territory=territory, index=index).filter(id_in("pk", ids))}
        except Exception:
            logger.exception("cards of %s could not be loaded; the row is left out", served.slot)
            products = {}
    items = [
        RowItem(product=products[pk], reason=reason, bundle=products.get(bundle) if bundle else None)
        for pk, reason, bundle in wanted
        if pk in products
    ]
    return RecommendedRow(slot=served.slot, model_version=served.model_version, items=items, source=served.source)


def recommended_for(
    request: HttpRequest,
    *,
    territory: str,
    slot: str = HOME_SLOT,
    m: int = HOME_SIZE,
    exclude: Collection[int] = (),
    index: SellableIndex | None = None,
) -> RecommendedRow:
    """The "recommended for you" row: the shopper's own list from the recommender (popular
    products within their interests until it has one), without the products in ``exclude``."""
    user = _shopper(request)
    exclude = set(exclude)

    def fetch() -> _Served:
        # Ask for more than shown so that leaving out ``exclude`` still fills the row.
        return _from_list(recommendations_for_user(user=user, m=m + len(exclude), slot=slot, territory=territory))

    def serve() -> _Served:
        return _serve(fetch, slot=slot, territory=territory, m=m + len(exclude), exclude=(), index=index)

    if user is None:
        served = cached(catalogue_key("recommended", slot, territory, get_language(), m + len(exclude)), serve)
    else:
        served = serve()
    return _cards(served, territory=territory, m=m, exclude=exclude, index=index)


def _similar_served(*, product: Product, user: User | None, territory: str, index: SellableIndex | None) -> _Served:
    def fetch() -> _Served:
        served = similar_products(product=product, m=SIMILAR_SIZE, slot=SIMILAR_SLOT, territory=territory, user=user)
        return _from_list(served)

    return _serve(fetch, slot=SIMILAR_SLOT, territory=territory, m=SIMILAR_SIZE, exclude={product.pk}, index=index)


def _complete_served(*, product: Product, user: User | None, territory: str) -> _Served:
    empty = _Served(slot=COMPLETE_SLOT, model_version=FALLBACK_VERSION, source="fallback", items=[])
    if product.kind == Product.Kind.BUNDLE:  # a bundle is complete already
        return empty
    try:
        served = companions_for_product(
            product=product, m=COMPLETE_SIZE, slot=COMPLETE_SLOT, territory=territory, user=user
        )
    except Exception:  # no popular fallback: "complete it with" is about this product or nothing
        logger.exception("companions of product %s failed; the row is left out", product.pk)
        return empty
    return _Served(
        slot=served.slot,
        model_version=served.model_version,
        source="fallback" if served.model_version == FALLBACK_VERSION else "model",
        items=[(c.product.pk, c.reason, c.bundle.pk if c.bundle else None) for c in served.items],
    )


@dataclass(frozen=True)
class ProductRows:
    similar: RecommendedRow
    complete: RecommendedRow


def product_rows(
    request: HttpRequest, *, product: Product, territory: str, index: SellableIndex | None = None
) -> ProductRows:
    """The product page's rows: "complete it with" (a course's best books, a book's best
    courses, each with a bundle holding both when there is one) and similar products
    (the active model's item similarity, then shared topics; popular ones if that fails).
    The cards of both rows are loaded together."""
    user = _shopper(request)
    similar = _similar_served(product=product, user=user, territory=territory, index=index)
    complete = _complete_served(product=product, user=user, territory=territory)
    # A product offered to complete this one is not shown again as a similar one.
    companions = {pk for pk, _r, _b in complete.items[:COMPLETE_SIZE]}
    similar_items = [row for row in similar.items if row[0] not in companions]
    ids = {pk for pk, _r, _b in [*similar_items, *complete.items]} | {b for _p, _r, b in complete.items if b}
    try:
        products = {p.pk: p for p in product_cards(territory=territory, index=index).filter(id_in("pk", ids))}
    except Exception:
        logger.exception("cards of the rows of product %s could not be loaded; the rows are left out", product.pk)
        products = {}
    similar = _Served(similar.slot, similar.model_version, similar.source, similar_items)
    return ProductRows(
        similar=_cards(
            similar, territory=territory, m=SIMILAR_SIZE, exclude={product.pk}, index=index, products=products
        ),
        complete=_cards(
            complete, territory=territory, m=COMPLETE_SIZE, exclude={product.pk}, index=index, products=products
        ),
    )
