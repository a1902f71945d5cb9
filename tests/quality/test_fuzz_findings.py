"""What the API fuzzing found, each kept as a deterministic regression test.

A finding in a part still being finished is kept as a strict expected failure until its fix
lands (the strict mark then fails the run, and is removed).
"""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.models import Product
from tests.quality.conftest import World
from tests.quality.fuzzing import openapi_document

pytestmark = pytest.mark.django_db


def _schema_property(component: str, name: str) -> dict:
    return openapi_document()["components"]["schemas"][component]["properties"][name]


def test_an_api_address_with_no_operation_answers_with_the_json_error_body() -> None:
    # Found as: POST /api/v1/partners/storefront:books/catalog/products/ answered Django's HTML 404 page.
    response = Client().post("/api/v1/partners/storefront:books/catalog/products/", {}, content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_pages_outside_the_api_keep_the_html_not_found_page() -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_draft_products_storefront_link_is_null_and_documented_as_nullable(world: World) -> None:
    # Found as: POST /api/v1/partners/{slug}/catalog/products/ answered 201 with "url": null, documented as a string.
    assert _schema_property("PartnerProduct", "url").get("nullable") is True
    response = Client().post(
        f"/api/v1/partners/{world.a.partner.slug}/catalog/products/",
        {"kind": "course", "title": "Draft course"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {world.a.raw_key}",
    )
    assert response.status_code == 201
    assert response.json()["status"] == Product.Status.DRAFT
    assert response.json()["url"] is None


def test_pricing_a_cart_with_an_impossible_variant_id_is_a_clear_400(world: World) -> None:
    # Found as: POST /api/v1/coupons/validate/ with variant_id 306500024126958492780303745024 answered 500.
    client = Client()
    client.force_login(world.shopper)
    response = client.post(
        "/api/v1/coupons/validate/",
        {"items": [{"variant_id": 306500024126958492780303745024, "quantity": 1}], "codes": []},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "items" in response.json()["error"]["fields"]


def test_an_import_jobs_missing_error_report_is_documented_as_nullable() -> None:
    # Found as: POST /api/v1/partner/catalog/imports/ answered 202 with "error_report_url": null.
    assert _schema_property("ImportJob", "error_report_url").get("nullable") is True


def test_a_parquet_share_is_documented_with_its_media_type() -> None:
    # Found as: POST /api/v1/partners/{slug}/shares/ {"format": "parquet", ...} answered a Parquet file.
    responses = openapi_document()["paths"]["/api/v1/partners/{slug}/shares/"]["post"]["responses"]
    media_types = {media for response in responses.values() for media in response.get("content", {})}
    assert "application/vnd.apache.parquet" in media_types
