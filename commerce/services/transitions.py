"""Moving orders, payments and refunds through their state machines.

Each transition is a conditional update on the row's current status (so two
racing callers cannot both make it) plus one append-only event row.
"""

from __future__ import annotations

from django.utils import timezone

from commerce.errors import InvalidTransition
from commerce.models import Order, OrderEvent, Payment, PaymentEvent, Refund, RefundEvent
from commerce.services.order_promotions import order_promotions_abandoned
from commerce.states import order_can_move, payment_can_move, refund_can_move
from users.models import User

# An order that leaves "awaiting payment" for one of these will never be paid: its coupons go back.
ABANDONED: dict[str, str] = {
    Order.Status.FAILED: "payment_failed",
    Order.Status.EXPIRED: "expired",
    Order.Status.CANCELLED: "cancelled",
}


def order_transition(
    *, order: Order, to_status: str, actor: User | None = None, actor_label: str = "", note: str = ""
) -> Order:
    """Caller holds the order row (``select_for_update``) inside a transaction.

    An unpaid order that fails, expires or is cancelled releases the coupon uses it
    held, in the same transaction (every path that closes an unpaid order comes here).
    """
    from_status = order.status
    if not order_can_move(from_status=from_status, to_status=to_status):
        raise InvalidTransition(f"order {order.number} cannot go from {from_status} to {to_status}")
    fields: dict[str, object] = {"status": to_status, "updated_at": timezone.now()}
    if to_status == Order.Status.PAID:
        fields["paid_at"] = timezone.now()
    if Order.objects.filter(pk=order.pk, status=from_status).update(**fields) != 1:
        raise InvalidTransition(f"order {order.number} changed under us (expected {from_status})")
    for name, value in fields.items():
        setattr(order, name, value)
    OrderEvent.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label[:64],
        note=note[:500],
    )
    if from_status == Order.Status.PENDING_PAYMENT and to_status in ABANDONED:
        order_promotions_abandoned(order=order, reason=ABANDONED[to_status])
    return order


def payment_transition(*, payment: Payment, to_status: str, actor_label: str = "", note: str = "") -> Payment:
    """Caller holds the payment row (``select_for_update``) inside a transaction."""
    from_status = payment.status
    if not payment_can_move(from_status=from_status, to_status=to_status):
        raise InvalidTransition(f"payment {payment.pk} cannot go from {from_status} to {to_status}")
    fields: dict[str, object] = {"status": to_status, "updated_at": timezone.now()}
    if to_status == Payment.Status.SUCCEEDED:
        fields["succeeded_at"] = timezone.now()
    if Payment.objects.filter(pk=payment.pk, status=from_status).update(**fields) != 1:
        raise InvalidTransition(f"payment {payment.pk} changed under us (expected {from_status})")
    for name, value in fields.items():
        setattr(payment, name, value)
    PaymentEvent.objects.create(
        payment=payment, from_status=from_status, to_status=to_status, actor_label=actor_label[:64], note=note[:500]
    )
    return payment


def refund_transition(*, refund: Refund, to_status: str, actor: User | None = None, note: str = "") -> Refund:
    """Caller holds the refund row (``select_for_update``) inside a transaction."""
    from_status = refund.status
    if not refund_can_move(from_status=from_status, to_status=to_status):
        raise InvalidTransition(f"refund {refund.pk} cannot go from {from_status} to {to_status}")
    fields: dict[str, object] = {"status": to_status}
    if to_status != Refund.Status.REQUESTED:
        fields["completed_at"] = timezone.now()
    if Refund.objects.filter(pk=refund.pk, status=from_status).update(**fields) != 1:
        raise InvalidTransition(f"refund {refund.pk} changed under us (expected {from_status})")
    for name, value in fields.items():
        setattr(refund, name, value)
    RefundEvent.objects.create(
        refund=refund,
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        note=note[:500],
    )
    return refund
