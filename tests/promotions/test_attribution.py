"""UTM and referral capture on landing: first touch kept, last click wins, window, signed cookie."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from promotions.attribution import COOKIE_NAME, Attribution, Touch, attribution_merge
from promotions.middleware import AttributionMiddleware
from promotions.selectors import attribution_for_request
from tests.factories import UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.promotions import ReferralProgrammeFactory

pytestmark = pytest.mark.django_db


def test_landing_with_utm_keeps_first_touch_and_last_click(client):
    client.get("/healthz?utm_source=weibo&utm_campaign=spring")
    client.get("/healthz?utm_source=wechat&utm_medium=social&utm_campaign=summer")
    stored = client.session["promotions_attribution"]
    assert stored["first"]["utm_source"] == "weibo"
    assert stored["last"]["utm_source"] == "wechat"
    assert stored["last"]["utm_campaign"] == "summer"
    assert COOKIE_NAME in client.cookies


def test_attribution_survives_a_new_session_through_the_signed_cookie(client):
    client.get("/healthz?utm_source=newsletter&ref=abcd1234")
    cookie = client.cookies[COOKIE_NAME].value
    request = RequestFactory().get("/")
    request.COOKIES[COOKIE_NAME] = cookie
    request.session = {}
    attribution = attribution_for_request(request)
    assert attribution.last.utm_source == "newsletter"
    assert attribution.referral_code == "abcd1234"


def test_tampered_cookie_is_ignored():
    request = RequestFactory().get("/")
    request.COOKIES[COOKIE_NAME] = "eyJmaXJzdCI6bnVsbH0:forged:signature"
    request.session = {}
    assert attribution_for_request(request).is_empty


def test_touches_older_than_the_window_are_dropped(settings):
    settings.PROMOTIONS_ATTRIBUTION_WINDOW_DAYS = 7
    now = timezone.now()
    old = Touch(at=now - timedelta(days=8), utm_source="old", ref="oldref1")
    fresh = Touch(at=now - timedelta(days=1), utm_source="fresh")
    stale = Attribution(first=old, last=old, referral=old).within(timedelta(days=7), now=now)
    assert stale.is_empty
    merged = attribution_merge(Attribution(first=old, last=old, referral=old), fresh, now=now)
    # The aged-out first touch is replaced; the stale referral is forgotten.
    assert merged.first == fresh
    assert merged.referral is None


def test_a_later_landing_without_ref_keeps_the_referral(client):
    client.get("/healthz?ref=first111")
    client.get("/healthz?utm_source=baidu")
    stored = client.session["promotions_attribution"]
    assert stored["referral"]["ref"] == "first111"
    assert stored["last"]["utm_source"] == "baidu"


def test_malformed_ref_and_overlong_values_are_not_stored(client):
    client.get("/healthz?ref=<script>&utm_source=" + "x" * 500)
    stored = client.session["promotions_attribution"]
    assert stored["last"]["ref"] == ""
    assert len(stored["last"]["utm_source"]) == 100


def test_referral_click_is_counted_once_per_new_referral(client):
    from promotions.services.referrals import referral_link_create

    ReferralProgrammeFactory()
    link = referral_link_create(promoter=UserFactory(), product=sellable_book().product)
    client.get(f"/healthz?ref={link.code}")
    client.get(f"/healthz?ref={link.code}")
    link.refresh_from_db()
    assert link.clicks == 1


def test_api_and_admin_requests_are_not_attributed():
    seen = []
    middleware = AttributionMiddleware(lambda request: seen.append(request) or __import__("django").http.HttpResponse())
    request = RequestFactory().get("/api/v1/coupons/validate/?utm_source=x")
    request.session = {}
    response = middleware(request)
    assert COOKIE_NAME not in response.cookies
