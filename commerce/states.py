"""The state machines of orders, payments and refunds: which transitions are allowed.

A transition is made only by the ``*_transition`` services in
``commerce.services``, which check this table, update the row conditionally
on its current status and append one event row.
"""

from __future__ import annotations

from commerce.models import Order, Payment, Refund

OS = Order.Status
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OS.PENDING_PAYMENT: frozenset({OS.PAID, OS.CANCELLED, OS.FAILED, OS.EXPIRED}),
    OS.PAID: frozenset({OS.PARTIALLY_REFUNDED, OS.REFUNDED}),
    # A second partial refund keeps the order partially refunded (its event still records it).
    OS.PARTIALLY_REFUNDED: frozenset({OS.PARTIALLY_REFUNDED, OS.REFUNDED}),
    OS.REFUNDED: frozenset(),
    OS.CANCELLED: frozenset(),
    OS.FAILED: frozenset(),
    OS.EXPIRED: frozenset(),
}

PS = Payment.Status
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PS.CREATED: frozenset({PS.SUCCEEDED, PS.FAILED, PS.CANCELLED}),
    PS.SUCCEEDED: frozenset({PS.PARTIALLY_REFUNDED, PS.REFUNDED}),
    PS.PARTIALLY_REFUNDED: frozenset({PS.PARTIALLY_REFUNDED, PS.REFUNDED}),
    PS.REFUNDED: frozenset(),
    # Money that arrives after we closed a payment is recorded truthfully, then given back.
    PS.FAILED: frozenset({PS.SUCCEEDED}),
    PS.CANCELLED: frozenset({PS.SUCCEEDED}),
}

RS = Refund.Status
REFUND_TRANSITIONS: dict[str, frozenset[str]] = {
    RS.REQUESTED: frozenset({RS.SUCCEEDED, RS.FAILED}),
    RS.SUCCEEDED: frozenset(),
    RS.FAILED: frozenset(),
}

# Orders whose goods the shopper has (or had) paid for.
ORDER_PAID_STATUSES = frozenset({OS.PAID, OS.PARTIALLY_REFUNDED, OS.REFUNDED})


def order_can_move(*, from_status: str, to_status: str) -> bool:
    return to_status in ORDER_TRANSITIONS.get(from_status, frozenset())


def payment_can_move(*, from_status: str, to_status: str) -> bool:
    return to_status in PAYMENT_TRANSITIONS.get(from_status, frozenset())


def refund_can_move(*, from_status: str, to_status: str) -> bool:
    return to_status in REFUND_TRANSITIONS.get(from_status, frozenset())
