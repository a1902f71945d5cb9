"""What commerce calls, and when. The only entry points commerce needs.

=====================  ===============================================================
When                   Call
=====================  ===============================================================
cart page / API        ``cart_price_for(items=..., user=..., codes=..., territory=...,
                       is_first_order=...)`` → ``PricedCart`` (per-line discounts, the
                       chosen combination and its explanation in both languages).
checkout (inside the   ``promotion_checkout_apply(order_number=..., user=..., items=...,
order's transaction)   codes=..., ...)`` → the ``PricedCart`` to charge. It redeems the
                       coupons race-free; a code that no longer applies raises
                       (``CouponExhausted`` "coupon used up", ``CouponAlreadyUsed``,
                       ``CouponNotApplicable``) so the order is not created at a wrong
                       price. (Or its two halves: ``promotion_checkout_price`` first,
                       ``promotion_checkout_redeem`` last before the commit, which
                       keeps a popular coupon's row locked for the shortest time.)
                       Then, per line, ``order_line_attribution(priced=...,
                       line_ref=..., product_id=..., attribution=attribution_for_request(
                       request))`` → a JSON dict to store on the order line.
payment captured       ``promotion_order_paid(order_number=..., buyer=..., lines=[PaidLine
                       (...)]``) → campaign conversions and referral commissions.
payment failed or      ``promotion_order_abandoned(order_number=..., reason=...)`` → the
expired, order         coupons are released.
cancelled unpaid
refund                 ``promotion_line_refunded(order_number=..., line_ref=...,
                       refunded_amount=<cumulative for the line>, order_fully_refunded=...)``
                       → commission voided/reduced; a full refund of the order releases
                       its coupons.
=====================  ===============================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product, Variant
from core.errors import NotAllowed
from core.money import DEFAULT_CURRENCY, money_quantize
from promotions.attribution import Attribution
from promotions.errors import CouponAlreadyUsed, CouponExhausted, CouponNotApplicable
from promotions.models import Campaign, CampaignConversion, Coupon, Redemption
from promotions.pricing import PricedCart, ShopperFacts, cart_price
from promotions.selectors import (
    CartItem,
    campaign_live_by_slug,
    cart_lines_from_items,
    coupon_terms_for_codes,
    offer_terms_live,
)
from promotions.services.coupons import coupon_redeem, coupon_release
from promotions.services.referrals import referral_commission_for_line, referral_commission_refund
from users.models import User

# Reasons a code may be left out of a cart without stopping checkout: the shopper got a better deal.
SOFT_REJECTIONS = {"not_combinable"}


def cart_price_for(
    *,
    items: Sequence[CartItem | tuple[Variant, int]],
    user: User | None,
    codes: Sequence[str] = (),
    territory: str = "CN",
    is_first_order: bool = False,
    at: datetime | None = None,
) -> PricedCart:
    """Price a cart with every offer in force and the codes entered (read-only; redeems nothing)."""
    at = at or timezone.now()
    lines = cart_lines_from_items(items=items)
    coupons, unknown = coupon_terms_for_codes(codes=codes, user=user if user and user.is_authenticated else None)
    shopper = ShopperFacts(
        user_id=user.pk if user is not None and user.is_authenticated else None,
        is_first_order=is_first_order,
        territory=territory,
    )
    return cart_price(
        lines=lines, shopper=shopper, coupons=coupons, offers=offer_terms_live(at=at), at=at, unknown_codes=unknown
    )


def promotion_checkout_price(
    *,
    user: User,
    items: Sequence[CartItem | tuple[Variant, int]],
    codes: Sequence[str] = (),
    territory: str = "CN",
    is_first_order: bool = False,
    at: datetime | None = None,
) -> PricedCart:
    """The price to charge, or the reason an entered code stops checkout. Redeems nothing.

    Raises ``CouponExhausted``, ``CouponAlreadyUsed`` or ``CouponNotApplicable``
    (the reason in the shopper's language) when any entered code does not
    apply; a code left out only because a better combination won does not.
    """
    priced = cart_price_for(
        items=items, user=user, codes=codes, territory=territory, is_first_order=is_first_order, at=at
    )
    hard = [r for r in priced.rejected if r.reason not in SOFT_REJECTIONS]
    if hard:
        problem = hard[0]
        if problem.reason == "used_up":
            raise CouponExhausted(problem.code)
        if problem.reason == "already_used":
            raise CouponAlreadyUsed(problem.code)
        raise CouponNotApplicable(str(problem.message))
    if priced.applied_codes and not user.is_authenticated:
        raise NotAllowed(_("Log in to use a coupon."))
    return priced


@transaction.atomic
def promotion_checkout_redeem(
    *, priced: PricedCart, order_number: str, user: User, at: datetime | None = None
) -> list[Redemption]:
    """Redeem every coupon ``priced`` applied, for ``order_number``; all or nothing.

    Coupons are taken in primary-key order (so two checkouts never wait on each
    other's coupons crosswise). Call it as late as possible in the order's
    transaction: a coupon's row stays locked from here to the commit, and every
    checkout using that coupon waits for it. Raises as ``coupon_redeem`` does
    (``CouponExhausted`` when the last use went to a concurrent checkout).
    """
    at = at or timezone.now()
    applied = sorted((a for a in priced.adjustments if a.kind == "coupon"), key=lambda a: a.source_id)
    return [
        coupon_redeem(
            code=adjustment.code,
            user=user,
            order_number=order_number,
            discount=adjustment.amount,
            currency=priced.currency,
            at=at,
        )
        for adjustment in applied
    ]


def promotion_checkout_apply(
    *,
    order_number: str,
    user: User,
    items: Sequence[CartItem | tuple[Variant, int]],
    codes: Sequence[str] = (),
    territory: str = "CN",
    is_first_order: bool = False,
    at: datetime | None = None,
) -> PricedCart:
    """Price the order and redeem its coupons, all or nothing. Call inside the order's transaction.

    ``promotion_checkout_price`` then ``promotion_checkout_redeem``: raises (and
    so leaves nothing redeemed once the caller's transaction rolls back) when
    any entered code does not apply any more, with the reason in the shopper's
    language; a code left out only because a better combination won does not
    stop checkout.
    """
    at = at or timezone.now()
    with transaction.atomic():
        priced = promotion_checkout_price(
            items=items, user=user, codes=codes, territory=territory, is_first_order=is_first_order, at=at
        )
        promotion_checkout_redeem(priced=priced, order_number=order_number, user=user, at=at)
    return priced


def _campaign_of_line(
    *, priced: PricedCart, line_ref: str, attribution: Attribution | None, product_id: int, at: datetime
) -> tuple[int | None, Decimal, str]:
    """The campaign a line is attributed to, the discount it gave that line, and why."""
    by_campaign: dict[int, Decimal] = {}
    for adjustment in priced.adjustments:
        amount = adjustment.line_amounts.get(line_ref)
        if adjustment.campaign_id is not None and amount:
            by_campaign[adjustment.campaign_id] = by_campaign.get(adjustment.campaign_id, Decimal(0)) + amount
    if by_campaign:
        campaign_id = min(by_campaign, key=lambda c: (-by_campaign[c], c))
        return campaign_id, by_campaign[campaign_id], "promotion"
    if attribution is not None and attribution.utm_campaign:
        campaign = campaign_live_by_slug(slug=attribution.utm_campaign, at=at)
        if campaign is not None and (
            not campaign.products.exists() or campaign.products.filter(pk=product_id).exists()
        ):
            return campaign.pk, Decimal("0.00"), "utm"
    return None, Decimal("0.00"), ""


def order_line_attribution(
    *,
    priced: PricedCart,
    line_ref: str,
    product_id: int,
    attribution: Attribution | None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """What commerce stores on an order line: campaign, its discount, the codes applied, and the touches."""
    at = at or timezone.now()
    campaign_id, discount, why = _campaign_of_line(
        priced=priced, line_ref=line_ref, attribution=attribution, product_id=product_id, at=at
    )
    return {
        "campaign_id": campaign_id,
        "campaign_discount": str(discount),
        "campaign_reason": why,
        "coupon_codes": [a.code for a in priced.adjustments if a.kind == "coupon" and line_ref in a.line_amounts],
        "offer_ids": [a.source_id for a in priced.adjustments if a.kind == "offer" and line_ref in a.line_amounts],
        "touches": attribution.as_dict() if attribution is not None else None,
    }


@dataclass(frozen=True)
class PaidLine:
    """A paid order line as commerce reports it."""

    line_ref: str
    product_id: int
    amount_paid: Decimal
    currency: str = DEFAULT_CURRENCY
    attribution: dict[str, Any] | None = None  # what ``order_line_attribution`` returned at checkout


@dataclass(frozen=True)
class PaidSummary:
    conversions: int
    commissions: int
    commission_total: Decimal


@transaction.atomic
def promotion_order_paid(
    *, order_number: str, buyer: User, lines: Sequence[PaidLine], at: datetime | None = None
) -> PaidSummary:
    """Record what a captured payment brought each campaign, and the referral commissions it earned.

    Idempotent: a replayed payment webhook records nothing twice.
    """
    at = at or timezone.now()
    promoter_coupons = list(
        Coupon.objects.filter(
            redemptions__order_number=order_number,
            redemptions__status=Redemption.Status.ACTIVE,
            referral_link__isnull=False,
        )
    )
    products = Product.objects.in_bulk([line.product_id for line in lines])
    conversions = commissions = 0
    commission_total = Decimal("0.00")
    for line in lines:
        data = line.attribution or {}
        campaign_id = data.get("campaign_id")
        if campaign_id is not None and Campaign.objects.filter(pk=campaign_id).exists():
            _row, created = CampaignConversion.objects.get_or_create(
                campaign_id=campaign_id,
                line_ref=line.line_ref,
                defaults={
                    "order_number": order_number,
                    "product_id": line.product_id,
                    "revenue": money_quantize(line.amount_paid),
                    "discount": money_quantize(data.get("campaign_discount") or "0"),
                    "currency": line.currency,
                    "paid_at": at,
                },
            )
            conversions += int(created)
        commission = referral_commission_for_line(
            order_number=order_number,
            line_ref=line.line_ref,
            buyer=buyer,
            product=products[line.product_id],
            amount_paid=line.amount_paid,
            currency=line.currency,
            attribution=Attribution.from_dict(data.get("touches")),
            promoter_coupons=promoter_coupons,
            at=at,
        )
        if commission is not None:
            commissions += 1
            commission_total += commission.amount
    return PaidSummary(conversions=conversions, commissions=commissions, commission_total=commission_total)


def promotion_order_abandoned(*, order_number: str, reason: str = "payment_failed", at: datetime | None = None) -> int:
    """The order will never be paid (payment failed or expired, cancelled unpaid): release its coupons."""
    return coupon_release(order_number=order_number, reason=reason, at=at)


@transaction.atomic
def promotion_line_refunded(
    *,
    order_number: str,
    line_ref: str,
    refunded_amount: Decimal,
    order_fully_refunded: bool,
    at: datetime | None = None,
) -> None:
    """A refund on a paid line (``refunded_amount`` is the line's cumulative refund).

    The line's commission is voided (full refund) or reduced; its campaign
    revenue is reduced; a full refund of the whole order releases its coupons.
    """
    at = at or timezone.now()
    referral_commission_refund(line_ref=line_ref, refunded_amount=refunded_amount, at=at)
    # Never past what was paid (the database holds the rule too).
    CampaignConversion.objects.filter(line_ref=line_ref, order_number=order_number).update(
        refunded_amount=Least(Value(money_quantize(refunded_amount)), F("revenue"))
    )
    if order_fully_refunded:
        coupon_release(order_number=order_number, reason="refunded", at=at)
