"""Behaviour events: recorded by the storefront without ever breaking a page, by the browser
beacon, by the partner batch API, and on payment."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from commerce.models import Order
from insights.models import Event
from insights.visitors import VISITOR_COOKIE
from tests.factories import PartnerFactory, UserFactory
from tests.factories.commerce import order_paid_for
from tests.factories.storefront import isbn, shop_world
from users.services import api_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return shop_world()


def _key_headers(partner, scopes=("events:write",)):
    _key, raw = api_key_create(partner=partner, name="reader app", scopes=scopes, created_by=None)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


# --- Storefront (server side) ------------------------------------------------------------------


def test_product_view_is_recorded_for_an_anonymous_visitor_with_a_lasting_cookie(client, world):
    course = world.course.product
    first = client.get(f"/products/{course.slug}/?utm_source=newsletter&utm_campaign=spring")
    assert first.status_code == 200
    visitor = first.cookies[VISITOR_COOKIE].value
    client.get(f"/products/{course.slug}/")
    views = list(Event.objects.filter(kind=Event.Kind.VIEW, product=course).order_by("pk"))
    assert [e.anonymous_id for e in views] == [visitor, visitor]
    assert views[0].user is None
    assert views[0].context["utm_source"] == "newsletter"
    assert views[0].context["utm_campaign"] == "spring"
    assert VISITOR_COOKIE not in client.get(f"/products/{course.slug}/").cookies  # not re-issued


def test_signed_in_shopper_events_carry_the_user(client, world, user):
    client.force_login(user)
    client.get("/search/?q=幸福")
    event = Event.objects.get(kind=Event.Kind.SEARCH)
    assert event.user == user
    assert event.context["query"] == "幸福"
    assert event.context["results"] >= 1


def test_an_event_write_failure_does_not_break_the_page(client, world, caplog):
    # A real failure: the events table is gone (inside the test's transaction, undone afterwards).
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE insights_event RENAME TO insights_event_gone")
    with caplog.at_level(logging.ERROR, logger="insights.events"):
        response = client.get(f"/products/{world.bundle.product.slug}/")
        search = client.get("/search/?q=心理")
    assert response.status_code == 200
    assert world.bundle.product.title in response.content.decode()
    assert search.status_code == 200
    assert "could not record" in caplog.text
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE insights_event_gone RENAME TO insights_event")


def test_an_event_write_failure_inside_a_transaction_leaves_the_transaction_usable(world):
    from django.db import transaction

    from insights.services import event_record

    with transaction.atomic():
        assert event_record(kind="no-such-kind", anonymous_id="x") is None  # violates event_kind_known
        assert Event.objects.count() == 0  # the transaction still answers queries


# --- Beacon -----------------------------------------------------------------------------------


def _beacon(client, payload, **extra):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post("/events/beacon/", data=body, content_type="text/plain", **extra)


def test_beacon_stores_clicks_and_impressions_of_the_visitor(client, world):
    product = world.bundle.product
    response = _beacon(
        client,
        {
            "events": [
                {"kind": "click", "product": product.pk, "context": {"slot": "home_bundles", "position": 1}},
                {"kind": "recommendation_impression", "product": product.pk, "context": {"slot": "home_recommended"}},
            ]
        },
    )
    assert response.status_code == 204
    events = list(Event.objects.order_by("pk"))
    assert [e.kind for e in events] == ["click", "recommendation_impression"]
    assert all(e.source == Event.Source.BEACON and e.product == product for e in events)
    assert events[0].context == {"slot": "home_bundles", "position": 1}
    assert events[0].anonymous_id == response.cookies[VISITOR_COOKIE].value


def test_beacon_refuses_kinds_the_server_records_itself(client, world):
    response = _beacon(client, {"events": [{"kind": "purchase", "product": world.course.product.pk}]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "body", ["not json", "{}", '{"events": []}', '{"events": [{"kind": "click", "product": "x"}]}']
)
def test_beacon_rejects_malformed_bodies(client, body):
    assert _beacon(client, body).status_code == 400
    assert not Event.objects.exists()


def test_beacon_drops_an_unknown_product_but_keeps_the_click(client, world):
    assert _beacon(client, {"events": [{"kind": "click", "product": 999999}]}).status_code == 204
    assert Event.objects.get().product is None


def test_beacon_answers_only_post(client):
    assert client.get("/events/beacon/").status_code == 405


# --- Partner batch API ---------------------------------------------------------------------------


def _batch(client, events, headers):
    return client.post("/api/v1/events/", data={"events": events}, content_type="application/json", **headers)


def _item(**overrides):
    item = {
        "id": "evt-1",
        "kind": "view",
        "anonymous_id": "device-7f3a",
        "product": "happiness-book",
        "occurred_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
        "context": {"utm_source": "reader-app"},
    }
    item.update(overrides)
    return item


def test_partner_batch_is_stored_under_the_partner_and_resending_stores_nothing_twice(client, world):
    partner = PartnerFactory(kind="device_maker")
    headers = _key_headers(partner)
    items = [_item(), _item(id="evt-2", kind="purchase", product=None, isbn=isbn(1))]
    items[1].pop("product")
    first = _batch(client, items, headers)
    assert first.status_code == 201, first.content
    assert first.json() == {"accepted": 2, "duplicates": 0}
    again = _batch(client, items, headers)
    assert again.json() == {"accepted": 0, "duplicates": 2}
    events = list(Event.objects.order_by("client_event_id"))
    assert len(events) == 2
    assert all(e.partner == partner and e.source == Event.Source.PARTNER_API and e.user is None for e in events)
    assert events[1].product == world.ebook.product  # found by the edition's ISBN


def test_partner_batch_with_one_bad_event_stores_nothing_and_names_it(client, world):
    headers = _key_headers(PartnerFactory())
    response = _batch(client, [_item(), _item(id="evt-2", product="no-such-book")], headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert "1" in error["fields"]["events"]
    assert "product" in error["fields"]["events"]["1"]
    assert not Event.objects.exists()


def test_partner_batch_refuses_future_and_stale_times(client, world):
    headers = _key_headers(PartnerFactory())
    future = _item(occurred_at=(timezone.now() + timedelta(hours=2)).isoformat())
    stale = _item(id="evt-2", occurred_at=(timezone.now() - timedelta(days=200)).isoformat())
    response = _batch(client, [future, stale], headers)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]["events"]
    assert "occurred_at" in fields["0"] and "occurred_at" in fields["1"]


def test_partner_batch_needs_the_events_write_scope(client, world):
    response = _batch(client, [_item()], _key_headers(PartnerFactory(), scopes=("partner:read",)))
    assert response.status_code == 403
    assert not Event.objects.exists()


def test_partner_batch_is_not_open_to_people(client, world, user):
    client.force_login(user)
    assert _batch(client, [_item()], {}).status_code == 403


def test_partner_batch_is_limited_in_size(client, world):
    items = [_item(id=f"evt-{i}") for i in range(501)]
    response = _batch(client, items, _key_headers(PartnerFactory()))
    assert response.status_code == 400
    assert not Event.objects.exists()


def test_event_ingestion_is_in_the_api_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/events/"]["post"]
    assert operation["operationId"] == "events_ingest"
    assert "201" in operation["responses"]


# --- Purchases ----------------------------------------------------------------------------------


def test_a_paid_order_records_one_purchase_event_per_line(world, django_capture_on_commit_callbacks):
    buyer = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        order = order_paid_for(buyer, world.bundle, world.print_book)
    assert order.status == Order.Status.PAID
    events = list(Event.objects.filter(kind=Event.Kind.PURCHASE).order_by("pk"))
    assert [e.product_id for e in events] == [world.bundle.product_id, world.print_book.product_id]
    assert all(e.user == buyer and e.source == Event.Source.SYSTEM for e in events)
    assert sorted(events[0].context["items"]) == sorted([world.course.product_id, world.ebook.product_id])
    assert events[0].context["order"] == order.number


@pytest.mark.postgres
def test_partner_batch_on_postgresql_skips_ids_raced_in_by_another_request(client, world):
    partner = PartnerFactory()
    headers = _key_headers(partner)
    Event.objects.create(kind="view", anonymous_id="a", partner=partner, client_event_id="evt-1")
    response = _batch(client, [_item(), _item(id="evt-2")], headers)
    assert response.json() == {"accepted": 1, "duplicates": 1}
    assert Event.objects.filter(partner=partner).count() == 2
