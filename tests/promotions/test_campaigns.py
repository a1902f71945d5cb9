"""Campaigns: cost shares adding up to 100, state changes, reports and cost split."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from promotions.errors import PromotionInvalid
from promotions.models import Campaign, CampaignConversion
from promotions.selectors import campaign_cost_split, campaign_report
from promotions.services.campaigns import campaign_create, campaign_shares_set, campaign_status_set
from tests.factories import PartnerFactory
from tests.factories.catalog import sellable_book
from tests.factories.promotions import CampaignFactory, CampaignPartnerFactory, CouponFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def _create(shares, **kw):
    return campaign_create(
        name="读书季",
        slug=kw.pop("slug", "season"),
        starts_at=NOW,
        ends_at=NOW + timedelta(days=30),
        shares=shares,
        **kw,
    )


def test_campaign_with_shares_adding_to_100_is_created_as_a_draft():
    platform, press = PartnerFactory(kind="platform"), PartnerFactory()
    campaign = _create({platform: "60.00", press: Decimal("40")}, channels=["social", "email"])
    assert campaign.status == Campaign.Status.DRAFT
    assert {s.partner_id: s.cost_share_percent for s in campaign.shares.all()} == {
        platform.pk: Decimal("60.00"),
        press.pk: Decimal("40.00"),
    }


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ({"a": "60", "b": "30"}, "add up to 90"),
        ({"a": "60.001", "b": "39.999"}, "two decimals"),
        ({"a": "-10", "b": "110"}, "between 0 and 100"),
        ({}, "at least one partner"),
    ],
)
def test_shares_not_adding_up_to_100_are_refused_and_nothing_is_saved(shares, message):
    partners = {"a": PartnerFactory(), "b": PartnerFactory()}
    with pytest.raises(PromotionInvalid, match=message):
        _create({partners[k]: v for k, v in shares.items()})
    assert not Campaign.objects.exists()


def test_unknown_channel_and_backwards_period_are_refused():
    partner = PartnerFactory()
    with pytest.raises(PromotionInvalid, match="channel"):
        _create({partner: "100"}, channels=["billboard"])
    with pytest.raises(PromotionInvalid, match="end after"):
        campaign_create(name="x", slug="x", starts_at=NOW, ends_at=NOW, shares={partner: "100"})


def test_campaign_cannot_go_live_until_its_shares_add_up():
    campaign = CampaignFactory(status=Campaign.Status.DRAFT)
    CampaignPartnerFactory(campaign=campaign, cost_share_percent=Decimal("70"))
    with pytest.raises(PromotionInvalid, match="100"):
        campaign_status_set(campaign=campaign, status=Campaign.Status.ACTIVE)
    campaign_shares_set(campaign=campaign, shares={PartnerFactory(): "30", campaign.shares.get().partner: "70"})
    assert campaign_status_set(campaign=campaign, status=Campaign.Status.ACTIVE).status == Campaign.Status.ACTIVE


def test_ended_campaign_cannot_restart():
    campaign = CampaignFactory(status=Campaign.Status.ENDED)
    with pytest.raises(PromotionInvalid, match="cannot go from"):
        campaign_status_set(campaign=campaign, status=Campaign.Status.ACTIVE)


def test_cost_split_follows_the_shares_to_the_cent():
    campaign = CampaignFactory()
    a = CampaignPartnerFactory(campaign=campaign, cost_share_percent=Decimal("33.33")).partner
    b = CampaignPartnerFactory(campaign=campaign, cost_share_percent=Decimal("33.33")).partner
    c = CampaignPartnerFactory(campaign=campaign, cost_share_percent=Decimal("33.34")).partner
    split = campaign_cost_split(campaign=campaign, amount=Decimal("100.00"))
    assert sum(split.values()) == Decimal("100.00")
    assert split[c.pk] == Decimal("33.34")
    assert {split[a.pk], split[b.pk]} == {Decimal("33.33")}


def test_report_counts_revenue_net_of_refunds_and_spend_day_by_day():
    campaign = CampaignFactory(starts_at=NOW - timedelta(days=3))
    CampaignPartnerFactory(campaign=campaign, cost_share_percent=Decimal("100"))
    product = sellable_book().product
    CampaignConversion.objects.create(
        campaign=campaign,
        order_number="A",
        line_ref="A1",
        product=product,
        revenue=Decimal("90.00"),
        discount=Decimal("10.00"),
        refunded_amount=Decimal("20.00"),
        paid_at=NOW - timedelta(days=1),
    )
    CampaignConversion.objects.create(
        campaign=campaign,
        order_number="B",
        line_ref="B1",
        product=product,
        revenue=Decimal("50.00"),
        discount=Decimal("5.00"),
        paid_at=NOW,
    )
    CouponFactory(campaign=campaign, code="R")
    from promotions.services.coupons import coupon_redeem
    from tests.factories import UserFactory

    coupon_redeem(code="R", user=UserFactory(), order_number="A", discount=Decimal("10"))
    report = campaign_report(campaign=campaign)
    assert len(report.days) == 4
    assert report.orders == 2
    assert report.revenue == Decimal("120.00")
    assert report.discounts == Decimal("15.00")
    assert report.redemptions == 1
    assert report.budget_left == campaign.budget - Decimal("15.00")
    assert sum(report.partner_costs.values()) == Decimal("15.00")
