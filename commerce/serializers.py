"""Shapes of the commerce API: carts, checkout, orders, refunds, library, reviews."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Product, Review, Variant
from commerce.attribution import ORDER_LINE_ATTRIBUTION_SCHEMA, schema_for_openapi_3_0
from commerce.models import (
    Entitlement,
    Order,
    OrderEvent,
    OrderLine,
    OrderLineItem,
    Payment,
    Refund,
    RefundLine,
)
from commerce.selectors import CartCodeProblem, CartLineView, CartSummary
from promotions.serializers import AdjustmentSerializer, BilingualSerializer


class ProductBriefSerializer(serializers.ModelSerializer[Product]):
    owner = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = Product
        fields = ["id", "kind", "title", "subtitle", "slug", "language", "cover_url", "owner"]
        read_only_fields = fields


class VariantBriefSerializer(serializers.ModelSerializer[Variant]):
    class Meta:
        model = Variant
        fields = ["id", "sku", "format", "isbn13", "price", "currency"]
        read_only_fields = fields


# --- Cart ---------------------------------------------------------------------


class CartLineSerializer(serializers.Serializer[CartLineView]):
    id = serializers.IntegerField(source="line.pk")
    variant = VariantBriefSerializer()
    product = ProductBriefSerializer()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Current price of one unit.")
    line_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    available = serializers.BooleanField(help_text="False when it cannot be sold in the territory now.")
    owned = serializers.BooleanField(help_text="True when the shopper already owns it (alone or in a bundle).")
    offer_discount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="What bundle offers take off this line."
    )
    coupon_discount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="What the coupons entered take off this line."
    )
    discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="line_total less discount.")


class CartCodeProblemSerializer(serializers.Serializer[CartCodeProblem]):
    code = serializers.CharField()
    reason = serializers.CharField(
        help_text="no_items, min_spend, incomplete_set, no_saving, not_combinable, currency, login_required, "
        "expired, used_up, already_used, first_order_only, territory, inactive, not_yet_valid, unknown, duplicate."
    )
    message = BilingualSerializer(help_text="Why the code gives no discount, in Chinese and English.")
    blocks_checkout = serializers.BooleanField(
        help_text="True when checkout would refuse while the code is in the cart (remove it, or change the cart)."
    )


class CartSerializer(serializers.Serializer[CartSummary]):
    lines = CartLineSerializer(many=True)
    subtotal = serializers.DecimalField(max_digits=14, decimal_places=2)
    offer_discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    coupon_discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Line discounts added up.")
    total = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="What checkout would charge now.")
    currency = serializers.CharField()
    territory = serializers.CharField()
    count = serializers.IntegerField()
    codes = serializers.ListField(child=serializers.CharField(), help_text="Coupon codes entered, in order.")
    applied_codes = serializers.ListField(child=serializers.CharField(), help_text="Codes that discount the cart.")
    adjustments = AdjustmentSerializer(
        many=True,
        help_text="Each bundle offer and coupon applied; line_amounts maps a cart line id to its part.",
    )
    rejected_codes = CartCodeProblemSerializer(source="code_problems", many=True)
    explanation = BilingualSerializer(
        allow_null=True, help_text="Why the cart costs what it does: the discounts chosen and the codes left out."
    )
    can_check_out = serializers.BooleanField()


class CartCouponSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=40, help_text="The coupon code, as printed (case does not matter).")


class CartAddSerializer(serializers.Serializer[Any]):
    variant_id = serializers.IntegerField(required=False)
    sku = serializers.CharField(required=False, max_length=64)
    quantity = serializers.IntegerField(default=1, min_value=1, max_value=99)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        lookup = (
            {"pk": attrs["variant_id"]} if "variant_id" in attrs else {"sku": attrs["sku"]} if "sku" in attrs else None
        )
        if lookup is None:
            raise serializers.ValidationError({"variant_id": [_("Name the item to add by variant_id or sku.")]})
        variant = Variant.objects.select_related("product").filter(**lookup).first()
        if variant is None:
            raise serializers.ValidationError({"variant_id": [_("There is no such item in the catalogue.")]})
        attrs["variant"] = variant
        return attrs


class CartLineUpdateSerializer(serializers.Serializer[Any]):
    quantity = serializers.IntegerField(min_value=1, max_value=99)


# --- Orders -------------------------------------------------------------------


class OrderLineItemSerializer(serializers.ModelSerializer[OrderLineItem]):
    class Meta:
        model = OrderLineItem
        fields = ["id", "variant_id", "product_id", "title", "format", "standalone_price", "share", "refunded_amount"]
        read_only_fields = fields


@extend_schema_field(schema_for_openapi_3_0(ORDER_LINE_ATTRIBUTION_SCHEMA))
class AttributionField(serializers.JSONField):
    """``OrderLine.attribution``: its JSON Schema is published as is."""


class OrderLineSerializer(serializers.ModelSerializer[OrderLine]):
    items = OrderLineItemSerializer(many=True, read_only=True)
    product_slug = serializers.CharField(source="product.slug", read_only=True)
    attribution = AttributionField(read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "variant_id",
            "product_id",
            "product_slug",
            "title",
            "format",
            "sku",
            "quantity",
            "unit_price",
            "list_price",
            "discount",
            "price_paid",
            "refunded_amount",
            "attribution",
            "items",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    class Meta:
        model = Payment
        fields = ["public_id", "provider", "status", "amount", "currency", "refunded_amount", "redirect_url"]
        read_only_fields = fields


class OrderEventSerializer(serializers.ModelSerializer[OrderEvent]):
    class Meta:
        model = OrderEvent
        fields = ["from_status", "to_status", "note", "at"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer[Order]):
    lines = OrderLineSerializer(many=True, read_only=True)
    payment = PaymentSerializer(read_only=True)

    class Meta:
        model = Order
        fields = [
            "number",
            "status",
            "currency",
            "subtotal",
            "discount",
            "total",
            "refunded_total",
            "territory",
            "channel",
            "created_at",
            "paid_at",
            "lines",
            "payment",
        ]
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    events = OrderEventSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "events"]
        read_only_fields = fields


# --- Checkout -----------------------------------------------------------------


class CheckoutSerializer(serializers.Serializer[Any]):
    territory = serializers.CharField(default="CN", max_length=2, min_length=2)
    channel = serializers.ChoiceField(choices=[Order.Channel.WEB, Order.Channel.APP], default=Order.Channel.WEB)
    provider = serializers.CharField(required=False, max_length=32)
    return_url = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    idempotency_key = serializers.CharField(
        required=False,
        max_length=128,
        help_text="Or send the Idempotency-Key header. The same key returns the first checkout's result.",
    )
    attribution = serializers.DictField(
        required=False,
        help_text="What the app knows of where the sale came from: utm (object of utm_source, utm_medium, "
        "utm_campaign, utm_content, utm_term) and referral_code. Taken as the shopper's latest visit; the "
        "campaign is worked out from the order's promotions.",
    )
    coupon_codes = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=5,
        help_text="Coupon codes to use; leave out to use the codes entered in the cart.",
    )


class CheckoutResultSerializer(serializers.Serializer[Any]):
    order = OrderSerializer()
    payment = PaymentSerializer()
    redirect_url = serializers.CharField(help_text="Send the shopper here to pay.")
    created = serializers.BooleanField(help_text="False when this repeats an earlier checkout with the same key.")


# --- Refunds ------------------------------------------------------------------


class RefundTargetSerializer(serializers.Serializer[Any]):
    line_id = serializers.IntegerField()
    item_id = serializers.IntegerField(required=False, help_text="One item of a bundle line.")


class RefundRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)
    lines = RefundTargetSerializer(
        many=True, required=False, help_text="What to refund; leave out to refund everything not yet refunded."
    )
    idempotency_key = serializers.CharField(required=False, max_length=128)


class RefundLineSerializer(serializers.ModelSerializer[RefundLine]):
    class Meta:
        model = RefundLine
        fields = ["order_line_id", "item_id", "amount"]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer[Refund]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    lines = RefundLineSerializer(many=True, read_only=True)

    class Meta:
        model = Refund
        fields = [
            "id",
            "status",
            "amount",
            "currency",
            "reason",
            "failure_message",
            "created_at",
            "completed_at",
            "lines",
        ]
        read_only_fields = fields


# --- Library and reviews ------------------------------------------------------


class LibraryEntrySerializer(serializers.ModelSerializer[Entitlement]):
    product = ProductBriefSerializer(read_only=True)
    order_number = serializers.CharField(source="order_line.order.number", read_only=True)
    via_bundle = serializers.SerializerMethodField()

    class Meta:
        model = Entitlement
        fields = ["product", "granted_at", "order_number", "via_bundle"]
        read_only_fields = fields

    def get_via_bundle(self, entitlement: Entitlement) -> str | None:
        """The bundle's title when the product came inside one."""
        line = entitlement.order_line
        return line.title if line.product_id != entitlement.product_id else None


class ReviewSerializer(serializers.ModelSerializer[Review]):
    product = ProductBriefSerializer(read_only=True)

    class Meta:
        model = Review
        fields = ["id", "product", "rating", "title", "body", "created_at", "updated_at"]
        read_only_fields = fields


class ReviewWriteSerializer(serializers.Serializer[Any]):
    product_id = serializers.IntegerField()
    rating = serializers.IntegerField(min_value=1, max_value=5)
    title = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")
    body = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")

    def validate_product_id(self, value: int) -> Product:
        product = Product.objects.filter(pk=value).first()
        if product is None:
            raise serializers.ValidationError(_("There is no such product."))
        return product
