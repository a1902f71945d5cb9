"""Carts, orders and their lines, payments, refunds and entitlements.

Money is ``Decimal`` (``core.money``). Every order, payment and refund moves
through an explicit state machine (``commerce.states``) and leaves one
append-only event row per transition.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from catalog.models import Product, Variant
from core.models import AppendOnlyModel
from core.money import CurrencyField, MoneyField
from users.models import Partner

MAX_PRINT_QUANTITY = 99


# --- Cart ---------------------------------------------------------------------


class Cart(models.Model):
    """A shopper's cart: a logged-in user's (one each) or an anonymous visitor's,
    found through ``token`` kept in their session (the session key itself
    changes at login, the token does not)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="cart"
    )
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self) -> str:
        return f"cart of {self.user}" if self.user_id else f"anonymous cart {self.token}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_line_unique_variant"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_PRINT_QUANTITY), name="cart_line_quantity_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id}"


MAX_CART_COUPONS = 5


class CartCoupon(models.Model):
    """A coupon code the shopper entered in their cart, kept until they remove it or an order uses it.

    The cart is priced with every code held here (``commerce.selectors.cart_summary``);
    a code that does not apply stays visible with the reason, and checkout refuses
    to charge while it is there (the shopper removes it or changes the cart)."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="coupons")
    # Normalised (upper case, trimmed) as promotions stores its codes.
    code = models.CharField(_("coupon code"), max_length=32)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coupon code in a cart")
        verbose_name_plural = _("coupon codes in carts")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "code"], name="cart_coupon_unique_code"),
            models.CheckConstraint(condition=~Q(code="") & Q(code=Upper("code")), name="cart_coupon_code_normalised"),
        ]

    def __str__(self) -> str:
        return self.code


# --- Orders -------------------------------------------------------------------


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Payment failed")
        EXPIRED = "expired", _("Expired")

    class Channel(models.TextChoices):
        WEB = "web", _("Website")
        APP = "app", _("App")
        PARTNER_API = "partner_api", _("Partner API")

    number = models.CharField(_("order number"), max_length=32, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, db_index=True
    )
    currency = CurrencyField(_("currency"))
    subtotal = MoneyField(_("subtotal"))
    discount = MoneyField(_("discount"), default=0)
    total = MoneyField(_("total"))
    # Kept by the refund services with conditional updates: never above ``total``.
    refunded_total = MoneyField(_("refunded"), default=0)
    territory = models.CharField(_("territory"), max_length=2, default="CN")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128)
    # A digest of what was asked for, so a key reused for a different checkout is refused.
    request_fingerprint = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "idempotency_key"], name="order_unique_idempotency_key_per_user"),
            models.CheckConstraint(condition=Q(subtotal__gte=0), name="order_subtotal_not_negative"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="order_discount_not_negative"),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(condition=Q(total=F("subtotal") - F("discount")), name="order_total_is_net"),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0, refunded_total__lte=F("total")),
                name="order_refunded_within_total",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending_payment",
                        "paid",
                        "partially_refunded",
                        "refunded",
                        "cancelled",
                        "failed",
                        "expired",
                    ]
                ),
                name="order_status_known",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def refundable_total(self) -> Decimal:
        return self.total - self.refunded_total


class OrderLine(models.Model):
    """One variant bought, with the price it was bought at and where the sale came from.

    ``list_price`` is the line's price before discount (unit price × quantity),
    ``discount`` what bundle offers and coupons took off it (the order's
    ``discount`` is the sum of its lines' to the cent), ``price_paid`` what the
    shopper paid for the line. ``line_ref`` names the line to promotions
    (redemptions, campaign conversions and referral commissions carry it).
    ``attribution`` says where the sale came from and which promotions priced
    it; its keys are documented and checked by
    ``commerce.attribution.ORDER_LINE_ATTRIBUTION_SCHEMA`` (campaign_id,
    campaign_discount, campaign_reason, coupon_codes, offer_ids, touches, utm,
    referral_code). The recommendation that led to the sale has its own columns."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_ref = models.CharField(_("line reference"), max_length=64, blank=True, default="", editable=False)
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="order_lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    owner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="order_lines")
    format = models.CharField(_("format"), max_length=10, choices=Variant.Format.choices)
    title = models.CharField(_("title"), max_length=255)
    sku = models.CharField(_("SKU"), max_length=64)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    unit_price = MoneyField(_("unit price"))
    list_price = MoneyField(_("list price"))
    discount = MoneyField(_("discount"), default=0)
    price_paid = MoneyField(_("price paid"))
    refunded_amount = MoneyField(_("refunded"), default=0)
    attribution = models.JSONField(_("attribution"), default=dict, blank=True)
    recommendation_model_version = models.CharField(max_length=64, null=True, blank=True)
    recommendation_slot = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "variant"], name="order_line_unique_variant"),
            models.UniqueConstraint(fields=["line_ref"], condition=~Q(line_ref=""), name="order_line_unique_ref"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_PRINT_QUANTITY), name="order_line_quantity_range"
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_line_unit_price_not_negative"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="order_line_discount_not_negative"),
            models.CheckConstraint(
                condition=Q(price_paid__gte=0, price_paid__lte=F("list_price")),
                name="order_line_paid_within_list_price",
            ),
            models.CheckConstraint(
                condition=Q(price_paid=F("list_price") - F("discount")), name="order_line_paid_is_net"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("price_paid")),
                name="order_line_refunded_within_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.title} ({self.format})"


class OrderLineItem(models.Model):
    """One item of a bundle line: the bundle's price paid, and its list price, split
    across its items pro rata to their standalone prices (largest remainder, so the
    shares add up to the line's ``price_paid`` and ``list_price`` exactly). Refunds
    of one bundle item and the share of each item's owner are read from here."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    format = models.CharField(_("format"), max_length=10, choices=Variant.Format.choices)
    title = models.CharField(_("title"), max_length=255)
    standalone_price = MoneyField(_("standalone price"))
    share = MoneyField(_("share of price paid"))
    list_share = MoneyField(_("share of list price"))
    refunded_amount = MoneyField(_("refunded"), default=0)

    class Meta:
        verbose_name = _("bundle item bought")
        verbose_name_plural = _("bundle items bought")
        ordering = ["line_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["line", "variant"], name="order_line_item_unique_variant"),
            models.CheckConstraint(condition=Q(share__gte=0), name="order_line_item_share_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("share")),
                name="order_line_item_refunded_within_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} ∋ {self.title}"


class OrderEvent(AppendOnlyModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who or what moved the order when it was not a person: "webhook:sandbox", "task:expiry", "system".
    actor_label = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '∅'} → {self.to_status}"


# --- Payments -----------------------------------------------------------------


class Payment(models.Model):
    """The one payment of an order, made through a provider's hosted page."""

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="payment")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.CharField(_("provider"), max_length=32)
    # The provider's reference for the payment (trade number, payment intent id).
    provider_ref = models.CharField(_("provider reference"), max_length=128, null=True, blank=True)
    redirect_url = models.CharField(_("payment page"), max_length=1000, blank=True)
    return_url = models.CharField(_("return URL"), max_length=1000, blank=True)
    amount = MoneyField(_("amount"))
    currency = CurrencyField(_("currency"))
    refunded_amount = MoneyField(_("refunded"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CREATED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_ref"],
                condition=Q(provider_ref__isnull=False),
                name="payment_unique_provider_ref",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("amount")),
                name="payment_refunded_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_ref or self.public_id} ({self.status})"


class PaymentEvent(AppendOnlyModel):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor_label = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_status or '∅'} → {self.to_status}"


class WebhookDelivery(models.Model):
    """Every accepted webhook event, once: a replayed event id hits the unique
    constraint and changes nothing."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    kind = models.CharField(max_length=64)
    payment = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="webhooks")
    payload = models.JSONField(default=dict)
    outcome = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_delivery_unique_event"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} ({self.kind})"


# --- Refunds ------------------------------------------------------------------


class Refund(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128)
    amount = MoneyField(_("amount"))
    currency = CurrencyField(_("currency"))
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider_ref = models.CharField(max_length=128, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "idempotency_key"], name="refund_unique_idempotency_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} {self.currency} of {self.order_id} ({self.status})"


class RefundLine(models.Model):
    """What one refund gives back: a whole order line, or one item of a bundle line."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="refund_lines")
    item = models.ForeignKey(
        OrderLineItem, on_delete=models.PROTECT, null=True, blank=True, related_name="refund_lines"
    )
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("refund line")
        verbose_name_plural = _("refund lines")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="refund_line_amount_not_negative")]

    def __str__(self) -> str:
        return f"{self.refund_id}: {self.amount}"


class RefundEvent(AppendOnlyModel):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("refund event")
        verbose_name_plural = _("refund events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.refund_id}: {self.from_status or '∅'} → {self.to_status}"


# --- Entitlements -------------------------------------------------------------


class Entitlement(models.Model):
    """A user's right to use a product, granted by a paid order line and revoked by its refund.

    A bundle line grants its bundle product and each digital item's product.
    At most one active entitlement per (user, product)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entitlements")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="entitlements")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="entitlements")
    line_item = models.ForeignKey(
        OrderLineItem, on_delete=models.PROTECT, null=True, blank=True, related_name="entitlements"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="revoked")

    class Meta:
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "product"],
                condition=Q(revoked_at__isnull=True),
                name="entitlement_one_active_per_product",
            ),
            models.UniqueConstraint(fields=["order_line", "product"], name="entitlement_once_per_line_product"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=F("granted_at")),
                name="entitlement_revoked_after_granted",
            ),
        ]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.product_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
