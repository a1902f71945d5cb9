"""Writes of the commerce app, split along its seams.

- ``cart``: cart lines, anonymous carts, merge at login
- ``cart_coupons``: coupon codes entered in the cart
- ``order_promotions``: what checkout, capture, abandonment and refunds tell promotions
- ``checkout``: cart → order + payment, idempotently
- ``payments``: webhooks, capture, failure, cancellation, expiry
- ``refunds``: full, per line, per bundle item
- ``entitlements``: grant on payment, revoke on refund
- ``transitions``: the state machines' moves and their event rows
- ``sandbox``: the built-in provider's hosted-page actions
"""

from commerce.services.cart import (
    cart_add,
    cart_clear,
    cart_find,
    cart_get_or_create,
    cart_line_remove,
    cart_line_set_quantity,
    cart_merge,
    cart_merge_at_login,
    variant_purchase_check,
)
from commerce.services.cart_coupons import cart_coupon_apply, cart_coupon_remove
from commerce.services.checkout import (
    CheckoutLine,
    CheckoutResult,
    checkout_create,
    checkout_lines_from_cart,
    payment_session_ensure,
)
from commerce.services.payments import (
    WebhookResult,
    order_cancel,
    orders_expire_stale,
    payment_refund_late,
    webhook_receive,
)
from commerce.services.refunds import RefundTarget, refund_complete, refund_create

__all__ = [
    "CheckoutLine",
    "CheckoutResult",
    "RefundTarget",
    "WebhookResult",
    "cart_add",
    "cart_clear",
    "cart_coupon_apply",
    "cart_coupon_remove",
    "cart_find",
    "cart_get_or_create",
    "cart_line_remove",
    "cart_line_set_quantity",
    "cart_merge",
    "cart_merge_at_login",
    "checkout_create",
    "checkout_lines_from_cart",
    "order_cancel",
    "orders_expire_stale",
    "payment_refund_late",
    "payment_session_ensure",
    "refund_complete",
    "refund_create",
    "variant_purchase_check",
    "webhook_receive",
]
