"""The promotions API: partner-scoped campaigns and reports, coupon validation, referral links."""

from decimal import Decimal

import pytest

from promotions.models import Coupon, ReferralLink
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.promotions import CampaignFactory, CampaignPartnerFactory, CouponFactory, ReferralProgrammeFactory
from users.services import api_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def press():
    return PartnerFactory(slug="qingsong")


@pytest.fixture
def campaign(press):
    campaign = CampaignFactory(slug="season")
    CampaignPartnerFactory(campaign=campaign, partner=press, cost_share_percent=Decimal("100"))
    return campaign


def _key(partner, scopes):
    return {
        "HTTP_AUTHORIZATION": f"Api-Key {api_key_create(partner=partner, name='k', scopes=scopes, created_by=None)[1]}"
    }


def test_partner_key_lists_its_campaigns_and_reads_the_report(client, press, campaign):
    headers = _key(press, ["promotions:read"])
    listed = client.get("/api/v1/partners/qingsong/campaigns/", **headers)
    assert listed.status_code == 200
    assert [c["slug"] for c in listed.json()["results"]] == ["season"]
    report = client.get("/api/v1/partners/qingsong/campaigns/season/report/", **headers)
    assert report.status_code == 200
    body = report.json()
    assert body["partner_costs"][0]["partner"] == "qingsong"
    assert body["days"]


def test_key_without_the_scope_is_refused(client, press, campaign):
    response = client.get("/api/v1/partners/qingsong/campaigns/", **_key(press, ["partner:read"]))
    assert response.status_code == 403


def test_another_partners_campaign_does_not_exist_for_a_key_or_a_member(client, press, campaign):
    other = PartnerFactory(slug="other")
    headers = _key(other, ["promotions:read"])
    assert client.get("/api/v1/partners/other/campaigns/season/", **headers).status_code == 404
    assert client.get("/api/v1/partners/qingsong/campaigns/", **headers).status_code == 404
    member = MembershipFactory(partner=other).user
    client.force_login(member)
    assert client.get("/api/v1/partners/qingsong/campaigns/season/report/").status_code == 404
    assert client.get("/api/v1/partners/other/campaigns/season/report/").status_code == 404


def test_member_reads_their_partners_campaign(client, press, campaign):
    client.force_login(MembershipFactory(partner=press).user)
    assert client.get("/api/v1/partners/qingsong/campaigns/season/").json()["slug"] == "season"


def test_coupon_validation_prices_the_cart_and_explains_in_both_languages(client, campaign):
    book = sellable_book(price="80.00")
    CouponFactory(
        campaign=campaign, code="TWENTY", kind=Coupon.Kind.FIXED_AMOUNT, value=Decimal("20"), per_user_limit=None
    )
    response = client.post(
        "/api/v1/coupons/validate/",
        {"items": [{"variant_id": book.pk, "quantity": 2}], "codes": ["twenty", "nope"]},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["subtotal"] == "160.00"
    assert body["total"] == "140.00"
    assert body["applied_codes"] == ["TWENTY"]
    assert body["rejected"][0]["reason"] == "unknown"
    assert body["explanation"]["en"] and body["explanation"]["zh"]


def test_coupon_validation_of_an_unknown_item_says_which(client):
    response = client.post(
        "/api/v1/coupons/validate/",
        {"items": [{"variant_id": 999999}]},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "999999" in response.json()["error"]["message"]


def test_shopper_makes_a_share_link_and_lists_it(client):
    ReferralProgrammeFactory()
    book = sellable_book()
    client.force_login(UserFactory())
    made = client.post("/api/v1/referral-links/", {"product": book.product.slug}, content_type="application/json")
    assert made.status_code == 201
    assert made.json()["url"].endswith(f"?ref={made.json()['code']}")
    listed = client.get("/api/v1/referral-links/").json()
    assert [link["code"] for link in listed] == [made.json()["code"]]
    assert ReferralLink.objects.count() == 1


def test_share_link_without_a_programme_is_refused_with_a_reason(client):
    client.force_login(UserFactory())
    response = client.post(
        "/api/v1/referral-links/",
        {"product": sellable_book().product.slug},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "programme" in response.json()["error"]["message"]


def test_api_keys_cannot_make_share_links(client, press):
    response = client.post(
        "/api/v1/referral-links/",
        {"campaign": "x"},
        content_type="application/json",
        **_key(press, ["promotions:read"]),
    )
    assert response.status_code == 403


def test_live_campaigns_are_public(client, campaign):
    CampaignFactory(slug="draft", status="draft")
    response = client.get("/api/v1/campaigns/live/")
    assert [c["slug"] for c in response.json()["results"]] == ["season"]
