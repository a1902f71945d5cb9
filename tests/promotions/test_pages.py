"""Pages: the partner portal's campaigns, the admin report with its chart, campaign landing pages."""

import json
import re
from decimal import Decimal

import pytest

from promotions.models import LandingPage
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.promotions import CampaignFactory, CampaignPartnerFactory, CouponFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def press():
    return PartnerFactory(slug="qingsong")


@pytest.fixture
def campaign(press):
    campaign = CampaignFactory(slug="season", name="读书季", name_en="Reading Season")
    CampaignPartnerFactory(campaign=campaign, partner=press, cost_share_percent=Decimal("100"))
    return campaign


def test_partner_member_sees_their_campaigns_and_the_report_chart(client, press, campaign):
    client.force_login(MembershipFactory(partner=press).user)
    listing = client.get("/partner/qingsong/campaigns/")
    assert listing.status_code == 200
    assert "读书季" in listing.content.decode()
    detail = client.get("/partner/qingsong/campaigns/season/").content.decode()
    assert "data:image/svg+xml;base64," in detail


def test_campaigns_section_is_linked_from_the_portal(client, press, campaign):
    client.force_login(MembershipFactory(partner=press).user)
    assert "/partner/qingsong/campaigns/" in client.get("/partner/qingsong/").content.decode()


def test_non_member_gets_404_for_partner_campaign_pages(client, press, campaign):
    outsider_partner = PartnerFactory(slug="other")
    client.force_login(MembershipFactory(partner=outsider_partner).user)
    assert client.get("/partner/qingsong/campaigns/").status_code == 404
    # Their own portal does not show a campaign they have no part in.
    assert client.get("/partner/other/campaigns/season/").status_code == 404


def test_admin_report_renders_the_chart(client, campaign):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(f"/admin/promotions/campaign/{campaign.pk}/report/")
    assert response.status_code == 200
    assert "data:image/svg+xml;base64," in response.content.decode()


def test_admin_refuses_cost_shares_not_adding_up(client, press):
    client.force_login(
        UserFactory(is_staff=True, is_superuser=True), backend="django.contrib.auth.backends.ModelBackend"
    )
    data = {
        "name": "新活动",
        "name_en": "New",
        "slug": "new",
        "status": "draft",
        "starts_at_0": "2026-11-01",
        "starts_at_1": "00:00:00",
        "ends_at_0": "2026-12-01",
        "ends_at_1": "00:00:00",
        "budget": "100.00",
        "currency": "CNY",
        "shares-TOTAL_FORMS": "1",
        "shares-INITIAL_FORMS": "0",
        "shares-0-partner": str(press.pk),
        "shares-0-cost_share_percent": "80",
        "landing_pages-TOTAL_FORMS": "0",
        "landing_pages-INITIAL_FORMS": "0",
    }
    response = client.post("/admin/promotions/campaign/add/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "add up to 80" in response.content.decode()
    data["shares-0-cost_share_percent"] = "100"
    assert client.post("/admin/promotions/campaign/add/", data).status_code == 302


def _landing(campaign, **kw):
    book = sellable_book(price="59.00")
    coupon = CouponFactory(campaign=campaign, code="READ2026")
    page = LandingPage.objects.create(
        campaign=campaign,
        slug="reading",
        hero_title="读书季",
        hero_title_en="Reading Season",
        body="第一段\n\n第二段",
        body_en="First\n\nSecond",
        seo_description="好课配好书",
        seo_description_en="Great courses, great books",
        coupon=coupon,
        coupon_code="READ2026",
        is_published=True,
        **kw,
    )
    page.featured_products.set([book.product])
    return page, book


def test_landing_page_is_seo_complete_with_share_card_and_coupon(client, campaign):
    _page, book = _landing(campaign)
    html = client.get("/campaigns/reading/?lang=en").content.decode()
    assert '<link rel="canonical"' in html
    assert 'property="og:title" content="Reading Season"' in html
    assert "Great courses, great books" in html
    assert "READ2026" in html
    assert book.product.title in html
    blocks = [json.loads(b) for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]
    assert any(b.get("@type") == "WebPage" for b in blocks)
    assert any(b.get("@type") == "ItemList" for b in blocks)


def test_landing_page_shows_the_chinese_copy_by_default(client, campaign):
    _landing(campaign)
    html = client.get("/campaigns/reading/").content.decode()
    assert "第二段" in html
    assert "好课配好书" in html


def test_unpublished_or_draft_campaign_landing_page_is_not_found(client, campaign):
    page, _book = _landing(campaign)
    page.is_published = False
    page.save()
    assert client.get("/campaigns/reading/").status_code == 404


def test_landing_page_of_an_ended_campaign_hides_the_coupon_and_is_not_indexed(client, campaign):
    _landing(campaign)
    campaign.status = "ended"
    campaign.save()
    html = client.get("/campaigns/reading/").content.decode()
    assert "READ2026" not in html
    assert "noindex" in html
