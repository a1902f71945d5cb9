"""Errors the commerce services raise for a shopper (or staff) to read."""

from __future__ import annotations

from core.errors import Conflict, DomainError


class NotSellable(DomainError):
    code = "not_sellable"


class AlreadyOwned(DomainError):
    code = "already_owned"


class CartInvalid(DomainError):
    code = "cart_invalid"


class CheckoutInvalid(DomainError):
    code = "checkout_invalid"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class PaymentProviderError(DomainError):
    code = "payment_provider_error"
    status_code = 502


class RefundInvalid(DomainError):
    code = "refund_invalid"


class RefundExceedsPaid(Conflict):
    code = "refund_exceeds_paid"


class WebhookRejected(DomainError):
    """A webhook that is not provably from the provider, or is too old, or malformed.
    Nothing is changed when it is raised."""

    code = "webhook_rejected"


class CouponRefused(DomainError):
    """A code the shopper entered that can never apply to their cart as it stands (unknown,
    expired, used up, ...). ``code`` is ``coupon_<reason>``; the message says why."""

    code = "coupon_refused"

    def __init__(self, message: object, *, reason: str) -> None:
        super().__init__(message, code=f"coupon_{reason}")
        self.reason = reason
        if reason in {"used_up", "already_used"}:
            self.status_code = 409


class CouponHeldByUnpaidOrder(Conflict):
    """A once-per-customer coupon is taken by the shopper's own order that still awaits payment."""

    code = "coupon_held_by_unpaid_order"
