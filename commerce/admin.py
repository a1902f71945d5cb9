"""Staff views of orders, payments, refunds and entitlements.

Money and history are read-only here: orders change only through the
services (payments by webhook, refunds by the refund action), so the event
rows always tell the whole story.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from commerce.models import (
    Cart,
    CartCoupon,
    CartLine,
    Entitlement,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentEvent,
    Refund,
    RefundEvent,
    RefundLine,
    WebhookDelivery,
)
from commerce.services import RefundTarget, refund_create
from core.errors import DomainError
from users.models import User


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    readonly_fields = (
        "title",
        "format",
        "sku",
        "quantity",
        "unit_price",
        "list_price",
        "discount",
        "price_paid",
        "refunded_amount",
    )
    fields = readonly_fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    readonly_fields = (
        "at",
        "from_status",
        "to_status",
        "actor",
        "actor_label",
        "note",
    )
    fields = readonly_fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    readonly_fields = (
        "provider",
        "provider_ref",
        "status",
        "amount",
        "currency",
        "refunded_amount",
        "succeeded_at",
    )
    fields = readonly_fields
    show_change_link = True


class RefundInline(ReadOnlyInline):
    model = Refund
    readonly_fields = (
        "created_at",
        "status",
        "amount",
        "currency",
        "reason",
        "requested_by",
    )
    fields = readonly_fields
    show_change_link = True


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    list_display = [
        "number",
        "user",
        "status",
        "total",
        "refunded_total",
        "currency",
        "channel",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "channel", "currency", "territory"]
    search_fields = ["number", "user__email", "idempotency_key"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    inlines = [OrderLineInline, PaymentInline, RefundInline, OrderEventInline]
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin[OrderLine]):
    """Order lines, with the action that refunds them."""

    list_display = ["order", "title", "format", "quantity", "discount", "price_paid", "refunded_amount", "owner"]
    list_filter = ["format", "owner"]
    search_fields = ["order__number", "title", "sku", "line_ref"]
    list_select_related = ["order", "owner"]
    readonly_fields = [f.name for f in OrderLine._meta.fields]
    actions = ["refund_lines"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Refund the selected lines (what is not refunded yet)"), permissions=["change"])
    def refund_lines(self, request: HttpRequest, queryset: QuerySet[OrderLine]) -> None:
        staff = request.user if isinstance(request.user, User) else None
        by_order: dict[int, list[OrderLine]] = {}
        for line in queryset.select_related("order").order_by("order_id", "pk"):
            by_order.setdefault(line.order_id, []).append(line)
        for lines in by_order.values():
            order = lines[0].order
            try:
                refund = refund_create(
                    order=order,
                    reason=str(_("Refunded by staff in the admin")),
                    idempotency_key=f"admin-{uuid.uuid4().hex}",
                    requested_by=staff,
                    targets=[RefundTarget(line=line) for line in lines],
                )
            except DomainError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", level=messages.ERROR)
                continue
            level = messages.SUCCESS if refund.status == Refund.Status.SUCCEEDED else messages.WARNING
            self.message_user(
                request,
                f"{order.number}: {refund.amount} {refund.currency} — {refund.get_status_display()}",
                level=level,
            )


class PaymentEventInline(ReadOnlyInline):
    model = PaymentEvent
    readonly_fields = (
        "at",
        "from_status",
        "to_status",
        "actor_label",
        "note",
    )
    fields = readonly_fields


class WebhookInline(ReadOnlyInline):
    model = WebhookDelivery
    readonly_fields = (
        "received_at",
        "event_id",
        "kind",
        "outcome",
    )
    fields = readonly_fields


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin[Payment]):
    list_display = [
        "order",
        "provider",
        "provider_ref",
        "status",
        "amount",
        "refunded_amount",
        "currency",
        "created_at",
    ]
    list_filter = ["provider", "status", "currency"]
    search_fields = ["order__number", "provider_ref", "public_id"]
    list_select_related = ["order"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    inlines = [PaymentEventInline, WebhookInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RefundLineInline(ReadOnlyInline):
    model = RefundLine
    readonly_fields = (
        "order_line",
        "item",
        "amount",
    )
    fields = readonly_fields


class RefundEventInline(ReadOnlyInline):
    model = RefundEvent
    readonly_fields = (
        "at",
        "from_status",
        "to_status",
        "actor",
        "note",
    )
    fields = readonly_fields


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin[Refund]):
    list_display = ["order", "status", "amount", "currency", "reason", "requested_by", "created_at", "completed_at"]
    list_filter = ["status", "currency"]
    search_fields = ["order__number", "reason", "public_id"]
    list_select_related = ["order", "requested_by"]
    readonly_fields = [f.name for f in Refund._meta.fields]
    inlines = [RefundLineInline, RefundEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Entitlement)
class EntitlementAdmin(admin.ModelAdmin[Entitlement]):
    list_display = ["user", "product", "order_line", "granted_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__email", "product__title", "order_line__order__number"]
    list_select_related = ["user", "product", "order_line__order"]
    readonly_fields = [f.name for f in Entitlement._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    list_display = ["received_at", "provider", "event_id", "kind", "outcome", "payment"]
    list_filter = ["provider", "kind", "outcome"]
    search_fields = ["event_id"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["variant"]


class CartCouponInline(admin.TabularInline):
    model = CartCoupon
    extra = 0
    fields = ["code", "added_at"]
    readonly_fields = ["code", "added_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin[Cart]):
    list_display = ["pk", "user", "created_at", "updated_at"]
    search_fields = ["user__email", "token"]
    readonly_fields = ["token", "created_at", "updated_at"]
    raw_id_fields = ["user"]
    inlines = [CartLineInline, CartCouponInline]
