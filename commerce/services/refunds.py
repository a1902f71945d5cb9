"""Refunds: whole orders, single lines, or one item of a bundle.

The amount is reserved (added to the order's, line's, item's and payment's
refunded totals by conditional updates that the database's check constraints
back up) before the provider is asked, and released if the provider declines.
So concurrent refunds can never give back more than was paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commerce.errors import RefundExceedsPaid, RefundInvalid
from commerce.models import Order, OrderLine, OrderLineItem, Payment, Refund, RefundEvent, RefundLine
from commerce.payments.registry import provider_get
from commerce.services.entitlements import entitlements_revoke
from commerce.services.order_promotions import order_promotions_refunded
from commerce.services.transitions import order_transition, payment_transition, refund_transition
from commerce.signals import order_refunded
from commerce.states import ORDER_PAID_STATUSES
from core.errors import NotAllowed
from core.money import money_quantize
from users.models import User

DEFAULT_REFUND_WINDOW_DAYS = 14
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class RefundTarget:
    """A whole order line, or (``item``) one item of a bundle line."""

    line: OrderLine
    item: OrderLineItem | None = None


def refund_policy_check(*, order: Order, requested_by: User | None) -> None:
    """Staff may refund any paid order; a shopper their own, within the refund window."""
    if requested_by is None or requested_by.is_staff:
        return
    if requested_by.pk != order.user_id:
        raise NotAllowed(_("You can only ask for refunds of your own orders."))
    window = timedelta(days=getattr(settings, "REFUND_WINDOW_DAYS", DEFAULT_REFUND_WINDOW_DAYS))
    if order.paid_at is None or timezone.now() - order.paid_at > window:
        raise NotAllowed(
            _("Refunds can be requested within %(days)d days of payment. Contact support for help.")
            % {"days": window.days},
            code="refund_window_closed",
        )


def refund_create(
    *,
    order: Order,
    reason: str,
    idempotency_key: str,
    requested_by: User | None,
    targets: Sequence[RefundTarget] | None = None,
) -> Refund:
    """Refund ``targets`` of ``order`` (everything not yet refunded when ``None``).

    Idempotent on (order, ``idempotency_key``): a repeat returns the first
    refund. On success the refunded items' entitlements are revoked, the order
    becomes refunded or partially refunded, and ``order_refunded`` is sent.
    Must not run inside an outer transaction (the provider is called between
    two transactions)."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 128:
        raise RefundInvalid(_("A refund needs an idempotency key of 1 to 128 characters."), code="idempotency_key")
    existing = Refund.objects.filter(order=order, idempotency_key=key).first()
    if existing is not None:
        return existing
    reason = (reason or "").strip()
    if not reason:
        raise RefundInvalid(_("Say why the refund is given."), code="reason_required")
    if order.status not in ORDER_PAID_STATUSES:
        raise RefundInvalid(
            _("Order %(number)s has not been paid, so there is nothing to refund.") % {"number": order.number},
            code="not_paid",
        )
    refund_policy_check(order=order, requested_by=requested_by)
    try:
        refund = _refund_reserve(
            order=order, reason=reason[:MAX_REASON_LENGTH], key=key, requested_by=requested_by, targets=targets
        )
    except IntegrityError:
        # The same key, at the same moment, from another request.
        existing = Refund.objects.filter(order=order, idempotency_key=key).first()
        if existing is None:
            raise
        return existing
    if refund.status != Refund.Status.REQUESTED:
        return refund
    payment = refund.payment
    try:
        result = provider_get(payment.provider).refund_create(
            payment=payment, amount=refund.amount, reference=str(refund.public_id)
        )
    except Exception as exc:  # the provider is unreachable: the refund fails, the reservation is released
        return refund_complete(refund=refund, succeeded=False, message=f"provider error: {exc}", actor=requested_by)
    return refund_complete(
        refund=refund,
        succeeded=result.succeeded,
        provider_ref=result.provider_ref,
        message=result.message,
        actor=requested_by,
    )


def _targets_expand(
    *, order: Order, targets: Sequence[RefundTarget] | None
) -> list[tuple[OrderLine, OrderLineItem | None, Decimal]]:
    """(line, item, amount still refundable) for each part refunded; bundle lines split
    into their items. A target named explicitly that has nothing left is refused."""
    lines = {line.pk: line for line in order.lines.prefetch_related("items").order_by("pk")}
    explicit = targets is not None
    chosen_targets = targets if targets is not None else [RefundTarget(line=line) for line in lines.values()]
    parts: list[tuple[OrderLine, OrderLineItem | None, Decimal]] = []
    seen: set[tuple[int, int | None]] = set()
    for target in chosen_targets:
        line = lines.get(target.line.pk)
        if line is None:
            raise RefundInvalid(_("That item is not part of order %(number)s.") % {"number": order.number})
        items = list(line.items.all())
        chosen: list[OrderLineItem | None]
        if target.item is not None:
            item = next((i for i in items if i.pk == target.item.pk), None)
            if item is None:
                raise RefundInvalid(_("That item is not part of «%(title)s».") % {"title": line.title})
            chosen = [item]
        else:
            chosen = list(items) if items else [None]
        found = False
        for part in chosen:
            marker = (line.pk, part.pk if part is not None else None)
            if marker in seen:
                continue
            seen.add(marker)
            remaining = (
                (part.share - part.refunded_amount) if part is not None else line.price_paid - line.refunded_amount
            )
            if remaining > 0:
                parts.append((line, part, money_quantize(remaining)))
                found = True
        if explicit and not found:
            title = target.item.title if target.item is not None else line.title
            raise RefundInvalid(_("«%(title)s» has already been refunded.") % {"title": title}, code="already_refunded")
    return parts


def _refunded_add(*, model: type[models.Model], pk: int, field: str, limit: str, delta: Decimal) -> bool:
    """Add ``delta`` (negative to release) to a refunded total, exactly: the new total is computed
    in Python with Decimal (SQLite would add the decimals as floats and miss by a hair), kept within
    0 … ``limit``, and written only if the row still holds the value read, so a concurrent change
    (the caller holds the order's row lock, which every refund takes first) can never be overwritten.
    False when the total would leave its bounds or the row changed."""
    row = model._default_manager.filter(pk=pk).values(field, limit).first()
    if row is None:
        return False
    current, cap = Decimal(row[field]), Decimal(row[limit])
    new = money_quantize(current + delta)
    if new < 0 or new > cap:
        return False
    return bool(model._default_manager.filter(pk=pk, **{field: current}).update(**{field: new}))


@transaction.atomic
def _refund_reserve(
    *,
    order: Order,
    reason: str,
    key: str,
    requested_by: User | None,
    targets: Sequence[RefundTarget] | None,
) -> Refund:
    User.objects.select_for_update().filter(pk=order.user_id).first()
    order = Order.objects.select_for_update().get(pk=order.pk)
    existing = Refund.objects.filter(order=order, idempotency_key=key).first()
    if existing is not None:
        return existing
    if order.status not in ORDER_PAID_STATUSES:
        raise RefundInvalid(
            _("Order %(number)s has not been paid, so there is nothing to refund.") % {"number": order.number},
            code="not_paid",
        )
    payment = Payment.objects.select_for_update().get(order=order)
    parts = _targets_expand(order=order, targets=targets)
    amount = money_quantize(sum((p[2] for p in parts), Decimal(0)))
    if not parts or amount <= 0:
        raise RefundInvalid(
            _("Everything in order %(number)s has already been refunded.") % {"number": order.number},
            code="already_refunded",
        )
    # Reserve with conditional updates: each fails (0 rows) rather than exceed what was paid.
    if not _refunded_add(model=Order, pk=order.pk, field="refunded_total", limit="total", delta=amount):
        raise RefundExceedsPaid(_("This refund would exceed the amount paid for the order."))
    if not _refunded_add(model=Payment, pk=payment.pk, field="refunded_amount", limit="amount", delta=amount):
        raise RefundExceedsPaid(_("This refund would exceed the amount paid for the order."))
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        idempotency_key=key,
        amount=amount,
        currency=order.currency,
        reason=reason,
        requested_by=requested_by if requested_by is not None and requested_by.is_authenticated else None,
    )
    for line, item, part_amount in parts:
        if item is not None and not _refunded_add(
            model=OrderLineItem, pk=item.pk, field="refunded_amount", limit="share", delta=part_amount
        ):
            raise RefundExceedsPaid(_("«%(title)s» has already been refunded.") % {"title": item.title})
        if not _refunded_add(
            model=OrderLine, pk=line.pk, field="refunded_amount", limit="price_paid", delta=part_amount
        ):
            raise RefundExceedsPaid(_("«%(title)s» has already been refunded.") % {"title": line.title})
        RefundLine.objects.create(refund=refund, order_line=line, item=item, amount=part_amount)
    RefundEvent.objects.create(refund=refund, to_status=refund.status, actor=refund.requested_by, note=reason)
    return refund


@transaction.atomic
def refund_complete(
    *, refund: Refund, succeeded: bool, provider_ref: str = "", message: str = "", actor: User | None = None
) -> Refund:
    """Record the provider's answer. Success revokes the refunded items and moves the
    order; failure releases the reserved amounts. A refund already completed is returned as is."""
    User.objects.select_for_update().filter(pk=refund.order.user_id).first()
    order = Order.objects.select_for_update().get(pk=refund.order_id)
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != Refund.Status.REQUESTED:
        return refund
    refund_lines = list(refund.lines.select_related("order_line", "item").order_by("pk"))
    if not succeeded:
        _refunded_add(model=Order, pk=order.pk, field="refunded_total", limit="total", delta=-refund.amount)
        _refunded_add(model=Payment, pk=payment.pk, field="refunded_amount", limit="amount", delta=-refund.amount)
        for rl in refund_lines:
            _refunded_add(
                model=OrderLine, pk=rl.order_line_id, field="refunded_amount", limit="price_paid", delta=-rl.amount
            )
            if rl.item_id is not None:
                _refunded_add(
                    model=OrderLineItem, pk=rl.item_id, field="refunded_amount", limit="share", delta=-rl.amount
                )
        Refund.objects.filter(pk=refund.pk).update(failure_message=message[:500])
        return refund_transition(refund=refund, to_status=Refund.Status.FAILED, actor=actor, note=message)

    Refund.objects.filter(pk=refund.pk).update(provider_ref=provider_ref[:128])
    refund.provider_ref = provider_ref[:128]
    refund_transition(refund=refund, to_status=Refund.Status.SUCCEEDED, actor=actor, note=message)
    by_line: dict[int, list[RefundLine]] = {}
    for rl in refund_lines:
        by_line.setdefault(rl.order_line_id, []).append(rl)
    refunded_lines = []
    for rls in by_line.values():
        line = rls[0].order_line
        items = [rl.item for rl in rls if rl.item is not None]
        line.refresh_from_db(fields=["refunded_amount", "price_paid"])
        whole_line = line.refunded_amount >= line.price_paid
        entitlements_revoke(refund=refund, line=line, items=None if whole_line else items)
        refunded_lines.append(line)
    order.refresh_from_db()
    fully = order.refunded_total >= order.total
    order_promotions_refunded(order=order, lines=refunded_lines, fully=fully)
    order_transition(
        order=order,
        to_status=Order.Status.REFUNDED if fully else Order.Status.PARTIALLY_REFUNDED,
        actor=actor,
        actor_label="refund",
        note=f"refund {refund.amount} {refund.currency}: {refund.reason}",
    )
    payment.refresh_from_db()
    payment_transition(
        payment=payment,
        to_status=Payment.Status.REFUNDED
        if payment.refunded_amount >= payment.amount
        else Payment.Status.PARTIALLY_REFUNDED,
        actor_label="refund",
        note=str(refund.public_id),
    )
    refund.order = order
    transaction.on_commit(lambda: order_refunded.send(sender=Refund, refund=refund))
    return refund
