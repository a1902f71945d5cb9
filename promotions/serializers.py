"""Serializers for the promotions API: campaigns, reports, coupon validation, referral links."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from promotions.models import Campaign, CampaignPartner, ReferralLink
from promotions.pricing import Bilingual


class CampaignShareSerializer(serializers.ModelSerializer[CampaignPartner]):
    partner: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = CampaignPartner
        fields = ["partner", "cost_share_percent"]


class CampaignSerializer(serializers.ModelSerializer[Campaign]):
    shares = CampaignShareSerializer(many=True, read_only=True)
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "slug",
            "name",
            "name_en",
            "display_name",
            "status",
            "starts_at",
            "ends_at",
            "channels",
            "budget",
            "currency",
            "shares",
        ]


class PublicCampaignSerializer(serializers.ModelSerializer[Campaign]):
    display_name = serializers.CharField(read_only=True)
    landing_urls = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["slug", "display_name", "starts_at", "ends_at", "landing_urls"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_landing_urls(self, obj: Campaign) -> list[str]:
        return [p.get_absolute_url() for p in obj.landing_pages.all() if p.is_published]


class ReportDaySerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    redemptions = serializers.IntegerField()
    orders = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    discounts = serializers.DecimalField(max_digits=14, decimal_places=2)
    commissions = serializers.DecimalField(max_digits=14, decimal_places=2)
    spend = serializers.DecimalField(max_digits=14, decimal_places=2)


class PartnerCostSerializer(serializers.Serializer[Any]):
    partner = serializers.CharField()
    cost_share_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    cost = serializers.DecimalField(max_digits=14, decimal_places=2)


class CampaignReportSerializer(serializers.Serializer[Any]):
    campaign = serializers.CharField()
    currency = serializers.CharField()
    budget = serializers.DecimalField(max_digits=14, decimal_places=2)
    redemptions = serializers.IntegerField()
    orders = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    discounts = serializers.DecimalField(max_digits=14, decimal_places=2)
    commissions = serializers.DecimalField(max_digits=14, decimal_places=2)
    spend = serializers.DecimalField(max_digits=14, decimal_places=2)
    budget_left = serializers.DecimalField(max_digits=14, decimal_places=2)
    partner_costs = PartnerCostSerializer(many=True)
    days = ReportDaySerializer(many=True)


MAX_CART_ITEMS = 100


class CartItemInSerializer(serializers.Serializer[Any]):
    # Bounded to the database's id range: a larger number overflowed SQLite (a 500, found by fuzzing).
    variant_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class CouponValidateSerializer(serializers.Serializer[Any]):
    items = CartItemInSerializer(many=True, allow_empty=False)
    codes = serializers.ListField(
        child=serializers.CharField(max_length=32),
        max_length=10,
        default=list,
        help_text=_("Coupon codes the shopper entered."),
    )
    territory = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, help_text=_("ISO 3166-1 alpha-2; default CN."))

    def validate_items(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(items) > MAX_CART_ITEMS:
            raise serializers.ValidationError(_("A cart holds at most %(n)s lines.") % {"n": MAX_CART_ITEMS})
        return items


class BilingualSerializer(serializers.Serializer[Bilingual]):
    zh = serializers.CharField()
    en = serializers.CharField()


class AdjustmentSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    source_id = serializers.IntegerField()
    code = serializers.CharField()
    name = BilingualSerializer()
    campaign_id = serializers.IntegerField(allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    line_amounts = serializers.DictField(child=serializers.DecimalField(max_digits=14, decimal_places=2))
    explanation = BilingualSerializer()


class RejectionSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    reason = serializers.CharField()
    message = BilingualSerializer()


class PricedLineSerializer(serializers.Serializer[Any]):
    ref = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    subtotal = serializers.DecimalField(max_digits=14, decimal_places=2)
    offer_discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    coupon_discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


class PricedCartSerializer(serializers.Serializer[Any]):
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=14, decimal_places=2)
    offer_discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    coupon_discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    applied_codes = serializers.ListField(child=serializers.CharField())
    lines = PricedLineSerializer(many=True)
    adjustments = AdjustmentSerializer(many=True)
    rejected = RejectionSerializer(many=True)
    explanation = BilingualSerializer()


class ReferralLinkCreateSerializer(serializers.Serializer[Any]):
    product = serializers.CharField(required=False, help_text=_("The product's slug."))
    campaign = serializers.SlugField(required=False, help_text=_("The campaign's slug."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("product")) == bool(attrs.get("campaign")):
            raise serializers.ValidationError(_("Give either a product or a campaign, not both."))
        return attrs


class ReferralLinkSerializer(serializers.ModelSerializer[ReferralLink]):
    product: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    campaign: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    url = serializers.SerializerMethodField()
    commission_percent = serializers.DecimalField(
        source="programme.commission_percent", max_digits=5, decimal_places=2, read_only=True
    )
    cookie_window_days = serializers.IntegerField(source="programme.cookie_window_days", read_only=True)
    sales = serializers.IntegerField(read_only=True, default=0)
    earned = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, default=Decimal("0.00"))

    class Meta:
        model = ReferralLink
        fields = [
            "code",
            "url",
            "product",
            "campaign",
            "commission_percent",
            "cookie_window_days",
            "clicks",
            "sales",
            "earned",
            "created_at",
        ]

    def get_url(self, obj: ReferralLink) -> str:
        request = self.context.get("request")
        if obj.product is not None:
            path = _product_path(obj.product.slug)
        else:
            page = obj.campaign.landing_pages.filter(is_published=True).first() if obj.campaign else None
            path = page.get_absolute_url() if page else "/"
        url = f"{path}?ref={obj.code}"
        return request.build_absolute_uri(url) if request is not None else url


def _product_path(slug: str) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("storefront:product", kwargs={"slug": slug})
    except NoReverseMatch:
        return f"/products/{slug}/"
