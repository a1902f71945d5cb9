"""Where an order meets promotions: pricing and redeeming at checkout, and telling promotions
what became of the order afterwards.

========================================  =========================================================
commerce                                  promotions
========================================  =========================================================
checkout (order's transaction)            ``promotion_checkout_price`` and ``order_line_attribution``
                                          per line first; ``promotion_checkout_redeem`` last, so a
                                          popular coupon's row is locked only until the commit
payment captured (same transaction)       ``promotion_order_paid``: campaign conversions, referral
                                          commissions (replay-safe)
order failed, expired or cancelled        ``promotion_order_abandoned``: coupons released
unpaid (``order_transition``)
refund succeeded (same transaction)       ``promotion_line_refunded`` per line given back: the
                                          line's commission voided or reduced; a full refund
                                          of the order releases its coupons
========================================  =========================================================

Each line is named to promotions by ``OrderLine.line_ref`` (``<order number>-<variant id>``),
unique across all orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from commerce.attribution import (
    attribution_input_clean,
    attribution_with_caller_input,
    order_line_attribution_document,
)
from commerce.errors import CouponHeldByUnpaidOrder
from commerce.models import Order, OrderLine
from commerce.selectors import user_is_first_order
from core.money import money_quantize
from promotions.attribution import Attribution
from promotions.errors import CouponAlreadyUsed
from promotions.models import Redemption
from promotions.pricing import PricedCart
from promotions.selectors import CartItem
from promotions.services.checkout import (
    PaidLine,
    PaidSummary,
    order_line_attribution,
    promotion_checkout_price,
    promotion_checkout_redeem,
    promotion_line_refunded,
    promotion_order_abandoned,
    promotion_order_paid,
)
from users.models import User

if TYPE_CHECKING:
    from commerce.services.checkout import CheckoutLine

ZERO = Decimal("0.00")


def order_line_ref(*, order_number: str, variant_id: int) -> str:
    return f"{order_number}-{variant_id}"


@dataclass(frozen=True)
class PromotedLine:
    """What promotions decided for one checkout line."""

    ref: str
    list_price: Decimal
    discount: Decimal
    attribution: dict[str, Any]

    @property
    def price_paid(self) -> Decimal:
        return self.list_price - self.discount


@dataclass(frozen=True)
class PromotedOrder:
    priced: PricedCart
    lines: list[PromotedLine]
    codes: list[str]
    at: datetime

    @property
    def subtotal(self) -> Decimal:
        return sum((line.list_price for line in self.lines), ZERO)

    @property
    def discount(self) -> Decimal:
        return sum((line.discount for line in self.lines), ZERO)


def order_promotions_price(
    *,
    order_number: str,
    user: User,
    lines: Sequence[CheckoutLine],
    codes: Sequence[str],
    territory: str,
    attribution: Attribution | None,
    at: datetime,
) -> PromotedOrder:
    """Price the order's lines with every offer in force and ``codes``, and build each line's
    attribution. Redeems nothing: ``order_promotions_redeem`` does, last in the order's transaction.

    Raises ``CouponExhausted`` ("coupon used up"), ``CouponAlreadyUsed``,
    ``CouponHeldByUnpaidOrder`` or ``CouponNotApplicable`` when an entered code
    does not apply any more, so no order is made at a wrong price.
    """
    items = [
        CartItem(
            variant=line.variant,
            quantity=line.quantity,
            ref=order_line_ref(order_number=order_number, variant_id=line.variant.pk),
            unit_price=money_quantize(line.variant.price),
        )
        for line in lines
    ]
    with _clearer_coupon_errors(user=user, codes=codes):
        priced = promotion_checkout_price(
            user=user,
            items=items,
            codes=codes,
            territory=territory,
            is_first_order=user_is_first_order(user),
            at=at,
        )
    promoted: list[PromotedLine] = []
    for item, line in zip(items, lines, strict=True):
        priced_line = priced.line(item.ref)
        touches = attribution_with_caller_input(
            base=attribution, clean=attribution_input_clean(line.attribution), at=at
        )
        promotion = order_line_attribution(
            priced=priced, line_ref=item.ref, product_id=line.variant.product_id, attribution=touches, at=at
        )
        promoted.append(
            PromotedLine(
                ref=item.ref,
                list_price=money_quantize(priced_line.subtotal),
                discount=money_quantize(priced_line.discount),
                attribution=order_line_attribution_document(promotion=promotion, touches=touches),
            )
        )
    result = PromotedOrder(priced=priced, lines=promoted, codes=list(codes), at=at)
    # The engine allocates to the cent; the order's constraints rely on it.
    assert result.discount == money_quantize(priced.discount), (result.discount, priced.discount)
    return result


def order_promotions_redeem(*, promoted: PromotedOrder, order_number: str, user: User) -> None:
    """Redeem the coupons the order was priced with. Call it last in the order's transaction
    (after the order's rows are written): from here to the commit each coupon's row is locked,
    and every other checkout using that coupon waits. Raises as ``order_promotions_price`` does
    (``CouponExhausted`` when a concurrent checkout took the last use); the caller's
    transaction then rolls back and no order exists."""
    with _clearer_coupon_errors(user=user, codes=promoted.codes):
        promotion_checkout_redeem(priced=promoted.priced, order_number=order_number, user=user, at=promoted.at)


@contextmanager
def _clearer_coupon_errors(*, user: User, codes: Sequence[str]) -> Iterator[None]:
    try:
        yield
    except CouponAlreadyUsed as exc:
        held = _held_by_unpaid_order(user=user, codes=codes)
        if held is None:
            raise
        raise held from exc


def _held_by_unpaid_order(*, user: User, codes: Sequence[str]) -> CouponHeldByUnpaidOrder | None:
    """The clearer error when the shopper's own unpaid order holds the coupon they are using again."""
    normal = [c.strip().upper() for c in codes]
    held = (
        Redemption.objects.filter(user=user, status=Redemption.Status.ACTIVE, code__code__in=normal)
        .values_list("order_number", "code__code")
        .order_by("-created_at")
    )
    pending = dict(
        Order.objects.filter(
            user=user, status=Order.Status.PENDING_PAYMENT, number__in=[number for number, _code in held]
        ).values_list("number", "status")
    )
    for number, code in held:
        if number in pending:
            return CouponHeldByUnpaidOrder(
                _(
                    "Coupon %(code)s is held by your order %(number)s, which is waiting for payment. "
                    "Pay that order, or cancel it to use the coupon here."
                )
                % {"code": code, "number": number}
            )
    return None


def order_promotions_paid(*, order: Order, at: datetime | None = None) -> PaidSummary:
    """The order has just been paid: record its campaign conversions and referral commissions.

    Caller holds the order's lock inside the capture's transaction. Safe to repeat.
    """
    lines = [
        PaidLine(
            line_ref=line.line_ref or order_line_ref(order_number=order.number, variant_id=line.variant_id),
            product_id=line.product_id,
            amount_paid=line.price_paid,
            currency=order.currency,
            attribution=line.attribution or None,
        )
        for line in order.lines.order_by("pk")
    ]
    return promotion_order_paid(order_number=order.number, buyer=order.user, lines=lines, at=at)


def order_promotions_abandoned(*, order: Order, reason: str) -> int:
    """The order will never be paid: give back the coupon uses it holds. Safe to repeat."""
    return promotion_order_abandoned(order_number=order.number, reason=reason)


def order_promotions_refunded(*, order: Order, lines: Iterable[OrderLine], fully: bool) -> None:
    """A refund succeeded for ``lines`` (their ``refunded_amount`` already includes it).

    Each line's commission is voided or reduced, its campaign revenue lowered;
    when the whole order is refunded its coupons are released. Caller holds the
    order's lock inside the refund's transaction."""
    for line in lines:
        promotion_line_refunded(
            order_number=order.number,
            line_ref=line.line_ref or order_line_ref(order_number=order.number, variant_id=line.variant_id),
            refunded_amount=line.refunded_amount,
            order_fully_refunded=fully,
        )


def order_codes_used(*, order: Order) -> list[str]:
    """The coupon codes that discounted the order's lines."""
    codes: list[str] = []
    for attribution in order.lines.values_list("attribution", flat=True):
        for code in (attribution or {}).get("coupon_codes", []) if isinstance(attribution, dict) else []:
            if code not in codes:
                codes.append(code)
    return codes
