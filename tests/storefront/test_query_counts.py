"""Every storefront page runs the same number of SQL queries whatever the size of the
catalogue: a page that ran one query per product would pass on 5 products and crawl on 1,000."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import BundleItem, Product, Review
from storefront.cache import cache_state_reset
from tests.factories import UserFactory
from tests.factories.commerce import order_paid_for
from tests.factories.storefront import bulk_catalogue

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/courses/",
    "/books/",
    "/bundles/",
    "/search/?q=心理",
    "/search/?kind=book&sort=price_asc&price_max=500",
    "/topics/",
    "/topics/psychology/",
    "/products/positive-psychology-course/",
    "/products/happiness-book/",
    "/products/positive-psychology-bundle/",
    "/products/positive-psychology-course/lessons/1/",
    "/products/happiness-book/chapters/1/",
    "/cart/",
    "/checkout/",
    "/library/",
    "/orders/",
    "/products/happiness-book/review/",
    "/sitemap.xml",
    "/sitemap-products.xml",
    "/robots.txt",
]


def _counts(client) -> dict[str, int]:
    counts = {}
    for url in PAGES:
        # Each page from a cold cache: what it computes when nothing is cached is what must not grow
        # (the storefront caches what is sellable, rows, results and product pages; the sitemaps too).
        # The process also forgets the catalogue version it read: a version remembered from before the
        # clear would name the page's first entries, and one read again a second later (a slow page)
        # would name the rest, so the page would compute what is sellable twice.
        cache.clear()
        cache_state_reset()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[url] = len(queries)
    return counts


def test_no_storefront_page_runs_more_queries_on_a_catalogue_of_1000_products(client, world, user):
    order_paid_for(user, world.bundle)
    client.force_login(user)
    client.post("/cart/add/", {"variant": world.print_book.pk})
    # A few products the shopper does not own, so that every row has cards to show on the small
    # catalogue too (an empty list skips its prefetch queries, which would hide a growth).
    bulk_catalogue(count=6, partner=world.partner, prefix="few")
    small = _counts(client)
    bulk_catalogue(count=1000, partner=world.partner)
    # More of everything a product page lists: bundles that contain it, reviews, credits.
    bundles = Product.objects.filter(kind=Product.Kind.BUNDLE, slug__startswith="bulk-")[:20]
    BundleItem.objects.bulk_create([BundleItem(bundle=b, variant=world.course, position=9) for b in bundles])
    Review.objects.bulk_create(
        [Review(user=UserFactory(), product=world.ebook.product, rating=1 + i % 5) for i in range(15)]
    )
    large = _counts(client)
    grew = {url: (small[url], large[url]) for url in PAGES if large[url] != small[url]}
    assert not grew, f"query count changed with catalogue size (small, large): {grew}"


def test_anonymous_pages_seen_before_only_record_the_visit(client, world):
    """The second visitor of a page gets it from the cache: no catalogue query, only the behaviour
    event the page records (written after the response)."""
    bulk_catalogue(count=50, partner=world.partner)
    pages = {"/": 0, "/search/?q=心理": 1, "/books/": 0, "/products/happiness-book/": 1, "/products/bulk-3/": 1}
    for url in pages:
        client.get(url)
    for url, events in pages.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
        others = [q["sql"] for q in queries if not q["sql"].startswith(("INSERT", "SAVEPOINT", "RELEASE"))]
        assert (len(inserts), others) == (events, []), url
