"""Payments: webhooks from providers, capture, failure, cancellation, expiry.

Lock order, everywhere in commerce: the user's row, then the order, then the
payment, then refunds. The user's row serialises everything that can grant
or take away what one user owns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.errors import WebhookRejected
from commerce.models import CartLine, Order, Payment, WebhookDelivery
from commerce.payments.base import (
    EVENT_PAYMENT_CANCELLED,
    EVENT_PAYMENT_FAILED,
    EVENT_PAYMENT_SUCCEEDED,
    ProviderEvent,
)
from commerce.payments.registry import provider_get
from commerce.selectors import entitlement_product_ids, variant_granted_products
from commerce.services.cart_coupons import cart_coupons_forget
from commerce.services.entitlements import entitlements_grant
from commerce.services.order_promotions import order_codes_used, order_promotions_paid
from commerce.services.transitions import order_transition, payment_transition
from commerce.signals import order_paid
from users.models import User

logger = logging.getLogger(__name__)

DEFAULT_PAYMENT_TIMEOUT_MINUTES = 30


@dataclass(frozen=True)
class WebhookResult:
    """``outcome`` says what the event did: captured, failed, cancelled, replayed
    (a known event id: nothing changed), already_final, late_payment_refunding,
    amount_mismatch, unknown_payment."""

    outcome: str
    delivery: WebhookDelivery | None = None

    @property
    def replayed(self) -> bool:
        return self.outcome == "replayed"


def webhook_receive(*, provider_name: str, body: bytes, headers: Mapping[str, str]) -> WebhookResult:
    """Verify and apply one webhook call from ``provider_name``.

    Raises ``WebhookRejected`` (and changes nothing) when the signature is
    wrong, the timestamp outside the tolerance or the body malformed. An event
    id seen before changes nothing either (``outcome == "replayed"``): the
    event id is stored under a unique constraint in the same transaction as
    the change it caused."""
    try:
        provider = provider_get(provider_name)
    except KeyError as exc:
        raise WebhookRejected(_("Unknown payment provider."), code="unknown_provider") from exc
    event = provider.webhook_parse(body=body, headers=headers)
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    provider=provider_name, event_id=event.event_id, kind=event.kind, payload=event.payload
                )
        except IntegrityError:
            return WebhookResult(outcome="replayed")
        payment = Payment.objects.filter(provider=provider_name, provider_ref=event.provider_ref).first()
        if payment is None:
            outcome = "unknown_payment"
            logger.warning(
                "webhook %s:%s names an unknown payment %s", provider_name, event.event_id, event.provider_ref
            )
        else:
            outcome = _payment_event_apply(payment=payment, event=event, actor_label=f"webhook:{provider_name}")
        WebhookDelivery.objects.filter(pk=delivery.pk).update(outcome=outcome, payment=payment)
        delivery.outcome, delivery.payment = outcome, payment
    return WebhookResult(outcome=outcome, delivery=delivery)


def _lock(payment: Payment) -> tuple[Order, Payment]:
    """Lock the user, the order and the payment, in that order; return fresh rows."""
    user_id = Order.objects.filter(pk=payment.order_id).values_list("user_id", flat=True).get()
    User.objects.select_for_update().filter(pk=user_id).first()
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    return order, locked


def _payment_event_apply(*, payment: Payment, event: ProviderEvent, actor_label: str) -> str:
    order, payment = _lock(payment)
    if event.kind == EVENT_PAYMENT_SUCCEEDED:
        if event.amount != payment.amount or event.currency != payment.currency:
            logger.error(
                "payment %s: provider reports %s %s, we asked %s %s",
                payment.pk,
                event.amount,
                event.currency,
                payment.amount,
                payment.currency,
            )
            return "amount_mismatch"
        return _capture(order=order, payment=payment, actor_label=actor_label)
    if payment.status != Payment.Status.CREATED:
        return "already_final"
    if event.kind == EVENT_PAYMENT_FAILED:
        payment_transition(
            payment=payment, to_status=Payment.Status.FAILED, actor_label=actor_label, note=event.message
        )
        if order.status == Order.Status.PENDING_PAYMENT:
            order_transition(order=order, to_status=Order.Status.FAILED, actor_label=actor_label, note=event.message)
        return "failed"
    if event.kind == EVENT_PAYMENT_CANCELLED:
        payment_transition(
            payment=payment, to_status=Payment.Status.CANCELLED, actor_label=actor_label, note=event.message
        )
        if order.status == Order.Status.PENDING_PAYMENT:
            order_transition(order=order, to_status=Order.Status.CANCELLED, actor_label=actor_label, note=event.message)
        return "cancelled"
    return "ignored"


def _capture(*, order: Order, payment: Payment, actor_label: str) -> str:
    """Caller holds the locks of ``_lock``."""
    if payment.status in {Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED}:
        return "already_final"
    payment_transition(payment=payment, to_status=Payment.Status.SUCCEEDED, actor_label=actor_label)
    if order.status != Order.Status.PENDING_PAYMENT:
        # The shopper paid an order we had closed (cancelled, expired, superseded): give the money back.
        _late_payment_refund_queue(payment=payment, reason=f"order {order.number} was {order.status}")
        return "late_payment_refunding"
    owned = entitlement_product_ids(order.user)
    lines = list(order.lines.select_related("variant__product"))
    if any(p.pk in owned for line in lines for p in variant_granted_products(line.variant)):
        order_transition(
            order=order, to_status=Order.Status.CANCELLED, actor_label=actor_label, note="already owned when paid"
        )
        _late_payment_refund_queue(payment=payment, reason="already owned when paid")
        return "late_payment_refunding"
    order_transition(order=order, to_status=Order.Status.PAID, actor_label=actor_label)
    entitlements_grant(order=order)
    # In the capture's transaction, so a conversion or commission is never recorded for an unpaid order.
    order_promotions_paid(order=order)
    CartLine.objects.filter(cart__user_id=order.user_id, variant_id__in=[line.variant_id for line in lines]).delete()
    cart_coupons_forget(user_id=order.user_id, codes=order_codes_used(order=order))
    transaction.on_commit(lambda: order_paid.send(sender=Order, order=order))
    return "captured"


def _late_payment_refund_queue(*, payment: Payment, reason: str) -> None:
    from commerce import tasks

    payment_id = payment.pk
    transaction.on_commit(lambda: tasks.payment_refund_late.delay(payment_id, reason))


def payment_refund_late(*, payment_id: int, reason: str) -> Payment:
    """Give back in full a payment that arrived for an order we had closed. Safe to run twice."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != Payment.Status.SUCCEEDED or payment.order.status == Order.Status.PAID:
        return payment
    result = provider_get(payment.provider).refund_create(
        payment=payment, amount=payment.amount, reference=f"late-{payment.public_id}"
    )
    with transaction.atomic():
        _order, payment = _lock(payment)
        if payment.status != Payment.Status.SUCCEEDED:
            return payment
        if not result.succeeded:
            logger.error("late payment %s could not be refunded: %s", payment.pk, result.message)
            return payment
        Payment.objects.filter(pk=payment.pk).update(refunded_amount=payment.amount)
        payment.refunded_amount = payment.amount
        payment_transition(
            payment=payment, to_status=Payment.Status.REFUNDED, actor_label="system", note=f"late payment: {reason}"
        )
    return payment


def order_cancel_locked(*, order: Order, actor: User | None = None, actor_label: str = "", note: str = "") -> Order:
    """Cancel an unpaid order and close its payment with the provider (after commit).

    Caller holds the user's and the order's locks."""
    order_transition(order=order, to_status=Order.Status.CANCELLED, actor=actor, actor_label=actor_label, note=note)
    payment = Payment.objects.select_for_update().filter(order=order).first()
    if payment is not None and payment.status == Payment.Status.CREATED:
        payment_transition(payment=payment, to_status=Payment.Status.CANCELLED, actor_label=actor_label, note=note)
        _provider_cancel_queue(payment=payment)
    return order


def _provider_cancel_queue(*, payment: Payment) -> None:
    from commerce import tasks

    if payment.provider_ref:
        payment_id = payment.pk
        transaction.on_commit(lambda: tasks.payment_provider_cancel.delay(payment_id))


@transaction.atomic
def order_cancel(*, order: Order, actor: User | None = None, note: str = "") -> Order:
    """Cancel an order still awaiting payment (the shopper changed their mind)."""
    User.objects.select_for_update().filter(pk=order.user_id).first()
    order = Order.objects.select_for_update().get(pk=order.pk)
    return order_cancel_locked(order=order, actor=actor, actor_label="shopper" if actor else "system", note=note)


def orders_expire_stale(*, older_than: timedelta | None = None) -> int:
    """Expire orders that have waited for payment longer than the payment timeout.
    Safe to run concurrently and repeatedly."""
    timeout = older_than or timedelta(
        minutes=getattr(settings, "PAYMENT_TIMEOUT_MINUTES", DEFAULT_PAYMENT_TIMEOUT_MINUTES)
    )
    cutoff = timezone.now() - timeout
    expired = 0
    stale = Order.objects.filter(status=Order.Status.PENDING_PAYMENT, created_at__lt=cutoff).order_by("pk")
    for order_id, user_id in stale.values_list("pk", "user_id")[:1000]:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user_id).first()
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.status != Order.Status.PENDING_PAYMENT:
                continue
            order_transition(order=order, to_status=Order.Status.EXPIRED, actor_label="task:expiry")
            payment = Payment.objects.select_for_update().filter(order=order).first()
            if payment is not None and payment.status == Payment.Status.CREATED:
                payment_transition(payment=payment, to_status=Payment.Status.CANCELLED, actor_label="task:expiry")
                _provider_cancel_queue(payment=payment)
            expired += 1
    return expired


def payment_provider_cancel(*, payment_id: int) -> None:
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is not None and payment.provider_ref:
        provider_get(payment.provider).payment_cancel(payment=payment)
