"""Serving: the API, impressions, the fallback when Redis is stopped, partner consent, attribution."""

from __future__ import annotations

import socket
import uuid

import pytest

from catalog.models import BundleItem
from commerce.models import OrderLine
from commerce.services import CheckoutLine, checkout_create
from insights.models import Event
from recommendations.attribution import (
    checkout_lines_attribute,
    rec_for_product,
    rec_param_parse,
    rec_remember,
)
from recommendations.models import ModelVersion, TrainingRun
from recommendations.selectors import recommendations_for_user
from recommendations.services import training_run_execute, training_run_request
from recommendations.tasks import refresh_topm
from tests.factories import PartnerFactory, UserFactory
from tests.factories.catalog import bundle_of
from tests.factories.commerce import order_paid_for
from tests.recommendations import app_fixtures
from users.models import Consent
from users.services import api_key_create, consent_grant

recsys_settings = app_fixtures.recsys_settings
world = app_fixtures.world

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(recsys_settings, world) -> ModelVersion:
    request = training_run_request(enqueue=False)
    run = training_run_execute(run_id=request.run.pk)
    version = ModelVersion.objects.get(run=run)
    refresh_topm(version.pk)
    return version


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_my_recommendations_come_from_the_model_with_reasons_and_are_logged(client, active, world):
    user = world.users[2]
    client.force_login(user)
    response = client.get("/api/v1/recommendations/me?m=4&slot=app_home")
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == active.tag
    assert body["source"] == "model"
    assert body["rec"] == f"{active.tag}:app_home"
    assert len(body["items"]) == 4
    first = body["items"][0]
    assert first["reason_code"].startswith("because_")
    assert first["reason"]
    assert first["link"].endswith(f"?rec={active.tag}:app_home")
    impressions = Event.objects.filter(kind=Event.Kind.RECOMMENDATION_IMPRESSION, user=user).order_by("pk")
    assert [e.product_id for e in impressions] == [item["product"]["id"] for item in body["items"]]
    assert impressions[0].context["model_version"] == active.tag
    assert impressions[0].context["slot"] == "app_home"
    assert [e.context["position"] for e in impressions] == [1, 2, 3, 4]


def test_reasons_are_in_the_requests_language(client, active, world):
    client.force_login(world.users[2])
    english = client.get("/api/v1/recommendations/me?m=1", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = client.get("/api/v1/recommendations/me?m=1", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert english["items"][0]["reason"].startswith("Because you")
    assert english["items"][0]["reason"] != chinese["items"][0]["reason"]


def test_a_bad_m_is_a_clear_error(client, user):
    client.force_login(user)
    response = client.get("/api/v1/recommendations/me?m=500", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["m"] == ["m can be at most 50."]


def test_the_endpoint_answers_from_popularity_when_redis_is_stopped(client, active, world, settings):
    settings.RECOMMENDER = {
        **settings.RECOMMENDER,
        "TOPM_STORE": "redis",
        "TOPM_REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0",
    }
    user = world.users[0]
    user.profile.declared_interests = [world.topics[1].slug]
    user.profile.save()
    client.force_login(user)
    response = client.get("/api/v1/recommendations/me?m=3")
    assert response.status_code == 200
    body = response.json()
    assert body["source"] == "fallback"
    assert body["model_version"] == "popularity"
    wanted = {p.pk for p in world.cluster_products(1)}
    assert all(item["product"]["id"] in wanted for item in body["items"])
    assert body["items"][0]["reason_code"] == "popular_in_topic"


def test_the_storefront_selector_falls_back_without_raising_when_redis_is_stopped(active, world, settings):
    settings.RECOMMENDER = {
        **settings.RECOMMENDER,
        "TOPM_STORE": "redis",
        "TOPM_REDIS_URL": f"redis://127.0.0.1:{_closed_port()}/0",
    }
    served = recommendations_for_user(user=world.users[0], m=5, slot="home_recommended")
    assert served.is_fallback
    assert len(served.products) == 5


def test_a_list_read_from_the_store_drops_what_the_user_bought_since(client, active, world):
    user = world.users[1]
    client.force_login(user)
    before = client.get("/api/v1/recommendations/me?m=3").json()
    bought_id = before["items"][0]["product"]["id"]
    bought = next(p for p in world.products if p.pk == bought_id)
    order_paid_for(user, bought.variants.get())
    after = client.get("/api/v1/recommendations/me?m=3").json()
    assert bought_id not in [item["product"]["id"] for item in after["items"]]
    assert len(after["items"]) == 3


def test_anonymous_visitors_cannot_read_a_personal_list(client):
    assert client.get("/api/v1/recommendations/me").status_code in (401, 403)


def _partner_key(partner, scopes):
    _key, raw = api_key_create(partner=partner, name="app", scopes=scopes, created_by=None)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def test_a_partner_reads_recommendations_only_of_users_who_consented_to_it(client, active, world):
    partner = PartnerFactory()
    headers = _partner_key(partner, ["recommendations:read"])
    consenting, silent = world.users[0], world.users[1]
    consent_grant(
        user=consenting,
        partner=partner,
        purpose=Consent.Purpose.AUDIENCE_INSIGHTS,
        data_categories=["interests", "purchases"],
        notice_version="test",
    )
    ok = client.get(f"/api/v1/recommendations/users/{consenting.pk}?m=2", **headers)
    assert ok.status_code == 200
    assert ok.json()["model_version"] == active.tag
    logged = Event.objects.filter(kind=Event.Kind.RECOMMENDATION_IMPRESSION, user=consenting)
    assert logged.count() == 2
    assert {e.partner_id for e in logged} == {partner.pk}
    assert client.get(f"/api/v1/recommendations/users/{silent.pk}", **headers).status_code == 404
    # Another partner's consent does not count.
    other = _partner_key(PartnerFactory(), ["recommendations:read"])
    assert client.get(f"/api/v1/recommendations/users/{consenting.pk}", **other).status_code == 404


def test_a_partner_key_without_the_scope_is_refused(client, active, world):
    headers = _partner_key(PartnerFactory(), ["partner:read"])
    assert client.get(f"/api/v1/recommendations/users/{world.users[0].pk}", **headers).status_code == 403
    assert client.get("/api/v1/recommendations/me", **headers).status_code == 403


def test_people_read_only_their_own_list_unless_staff(client, active, world):
    me, other = world.users[0], world.users[1]
    client.force_login(me)
    assert client.get(f"/api/v1/recommendations/users/{me.pk}").status_code == 200
    assert client.get(f"/api/v1/recommendations/users/{other.pk}").status_code == 404
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(f"/api/v1/recommendations/users/{other.pk}").status_code == 200


def test_similar_products_come_from_the_same_taste(client, active, world):
    product = world.cluster_products(2)[0]
    response = client.get(f"/api/v1/recommendations/products/{product.pk}/similar?m=3")
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == active.tag
    mine = {p.pk for p in world.cluster_products(2)}
    ids = [item["product"]["id"] for item in body["items"]]
    assert product.pk not in ids
    assert all(i in mine for i in ids)
    assert body["items"][0]["reason_code"] == "similar_to"


def test_complete_it_with_offers_books_for_a_course_bought_together_and_the_bundle(client, active, world):
    course = world.cluster_products(0)[1]  # index 3: a course
    assert course.kind == "course"
    book = world.cluster_products(0)[2]  # index 6: a book
    assert book.kind == "book"
    for buyer in world.users[:2]:
        order_paid_for(buyer, course.variants.get(), book.variants.get())
    bundle = bundle_of(course.variants.get(), book.variants.get(), price="199.00")
    from tests.factories.catalog import RightsFactory

    RightsFactory(product=bundle.product)
    body = client.get(f"/api/v1/recommendations/products/{course.pk}/complete?m=2", HTTP_ACCEPT_LANGUAGE="en").json()
    first = body["items"][0]
    assert first["product"]["id"] == book.pk
    assert first["product"]["kind"] == "book"
    assert first["bought_together"] == 2
    assert first["bundle"]["id"] == bundle.product.pk
    assert "also bought" in first["reason"]
    assert BundleItem.objects.filter(bundle=bundle.product).count() == 2


def test_staff_start_training_and_watch_it(client, recsys_settings, world):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    created = client.post("/api/v1/recommendations/training-runs/", {"model": "ease"}, content_type="application/json")
    assert created.status_code == 201
    run_id = created.json()["id"]
    # Tasks run in-process in tests, so the run finished once the request's transaction committed ...
    # ... except that the test's own transaction never commits: run it as the worker would.
    training_run_execute(run_id=run_id)
    detail = client.get(f"/api/v1/recommendations/training-runs/{run_id}/").json()
    assert detail["state"] == "succeeded"
    assert detail["progress_percent"] == 100
    assert detail["model_version"] == f"r{run_id}-ease"
    again = client.post("/api/v1/recommendations/training-runs/", {"model": "ease"}, content_type="application/json")
    assert again.status_code == 200
    assert again.json()["id"] == run_id
    models = client.get("/api/v1/recommendations/models/").json()
    assert models["results"][0]["tag"] == f"r{run_id}-ease"


def test_a_second_training_request_while_one_runs_is_409(client, recsys_settings, world):
    client.force_login(UserFactory(is_staff=True))
    first = client.post("/api/v1/recommendations/training-runs/", {"model": "ease"}, content_type="application/json")
    assert first.status_code == 201
    second = client.post(
        "/api/v1/recommendations/training-runs/", {"model": "item_cosine"}, content_type="application/json"
    )
    assert second.status_code == 409
    assert second.json()["state"] == TrainingRun.State.REFUSED


def test_training_runs_are_for_staff_only(client, user):
    client.force_login(user)
    assert client.get("/api/v1/recommendations/training-runs/").status_code == 403
    assert client.post("/api/v1/recommendations/training-runs/", {}, content_type="application/json").status_code == 403


def test_an_unknown_model_is_a_clear_error(client, db):
    client.force_login(UserFactory(is_staff=True))
    response = client.post(
        "/api/v1/recommendations/training-runs/",
        {"model": "magic"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "magic" in response.json()["error"]["message"]


# --- Attribution ---------------------------------------------------------------------------------


def test_rec_values_are_parsed_strictly():
    assert rec_param_parse("r3-ease:home_recommended").model_version == "r3-ease"
    assert rec_param_parse("popularity:cart").slot == "cart"
    for bad in ("", "noslot", ":x", "a:", "a:b:c", "<script>:x", None, 5):
        assert rec_param_parse(bad) is None


def test_a_click_is_remembered_within_the_window_only(settings):
    session: dict = {}
    rec_remember(session=session, product_id=7, raw="r1-ease:home", now=1000.0)
    assert str(rec_for_product(session=session, product_id=7, now=1000.0 + 3600)) == "r1-ease:home"
    assert rec_for_product(session=session, product_id=7, now=1000.0 + 8 * 86400) is None
    assert rec_for_product(session=session, product_id=8, now=1000.0) is None


def test_a_purchase_reached_from_a_recommendation_is_attributed_on_the_order_line(client, active, world):
    buyer = world.users[5]
    product = world.cluster_products(2)[0]
    client.force_login(buyer)
    session = client.session
    rec_remember(session=session, product_id=product.pk, raw=f"{active.tag}:home_recommended")
    lines = checkout_lines_attribute(session=session, lines=[CheckoutLine(variant=product.variants.get())])
    result = checkout_create(user=buyer, lines=lines, idempotency_key=uuid.uuid4().hex, territory="CN")
    line = OrderLine.objects.get(order=result.order)
    assert line.recommendation_model_version == active.tag
    assert line.recommendation_slot == "home_recommended"
