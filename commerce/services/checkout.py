"""Checkout: turning a cart (or explicit lines) into one order and one payment, idempotently."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from catalog.models import BundleItem, Variant
from catalog.selectors import DEFAULT_TERRITORY
from commerce.attribution import attribution_input_clean
from commerce.errors import CheckoutInvalid, IdempotencyKeyReused, PaymentProviderError
from commerce.models import Cart, CartLine, Order, OrderEvent, OrderLine, OrderLineItem, Payment
from commerce.payments.registry import default_provider_name, provider_get, provider_names
from commerce.selectors import cart_coupon_codes_for_user, entitlement_product_ids, variant_granted_products
from commerce.services.cart import _quantity_check, lines_overlap_check, variant_purchase_check
from commerce.services.order_promotions import order_promotions_price, order_promotions_redeem
from commerce.services.payments import order_cancel_locked
from core.money import money_quantize, money_split
from promotions.attribution import Attribution
from users.models import User

MAX_IDEMPOTENCY_KEY_LENGTH = 128


@dataclass(frozen=True)
class CheckoutLine:
    """One line to buy. ``attribution`` is what the caller knows of where the sale came from
    (``utm`` and ``referral_code`` only; see ``commerce.attribution``)."""

    variant: Variant
    quantity: int = 1
    attribution: dict[str, Any] = field(default_factory=dict)
    recommendation_model_version: str | None = None
    recommendation_slot: str | None = None


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    payment: Payment
    # False when the idempotency key named an earlier checkout, whose result this is.
    created: bool

    @property
    def redirect_url(self) -> str:
        return self.payment.redirect_url


def _order_number() -> str:
    # Date for people, 10 random base-32 characters (50 bits) for uniqueness.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"ZQ{timezone.localdate():%y%m%d}" + "".join(secrets.choice(alphabet) for _ in range(10))


def _fingerprint(*, lines: Sequence[CheckoutLine], territory: str, provider: str) -> str:
    described = sorted((line.variant.pk, line.quantity) for line in lines)
    return hashlib.sha256(json.dumps([described, territory, provider]).encode()).hexdigest()


def _safe_return_url(url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=set(settings.ALLOWED_HOSTS)):
        return url
    return ""


def _validate(*, user: User, lines: Sequence[CheckoutLine], territory: str) -> None:
    if not lines:
        raise CheckoutInvalid(_("Your cart is empty. Add a course or a book first."), code="cart_empty")
    owned = entitlement_product_ids(user)
    for line in lines:
        _quantity_check(variant=line.variant, quantity=line.quantity)
        variant_purchase_check(user=user, variant=line.variant, territory=territory, owned=owned)
        attribution_input_clean(line.attribution)
    lines_overlap_check([line.variant for line in lines])
    currencies = {line.variant.currency for line in lines}
    if len(currencies) > 1:
        raise CheckoutInvalid(
            _(
                "Items priced in different currencies (%(currencies)s) cannot be paid together. "
                "Check them out separately."
            )
            % {"currencies": ", ".join(sorted(currencies))},
            code="mixed_currency",
        )


def _existing_result(*, user: User, idempotency_key: str, fingerprint: str | None) -> CheckoutResult | None:
    """The checkout made earlier with this key. ``fingerprint`` None accepts any
    (a refresh after payment, when the cart has been emptied)."""
    order = Order.objects.filter(user=user, idempotency_key=idempotency_key).select_related("payment").first()
    if order is None:
        return None
    if fingerprint is not None and order.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            _("This checkout was already submitted with different items. Reload the page and check out again.")
        )
    return CheckoutResult(order=order, payment=order.payment, created=False)


def checkout_create(
    *,
    user: User,
    lines: Sequence[CheckoutLine],
    idempotency_key: str,
    territory: str = DEFAULT_TERRITORY,
    channel: str = Order.Channel.WEB,
    provider: str | None = None,
    return_url: str = "",
    coupon_codes: Sequence[str] | None = None,
    attribution: Attribution | None = None,
) -> CheckoutResult:
    """Create the order and its payment, then open the payment with the provider.

    The order is priced by promotions: every bundle offer in force and the
    coupon codes entered (``coupon_codes``; ``None`` means the codes held by the
    user's cart) are applied and the coupons redeemed in the order's
    transaction. A code that does not apply any more stops the checkout with the
    reason (``CouponExhausted`` "coupon used up", ``CouponAlreadyUsed``,
    ``CouponHeldByUnpaidOrder``, ``CouponNotApplicable``) and nothing is saved.
    ``attribution`` is the shopper's visits (``promotions.selectors.attribution_for_request``);
    each line stores the document described in ``commerce.attribution``.

    Idempotent on (user, ``idempotency_key``): a repeat returns the first
    result (``created=False``) and opens nothing new; the same key with
    different lines is refused. Checkouts and payment captures of one user are
    serialised on a lock of the user's row, so a double submit gives one order.
    An earlier unpaid order of the user for any of the same products is
    cancelled (its payment closed), so nothing can be paid for twice.

    Must not run inside an outer transaction: the provider is called after the
    order has committed (a failure there leaves the order awaiting payment,
    and repeating the checkout with the same key tries the provider again)."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise CheckoutInvalid(
            _("A checkout needs an idempotency key of 1 to %(n)d characters.") % {"n": MAX_IDEMPOTENCY_KEY_LENGTH},
            code="idempotency_key",
        )
    provider_name = provider or default_provider_name()
    if provider_name not in provider_names():
        raise CheckoutInvalid(_("Unknown payment method «%(name)s».") % {"name": provider_name}, code="provider")
    if channel not in Order.Channel.values:
        raise CheckoutInvalid(_("Unknown sales channel «%(name)s».") % {"name": channel}, code="channel")
    territory = territory.upper()
    fingerprint = _fingerprint(lines=lines, territory=territory, provider=provider_name)

    result = _existing_result(user=user, idempotency_key=key, fingerprint=fingerprint if lines else None)
    if result is None:
        _validate(user=user, lines=lines, territory=territory)
        try:
            result = _checkout_commit(
                user=user,
                lines=lines,
                key=key,
                fingerprint=fingerprint,
                territory=territory,
                channel=channel,
                provider_name=provider_name,
                return_url=_safe_return_url(return_url),
                coupon_codes=coupon_codes,
                attribution=attribution,
            )
        except IntegrityError:
            # A concurrent checkout with the same key won the race (databases without row locks).
            result = _existing_result(user=user, idempotency_key=key, fingerprint=fingerprint)
            if result is None:
                raise
    payment_session_ensure(payment=result.payment)
    return result


@transaction.atomic
def _checkout_commit(
    *,
    user: User,
    lines: Sequence[CheckoutLine],
    key: str,
    fingerprint: str,
    territory: str,
    channel: str,
    provider_name: str,
    return_url: str,
    coupon_codes: Sequence[str] | None,
    attribution: Attribution | None,
) -> CheckoutResult:
    User.objects.select_for_update().filter(pk=user.pk).first()
    # Under the lock: a concurrent double submit has committed by now, if it was first.
    existing = _existing_result(user=user, idempotency_key=key, fingerprint=fingerprint)
    if existing is not None:
        return existing
    # Ownership may have changed while we waited (a payment captured meanwhile).
    _validate(user=user, lines=lines, territory=territory)

    currency = lines[0].variant.currency
    number = _order_number()
    codes = list(coupon_codes) if coupon_codes is not None else cart_coupon_codes_for_user(user=user)
    promoted = order_promotions_price(
        order_number=number,
        user=user,
        lines=lines,
        codes=codes,
        territory=territory,
        attribution=attribution,
        at=timezone.now(),
    )
    order = Order.objects.create(
        number=number,
        user=user,
        currency=currency,
        subtotal=promoted.subtotal,
        discount=promoted.discount,
        total=promoted.subtotal - promoted.discount,
        territory=territory,
        channel=channel,
        idempotency_key=key,
        request_fingerprint=fingerprint,
    )
    granted_product_ids: set[int] = set()
    for line, priced in zip(lines, promoted.lines, strict=True):
        variant = line.variant
        order_line = OrderLine.objects.create(
            order=order,
            line_ref=priced.ref,
            variant=variant,
            product=variant.product,
            owner_id=variant.product.owner_id,
            format=variant.format,
            title=variant.product.title,
            sku=variant.sku,
            quantity=line.quantity,
            unit_price=money_quantize(variant.price),
            list_price=priced.list_price,
            discount=priced.discount,
            price_paid=priced.price_paid,
            attribution=priced.attribution,
            recommendation_model_version=line.recommendation_model_version or None,
            recommendation_slot=line.recommendation_slot or None,
        )
        if variant.format == Variant.Format.BUNDLE:
            order_line_items_record(order_line=order_line)
        granted_product_ids.update(p.pk for p in variant_granted_products(variant))
    OrderEvent.objects.create(order=order, to_status=order.status, actor=user, note=f"checkout ({channel})")
    payment = Payment.objects.create(
        order=order, provider=provider_name, amount=order.total, currency=currency, return_url=return_url
    )
    _supersede_unpaid_orders(user=user, new_order=order, product_ids=granted_product_ids)
    # Last: from here to the commit the coupons' rows are locked (other checkouts using them wait).
    order_promotions_redeem(promoted=promoted, order_number=order.number, user=user)
    return CheckoutResult(order=order, payment=payment, created=True)


def order_line_items_record(*, order_line: OrderLine) -> list[OrderLineItem]:
    """The items of a bundle line, each with its share of the price paid and of the list price,
    split by largest remainder on the items' standalone prices (ties to the earlier item)."""
    items = list(
        BundleItem.objects.filter(bundle_id=order_line.product_id)
        .select_related("variant__product")
        .order_by("position", "pk")
    )
    weights = [money_quantize(i.variant.price) for i in items]
    shares = money_split(amount=order_line.price_paid, weights=weights)
    list_shares = money_split(amount=order_line.list_price, weights=weights)
    return OrderLineItem.objects.bulk_create(
        [
            OrderLineItem(
                line=order_line,
                variant=item.variant,
                product=item.variant.product,
                owner_id=item.variant.product.owner_id,
                format=item.variant.format,
                title=item.variant.product.title,
                standalone_price=weight,
                share=share,
                list_share=list_share,
            )
            for item, weight, share, list_share in zip(items, weights, shares, list_shares, strict=True)
        ]
    )


def _supersede_unpaid_orders(*, user: User, new_order: Order, product_ids: set[int]) -> None:
    """Caller holds the user's row lock. Cancels the user's other unpaid orders that
    would grant any of ``product_ids``."""
    if not product_ids:
        return
    candidates = (
        Order.objects.select_for_update()
        .filter(user=user, status=Order.Status.PENDING_PAYMENT)
        .exclude(pk=new_order.pk)
        .order_by("pk")
    )
    for order in candidates:
        lines = list(order.lines.select_related("variant__product"))
        overlap = any(p.pk in product_ids for line in lines for p in variant_granted_products(line.variant))
        if overlap:
            order_cancel_locked(
                order=order, actor=user, actor_label="checkout", note=f"superseded by order {new_order.number}"
            )


def payment_session_ensure(*, payment: Payment) -> Payment:
    """Open ``payment`` with its provider if that has not happened yet. Safe to
    repeat: providers treat the payment's public id as their idempotency key."""
    if payment.redirect_url or payment.status != Payment.Status.CREATED:
        return payment
    try:
        session = provider_get(payment.provider).payment_create(payment=payment)
    except Exception as exc:
        raise PaymentProviderError(
            _("The payment service could not be reached. Try again in a moment; you will not be charged twice.")
        ) from exc
    Payment.objects.filter(pk=payment.pk, redirect_url="").update(
        provider_ref=session.provider_ref, redirect_url=session.redirect_url, updated_at=timezone.now()
    )
    payment.refresh_from_db()
    return payment


def checkout_lines_from_cart(*, cart: Cart, attribution: dict[str, Any] | None = None) -> list[CheckoutLine]:
    """The cart's lines as checkout lines (each with ``attribution`` if given)."""
    return [
        CheckoutLine(variant=line.variant, quantity=line.quantity, attribution=dict(attribution or {}))
        for line in CartLine.objects.filter(cart=cart).select_related("variant__product").order_by("added_at", "pk")
    ]
