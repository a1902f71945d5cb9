import pytest
from rest_framework.test import APIClient

from commerce.models import Order, Payment
from tests.factories import PartnerFactory, UserFactory
from tests.factories.commerce import deliver, order_paid_for
from users.services import api_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(shopper):
    client = APIClient()
    client.force_login(shopper)
    return client


def _checkout(api, key="k-1", **extra):
    return api.post("/api/v1/checkout/", {"territory": "CN", **extra}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_visitor_fills_a_cart_without_an_account(book):
    client = APIClient()
    added = client.post("/api/v1/cart/", {"sku": book.sku}, format="json")
    assert added.status_code == 201
    body = client.get("/api/v1/cart/").json()
    assert body["count"] == 1 and body["subtotal"] == "60.00"
    assert body["lines"][0]["product"]["title"] == "活法"


def test_cart_refusal_is_a_clear_error_in_the_shoppers_language(api, us_only_book):
    response = api.post("/api/v1/cart/", {"variant_id": us_only_book.pk}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "not_sellable"
    assert "Only in America" in error["message"] and "not available in your region" in error["message"]
    zh = api.post("/api/v1/cart/", {"variant_id": us_only_book.pk}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "地区" in zh.json()["error"]["message"]


def test_unknown_item_is_a_field_error(api):
    response = api.post("/api/v1/cart/", {"variant_id": 999999}, format="json")
    assert response.status_code == 400
    assert "variant_id" in response.json()["error"]["fields"]


def test_partner_keys_cannot_reach_carts_or_orders(client, book):
    _row, raw = api_key_create(partner=PartnerFactory(), name="erp", scopes=["partner:read"], created_by=None)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
    assert client.get("/api/v1/cart/", **auth).status_code == 403
    assert client.get("/api/v1/orders/", **auth).status_code == 403
    assert client.post("/api/v1/checkout/", {}, content_type="application/json", **auth).status_code == 403


def test_checkout_twice_with_the_same_key_returns_the_first_order(api, book):
    api.post("/api/v1/cart/", {"variant_id": book.pk}, format="json")
    first = _checkout(api)
    second = _checkout(api)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["order"]["number"] == second.json()["order"]["number"]
    assert first.json()["redirect_url"].startswith("/pay/sandbox/")
    assert Order.objects.count() == Payment.objects.count() == 1


def test_checkout_without_an_idempotency_key_is_refused(api, book):
    api.post("/api/v1/cart/", {"variant_id": book.pk}, format="json")
    response = api.post("/api/v1/checkout/", {}, format="json")
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["error"]["fields"]
    assert not Order.objects.exists()


def test_checkout_of_an_owned_product_names_it(api, shopper, book):
    order_paid_for(shopper, book)
    api.post("/api/v1/cart/", {"variant_id": book.pk}, format="json")  # refused: already owned
    from commerce.models import Cart, CartLine

    CartLine.objects.create(cart=Cart.objects.get_or_create(user=shopper)[0], variant=book)
    response = _checkout(api, key="again", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "already_owned"
    assert "活法" in response.json()["error"]["message"]


def test_orders_are_private(api, shopper, book):
    mine = order_paid_for(shopper, book)
    theirs = order_paid_for(UserFactory(), book)
    numbers = [o["number"] for o in api.get("/api/v1/orders/").json()["results"]]
    assert numbers == [mine.number]
    assert api.get(f"/api/v1/orders/{theirs.number}/").status_code == 404
    detail = api.get(f"/api/v1/orders/{mine.number}/").json()
    assert detail["status"] == "paid" and [e["to_status"] for e in detail["events"]] == ["pending_payment", "paid"]


def test_refund_of_one_bundle_item_over_the_api(api, shopper, bundle, book, course):
    order = order_paid_for(shopper, bundle)
    line = order.lines.get()
    item = line.items.get(variant=book)
    body = {"reason": "already read it", "lines": [{"line_id": line.pk, "item_id": item.pk}]}
    response = api.post(f"/api/v1/orders/{order.number}/refunds/", body, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "45.00" and response.json()["status"] == "succeeded"
    repeat = api.post(f"/api/v1/orders/{order.number}/refunds/", body, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert repeat.status_code == 200 and repeat.json()["id"] == response.json()["id"]
    library = [e["product"]["id"] for e in api.get("/api/v1/library/").json()["results"]]
    assert sorted(library) == sorted([bundle.product_id, course.product_id])


def test_refund_of_someone_elses_order_is_not_found(api, book):
    theirs = order_paid_for(UserFactory(), book)
    response = api.post(
        f"/api/v1/orders/{theirs.number}/refunds/", {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="r"
    )
    assert response.status_code == 404


def test_cancel_an_unpaid_order(api, shopper, book):
    api.post("/api/v1/cart/", {"variant_id": book.pk}, format="json")
    number = _checkout(api).json()["order"]["number"]
    assert api.post(f"/api/v1/orders/{number}/cancel/").json()["status"] == "cancelled"
    assert api.post(f"/api/v1/orders/{number}/cancel/").status_code == 409


def test_library_lists_bundle_items_with_the_bundle_they_came_in(api, shopper, bundle):
    order_paid_for(shopper, bundle)
    entries = api.get("/api/v1/library/").json()["results"]
    via = {e["product"]["title"]: e["via_bundle"] for e in entries}
    assert via == {"心理学套装": None, "活法": "心理学套装", "心理学二十讲": "心理学套装"}


def test_reviews_only_for_owned_products(api, shopper, book, course):
    order_paid_for(shopper, book)
    refused = api.post("/api/v1/reviews/", {"product_id": course.product_id, "rating": 5}, format="json")
    assert refused.status_code == 403 and "心理学二十讲" in refused.json()["error"]["message"]
    made = api.post("/api/v1/reviews/", {"product_id": book.product_id, "rating": 4, "title": "好书"}, format="json")
    assert made.status_code == 201
    assert [r["title"] for r in api.get("/api/v1/reviews/").json()] == ["好书"]
    book.product.refresh_from_db()
    assert book.product.rating_count == 1


def test_failed_payment_shows_on_the_order(api, shopper, book):
    api.post("/api/v1/cart/", {"variant_id": book.pk}, format="json")
    result = _checkout(api).json()
    deliver(Payment.objects.get(public_id=result["payment"]["public_id"]), "fail")
    assert api.get(f"/api/v1/orders/{result['order']['number']}/").json()["status"] == "failed"
