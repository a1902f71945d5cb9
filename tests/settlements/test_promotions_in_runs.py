"""What promotions bring into a run: referral commissions joined to their exact order line, and
joint-campaign cost charged on what the campaign itself took off each line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from catalog.models import Variant
from promotions.models import Campaign, CampaignPartner, ReferralCommission, ReferralLink, ReferralProgramme
from settlements.models import SettlementRun, StatementLine
from settlements.services.runs import settlement_run_create
from tests.factories import PartnerFactory, UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.settlements import Buy, at, contract_for, paid_order, rule
from users.models import Partner

pytestmark = pytest.mark.django_db
Kind = StatementLine.Kind
MAR = (date(2025, 3, 1), date(2025, 3, 31))


def _settle() -> SettlementRun:
    run = settlement_run_create(period_start=MAR[0], period_end=MAR[1])
    assert run.reconciles, run.report
    return run


def _campaign(partner: Partner) -> Campaign:
    platform = Partner.objects.get_or_create(
        kind=Partner.Kind.PLATFORM, defaults={"name": "平台", "slug": "zhiqiao-platform"}
    )[0]
    campaign = Campaign.objects.create(
        name="世界读书日",
        slug=f"reading-day-{partner.pk}",
        status=Campaign.Status.ACTIVE,
        starts_at=datetime(2025, 1, 1, tzinfo=UTC),
        ends_at=datetime(2025, 12, 31, tzinfo=UTC),
    )
    CampaignPartner.objects.create(campaign=campaign, partner=partner, cost_share_percent=Decimal("60"))
    CampaignPartner.objects.create(campaign=campaign, partner=platform, cost_share_percent=Decimal("40"))
    return campaign


def test_campaign_cost_is_what_the_campaign_took_off_not_the_whole_line_discount() -> None:
    publisher = PartnerFactory()
    ebook = sellable_book(price="100.00", owner=publisher)
    contract_for(publisher, rule("ebook", 50), campaign_cost_share=Decimal("100"))
    campaign = _campaign(publisher)
    # 30.00 off the line, of which only 10.00 came from the campaign's own promotions.
    paid_order(
        Buy(ebook, discount=Decimal("30.00"), campaign_id=campaign.pk, campaign_discount=Decimal("10.00")),
        paid_at=at(date(2025, 3, 10)),
    )
    # A second line the campaign took 2.55 off, so the cost adds cents exactly.
    paid_order(
        Buy(ebook, discount=Decimal("5.00"), campaign_id=campaign.pk, campaign_discount=Decimal("2.55")),
        paid_at=at(date(2025, 3, 11)),
    )

    run = _settle()

    cost = StatementLine.objects.get(run=run, kind=Kind.CAMPAIGN_COST)
    # The campaign's cost is 12.55; the publisher bears its 60 %: 7.53.
    assert cost.basis == Decimal("7.53")
    assert cost.amount == Decimal("-7.53")
    assert cost.campaign_id == campaign.pk


def test_a_line_without_campaign_discount_charges_no_campaign_cost() -> None:
    publisher = PartnerFactory()
    ebook = sellable_book(price="100.00", owner=publisher)
    contract_for(publisher, rule("ebook", 50), campaign_cost_share=Decimal("100"))
    campaign = _campaign(publisher)
    # Credited to the campaign by the visit only: another promotion gave the 20.00.
    paid_order(
        Buy(ebook, discount=Decimal("20.00"), campaign_id=campaign.pk, campaign_discount=Decimal("0.00")),
        paid_at=at(date(2025, 3, 10)),
    )

    run = _settle()

    assert not StatementLine.objects.filter(run=run, kind=Kind.CAMPAIGN_COST).exists()


def test_commission_is_settled_on_its_own_line_when_an_order_has_two_lines_of_one_product() -> None:
    publisher = PartnerFactory()
    ebook = sellable_book(price="40.00", owner=publisher)
    hardcover = Variant.objects.create(
        product=ebook.product, format=Variant.Format.PRINT, sku=f"{ebook.sku}-HC", price=Decimal("88.00")
    )
    contract_for(publisher, rule("ebook", 50), rule("print", 10))
    order = paid_order(Buy(ebook), Buy(hardcover), paid_at=at(date(2025, 3, 12)))
    print_line = order.lines.get(format=Variant.Format.PRINT)
    promoter = UserFactory()
    programme = ReferralProgramme.objects.create(name="分销", commission_percent=Decimal("8"))
    link = ReferralLink.objects.create(
        code=f"P{publisher.pk}", promoter=promoter, programme=programme, product=ebook.product
    )
    commission = ReferralCommission.objects.create(
        link=link,
        promoter=promoter,
        buyer=order.user,
        product=ebook.product,
        order_number=order.number,
        line_ref=print_line.line_ref,
        source=ReferralCommission.Source.LINK,
        base_amount=print_line.price_paid,
        percent=Decimal("8"),
        amount=Decimal("7.04"),
        currency=order.currency,
    )

    run = _settle()

    line = StatementLine.objects.get(run=run, kind=Kind.COMMISSION)
    assert line.commission_id == commission.pk
    assert line.order_line_id == print_line.pk
    assert line.amount == Decimal("7.04")  # 8 % of the hardcover's 88.00, not of the ebook's 40.00
    assert line.format == Variant.Format.PRINT
