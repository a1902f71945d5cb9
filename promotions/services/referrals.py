"""Referral (分销): share links, and the commission a paid order line earns.

Who earns a line's commission:

1. a **promoter's coupon** used on the order (``Coupon.referral_link``) — it
   overrides any cookie;
2. otherwise the **last referral touch** (``?ref=``) if it is no older than the
   programme's cookie window (default 30 days);
3. never the buyer themself (self-referral earns nothing, and the database
   refuses such a row).

The line must be covered by the link's programme; the rate is the product's own
rate in the programme, else the programme's. Commission = rate × the price
actually paid for the line (after every discount), to the cent. A full refund
of the line voids it; a partial refund lowers it in proportion.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from core.money import DEFAULT_CURRENCY, money_quantize
from promotions.attribution import Attribution
from promotions.errors import ReferralInvalid
from promotions.models import Campaign, Coupon, ReferralCommission, ReferralLink, ReferralProgramme
from users.models import Partner, User

HUNDRED = Decimal(100)
LINK_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def referral_programme_for(
    *, product: Product | None = None, campaign: Campaign | None = None
) -> ReferralProgramme | None:
    """The active programme that covers a product (its own rate first, then a campaign's, then a
    platform-wide one), or the campaign's own programme."""
    active = ReferralProgramme.objects.filter(is_active=True)
    if campaign is not None:
        return active.filter(campaign=campaign).order_by("-pk").first()
    assert product is not None
    return (
        active.filter(rates__product=product).order_by("-pk").first()
        or active.filter(campaign__products=product, campaign__status=Campaign.Status.ACTIVE).order_by("-pk").first()
        or active.filter(campaign__isnull=True, rates__isnull=True).order_by("-pk").first()
    )


def referral_rate(*, programme: ReferralProgramme, product: Product) -> Decimal | None:
    """The programme's commission percent for ``product``; None when the programme does not cover it."""
    own = programme.rates.filter(product=product).values_list("commission_percent", flat=True).first()
    if own is not None:
        return own
    if programme.campaign_id is not None:
        return programme.commission_percent if programme.campaign.products.filter(pk=product.pk).exists() else None  # type: ignore[union-attr]
    if programme.rates.exists():
        return None
    return programme.commission_percent


@transaction.atomic
def referral_link_create(
    *, promoter: User, product: Product | None = None, campaign: Campaign | None = None, partner: Partner | None = None
) -> ReferralLink:
    """The promoter's share link for a product or a campaign; asking twice returns the same link."""
    if (product is None) == (campaign is None):
        raise ReferralInvalid(_("A share link is for one product or one campaign."))
    if campaign is not None and campaign.status != Campaign.Status.ACTIVE:
        raise ReferralInvalid(_("This campaign is not running, so it cannot be shared for commission."))
    if product is not None and product.status != Product.Status.PUBLISHED:
        raise ReferralInvalid(_("Only products on sale can be shared for commission."))
    programme = referral_programme_for(product=product, campaign=campaign)
    if programme is None:
        raise ReferralInvalid(_("No referral programme covers this yet, so sharing it earns no commission."))
    existing = ReferralLink.objects.filter(
        promoter=promoter, programme=programme, product=product, campaign=campaign
    ).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        code = "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                return ReferralLink.objects.create(
                    code=code,
                    promoter=promoter,
                    partner=partner,
                    programme=programme,
                    product=product,
                    campaign=campaign,
                )
        except IntegrityError:
            raced = ReferralLink.objects.filter(
                promoter=promoter, programme=programme, product=product, campaign=campaign
            ).first()
            if raced is not None:
                return raced
    raise ReferralInvalid(_("Could not make a share link just now. Try again."))


@dataclass(frozen=True)
class ReferralDecision:
    """Who (if anyone) earns a line's commission, and why."""

    link: ReferralLink | None
    source: str
    reason: str


def referral_resolve(
    *, buyer: User, attribution: Attribution | None, promoter_coupons: Iterable[Coupon], at: datetime
) -> ReferralDecision:
    """The link that earns an order's commission under the rules in this module's docstring."""
    for coupon in sorted(promoter_coupons, key=lambda c: (-c.priority, c.pk)):
        if coupon.referral_link_id is None:
            continue
        coupon_link = ReferralLink.objects.select_related("programme").get(pk=coupon.referral_link_id)
        if coupon_link.promoter_id == buyer.pk:
            return ReferralDecision(link=None, source="", reason="self_referral")
        if coupon_link.is_active and coupon_link.programme.is_active:
            return ReferralDecision(link=coupon_link, source=ReferralCommission.Source.COUPON, reason="promoter_coupon")
    if attribution is None or attribution.referral is None:
        return ReferralDecision(link=None, source="", reason="no_referral")
    link = (
        ReferralLink.objects.select_related("programme")
        .filter(code=attribution.referral.ref, is_active=True, programme__is_active=True)
        .first()
    )
    if link is None:
        return ReferralDecision(link=None, source="", reason="unknown_link")
    if link.promoter_id == buyer.pk:
        return ReferralDecision(link=None, source="", reason="self_referral")
    if at - attribution.referral.at > timedelta(days=link.programme.cookie_window_days):
        return ReferralDecision(link=None, source="", reason="window_passed")
    return ReferralDecision(link=link, source=ReferralCommission.Source.LINK, reason="last_touch")


@transaction.atomic
def referral_commission_for_line(
    *,
    order_number: str,
    line_ref: str,
    buyer: User,
    product: Product,
    amount_paid: Decimal,
    currency: str = DEFAULT_CURRENCY,
    attribution: Attribution | None = None,
    promoter_coupons: Iterable[Coupon] = (),
    at: datetime | None = None,
) -> ReferralCommission | None:
    """Record the commission a paid line earns, or None if it earns none. Idempotent per ``line_ref``.

    Commerce calls it when a payment is captured, once per order line, with
    the attribution it stored on the line and the coupons redeemed on the order.
    """
    at = at or timezone.now()
    existing = ReferralCommission.objects.filter(line_ref=line_ref).first()
    if existing is not None:
        return existing
    decision = referral_resolve(buyer=buyer, attribution=attribution, promoter_coupons=promoter_coupons, at=at)
    if decision.link is None:
        return None
    programme = decision.link.programme
    percent = referral_rate(programme=programme, product=product)
    if percent is None or amount_paid <= 0:
        return None
    try:
        with transaction.atomic():
            return ReferralCommission.objects.create(
                link=decision.link,
                promoter_id=decision.link.promoter_id,
                buyer=buyer,
                campaign_id=programme.campaign_id or decision.link.campaign_id,
                product=product,
                order_number=order_number,
                line_ref=line_ref,
                source=decision.source,
                base_amount=money_quantize(amount_paid),
                percent=percent,
                amount=money_quantize(amount_paid * percent / HUNDRED),
                currency=currency,
            )
    except IntegrityError:
        return ReferralCommission.objects.get(line_ref=line_ref)


@transaction.atomic
def referral_commission_refund(
    *, line_ref: str, refunded_amount: Decimal, at: datetime | None = None
) -> ReferralCommission | None:
    """A refund of ``refunded_amount`` (cumulative for the line) on a paid line: void or reduce its commission.

    A paid-out commission is left as it is (settlements claws it back from the next payout).
    """
    at = at or timezone.now()
    commission = ReferralCommission.objects.select_for_update().filter(line_ref=line_ref).first()
    if commission is None or commission.status != ReferralCommission.Status.PENDING:
        return commission
    refunded = min(money_quantize(refunded_amount), commission.base_amount)
    commission.refunded_amount = refunded
    if refunded >= commission.base_amount:
        commission.status = ReferralCommission.Status.VOID
        commission.voided_at = at
        commission.amount = Decimal("0.00")
    else:
        commission.amount = money_quantize((commission.base_amount - refunded) * commission.percent / HUNDRED)
    commission.save(update_fields=["refunded_amount", "status", "voided_at", "amount"])
    return commission


@transaction.atomic
def referral_commission_mark_paid(*, commission_ids: Iterable[int], payout_ref: str, at: datetime | None = None) -> int:
    """Settlements calls this when a payout includes these pending commissions; returns how many moved."""
    at = at or timezone.now()
    return ReferralCommission.objects.filter(
        pk__in=list(commission_ids), status=ReferralCommission.Status.PENDING
    ).update(status=ReferralCommission.Status.PAID, paid_at=at, payout_ref=payout_ref[:64])
