"""What the storefront caches stops being shown the moment the catalogue changes, and a cache that
fails or is switched off only makes pages compute again: they never break or show wrong data."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import ImportJob, Rights
from storefront.cache import cache_enabled, catalogue_version
from storefront.selectors import sellable_index
from tests.factories.catalog import ReviewFactory, sellable_book

pytestmark = pytest.mark.django_db

UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},  # errors are raised, not ignored
    }
}


def _titles(html: str) -> list[str]:
    return re.findall(r'class="product-card-title"><a [^>]*>([^<]+)</a>', html)


def test_rights_withdrawn_in_a_territory_hide_the_product_at_once(client, world):
    assert "幸福的方法" in _titles(client.get("/").content.decode())
    assert "幸福的方法" in _titles(client.get("/search/?q=幸福").content.decode())
    rights = Rights.objects.get(product=world.ebook.product)
    rights.territories = "US"
    rights.save()
    assert "幸福的方法" not in _titles(client.get("/").content.decode())
    assert "幸福的方法" not in _titles(client.get("/search/?q=幸福").content.decode())
    page = client.get("/products/happiness-book/").content.decode()
    assert 'class="unavailable"' in page  # the buy box says it cannot be sold here


def test_a_renamed_product_shows_its_new_title_everywhere_at_once(client, world):
    client.get("/")
    client.get("/products/happiness-book/")
    product = world.ebook.product
    product.title = "幸福的方法（新版）"
    product.save()
    assert "幸福的方法（新版）" in _titles(client.get("/").content.decode())
    assert "<h1>幸福的方法（新版）</h1>" in client.get("/products/happiness-book/").content.decode()


def test_a_new_review_shows_on_the_product_page_at_once(client, world):
    client.get("/products/happiness-book/")
    ReviewFactory(product=world.ebook.product, rating=4, title="值得一读")
    assert "值得一读" in client.get("/products/happiness-book/").content.decode()


def test_a_finished_catalogue_import_retires_what_was_cached(world):
    before = catalogue_version()
    job = ImportJob.objects.create(
        partner=world.partner,
        format=ImportJob.Format.CSV,
        file="catalog-imports/x.csv",
        original_name="x.csv",
        size=10,
        checksum="0" * 64,
        source=ImportJob.Source.PORTAL,
    )
    assert catalogue_version() == before  # a queued import changes nothing yet
    job.status, job.started_at, job.finished_at = ImportJob.Status.SUCCEEDED, timezone.now(), timezone.now()
    job.save()
    assert catalogue_version() != before


def test_the_sellable_index_is_decided_once_per_territory(world):
    with CaptureQueriesContext(connection) as first:
        cn = sellable_index(territory="CN")
    with CaptureQueriesContext(connection) as again:
        assert sellable_index(territory="CN") == cn
    assert len(first) == 1 and len(again) == 0
    assert set(cn.product_ids) == {world.course.product_id, world.ebook.product_id, world.bundle.product_id}


def test_pages_work_and_are_right_when_the_cache_is_unreachable(client, world):
    with override_settings(CACHES=UNREACHABLE_CACHE):
        for _ in range(2):
            assert "幸福的方法" in _titles(client.get("/").content.decode())
            assert _titles(client.get("/search/?q=幸福的方法").content.decode()) == ["幸福的方法"]
            assert client.get("/products/positive-psychology-bundle/").status_code == 200
        hidden = sellable_book(title="只在美国出售", slug="us-only")
        Rights.objects.filter(product=hidden.product).update(territories="US")
        assert "只在美国出售" not in client.get("/books/").content.decode()
        # After the first failure pages stop asking the cache for a while instead of failing on every call.
        assert not cache_enabled()


@override_settings(STOREFRONT_CACHE_SECONDS=0)
def test_with_the_cache_switched_off_every_request_reads_the_catalogue(client, world):
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/").content.decode()
    assert len(queries) > 0 and "幸福的方法" in _titles(html)
