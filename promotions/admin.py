"""Admin for promotions: campaigns (with cost shares, products and a report), coupons (with batch
code generation and CSV export), bundle offers, landing pages and referral programmes."""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from promotions.models import (
    Campaign,
    CampaignConversion,
    CampaignPartner,
    Coupon,
    CouponCode,
    LandingPage,
    Offer,
    Redemption,
    ReferralCommission,
    ReferralLink,
    ReferralProductRate,
    ReferralProgramme,
)
from promotions.services.campaigns import campaign_status_set
from promotions.services.coupons import coupon_codes_generate
from promotions.views import report_context


class CostShareFormSet(BaseInlineFormSet[CampaignPartner, Campaign, Any]):
    """The partners' cost shares must add up to exactly 100%."""

    def clean(self) -> None:
        super().clean()
        total = Decimal(0)
        count = 0
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            total += form.cleaned_data.get("cost_share_percent") or Decimal(0)
            count += 1
        if count == 0:
            raise ValidationError(_("A campaign needs at least one partner bearing its cost."))
        if total != Decimal(100):
            raise ValidationError(
                _("The partners' cost shares add up to %(total)s%%; they must add up to exactly 100%%."),
                params={"total": total},
            )


class CampaignPartnerInline(admin.TabularInline[CampaignPartner, Any]):
    model = CampaignPartner
    formset = CostShareFormSet
    extra = 1
    autocomplete_fields = ["partner"]


class LandingPageInline(admin.StackedInline[LandingPage, Any]):
    model = LandingPage
    extra = 0
    fields = ["slug", "hero_title", "hero_title_en", "is_published"]
    show_change_link = True


class CampaignForm(forms.ModelForm[Campaign]):
    channels = forms.MultipleChoiceField(
        label=_("channels"), choices=Campaign.Channel.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "name_en",
            "slug",
            "description",
            "status",
            "starts_at",
            "ends_at",
            "channels",
            "budget",
            "currency",
            "products",
        ]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    form = CampaignForm
    list_display = ["display_name", "slug", "status", "starts_at", "ends_at", "budget", "report_link"]
    list_filter = ["status"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    filter_horizontal = ["products"]
    inlines = [CampaignPartnerInline, LandingPageInline]
    actions = ["make_active", "make_paused", "make_ended"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description=_("report"))
    def report_link(self, obj: Campaign) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:promotions_campaign_report", args=[obj.pk]), gettext("Report")
        )

    def get_urls(self) -> list[Any]:
        return [
            path("<int:pk>/report/", self.admin_site.admin_view(self.report_view), name="promotions_campaign_report"),
            *super().get_urls(),
        ]

    def report_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        if not self.has_view_permission(request, campaign):
            raise PermissionError
        context = {**self.admin_site.each_context(request), **report_context(campaign=campaign), "title": str(campaign)}
        return TemplateResponse(request, "promotions/admin/campaign_report.html", context)

    def _move(self, request: HttpRequest, queryset: QuerySet[Campaign], status: str) -> None:
        for campaign in queryset:
            try:
                campaign_status_set(campaign=campaign, status=status)
            except DomainError as exc:
                self.message_user(request, f"{campaign}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(campaign)s is now %(status)s.")
                    % {"campaign": campaign, "status": Campaign.Status(status).label},
                )

    @admin.action(description=_("Start (or resume) the selected campaigns"))
    def make_active(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._move(request, queryset, Campaign.Status.ACTIVE)

    @admin.action(description=_("Pause the selected campaigns"))
    def make_paused(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._move(request, queryset, Campaign.Status.PAUSED)

    @admin.action(description=_("End the selected campaigns"))
    def make_ended(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._move(request, queryset, Campaign.Status.ENDED)


class CouponCodeInline(admin.TabularInline[CouponCode, Any]):
    model = CouponCode
    extra = 0
    fields = ["code", "max_uses", "used", "batch"]
    readonly_fields = ["used"]
    max_num = 200
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CouponCode]:
        # Batches can hold thousands of codes: the inline shows single codes; export the rest as CSV.
        return super().get_queryset(request).filter(batch="")


class CodeBatchForm(forms.Form):
    count = forms.IntegerField(label=_("how many codes"), min_value=1, max_value=100_000, initial=100)
    code_prefix = forms.CharField(label=_("prefix"), max_length=12, required=False)
    length = forms.IntegerField(label=_("random characters"), min_value=6, max_value=20, initial=10)
    max_uses = forms.IntegerField(label=_("uses of each code"), min_value=1, initial=1, required=False)


class CouponForm(forms.ModelForm[Coupon]):
    class Meta:
        model = Coupon
        fields = [
            "name",
            "name_en",
            "campaign",
            "kind",
            "value",
            "currency",
            "min_spend",
            "products",
            "topics",
            "partners",
            "formats",
            "territories",
            "first_order_only",
            "usage_limit",
            "per_user_limit",
            "max_units_per_order",
            "valid_from",
            "valid_to",
            "exclusive",
            "priority",
            "referral_link",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, value = data.get("kind"), data.get("value")
        if kind == Coupon.Kind.PERCENTAGE and value is not None and value > 100:
            self.add_error("value", _("A percentage coupon cannot take off more than 100%."))
        if kind == Coupon.Kind.BUNDLE_PRICE and len(data.get("products") or []) < 2:
            self.add_error("products", _("A set-price coupon needs at least two products in its set."))
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end <= start:
            self.add_error("valid_to", _("A coupon must stop being valid after it starts."))
        limit = data.get("usage_limit")
        if limit is not None and self.instance.pk and limit < self.instance.used:
            self.add_error("usage_limit", _("It has already been used %(n)s times.") % {"n": self.instance.used})
        return data


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin[Coupon]):
    form = CouponForm
    list_display = [
        "display_name",
        "campaign",
        "kind",
        "value",
        "used",
        "usage_limit",
        "valid_from",
        "valid_to",
        "exclusive",
        "priority",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "exclusive", "campaign"]
    search_fields = ["name", "name_en", "codes__code"]
    autocomplete_fields = ["campaign", "partners", "products", "topics"]
    readonly_fields = ["used", "created_at"]
    inlines = [CouponCodeInline]
    actions = ["generate_codes", "export_codes"]

    @admin.action(description=_("Generate a batch of unique codes"))
    def generate_codes(self, request: HttpRequest, queryset: QuerySet[Coupon]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, gettext("Choose exactly one coupon to generate codes for."), messages.ERROR)
            return None
        coupon = queryset.get()
        form = CodeBatchForm(request.POST if "count" in request.POST else None)
        if form.is_valid():
            try:
                codes = coupon_codes_generate(
                    coupon=coupon,
                    count=form.cleaned_data["count"],
                    prefix=form.cleaned_data["code_prefix"],
                    length=form.cleaned_data["length"],
                    max_uses=form.cleaned_data["max_uses"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    gettext("%(n)s codes were added to %(coupon)s. Export them as CSV from the list.")
                    % {"n": len(codes), "coupon": coupon},
                )
                return HttpResponseRedirect(request.get_full_path())
        return render(
            request,
            "promotions/admin/generate_codes.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "coupon": coupon,
                "title": gettext("Generate codes"),
            },
        )

    @admin.action(description=_("Export codes as CSV"))
    def export_codes(self, request: HttpRequest, queryset: QuerySet[Coupon]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="coupon-codes.csv"'
        writer = csv.writer(response)
        writer.writerow(["coupon", "code", "max_uses", "used", "batch"])
        for code in CouponCode.objects.filter(coupon__in=queryset).select_related("coupon").iterator(chunk_size=2000):
            writer.writerow([code.coupon.name, code.code, code.max_uses or "", code.used, code.batch])
        return response


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin[Offer]):
    list_display = [
        "display_name",
        "campaign",
        "kind",
        "percent_off",
        "group_size",
        "group_price",
        "valid_from",
        "valid_to",
        "priority",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "campaign"]
    search_fields = ["name", "name_en"]
    autocomplete_fields = [
        "campaign",
        "trigger_products",
        "target_products",
        "group_products",
        "group_topics",
        "group_partner",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "name_en",
                    "campaign",
                    "kind",
                    "currency",
                    "territories",
                    "valid_from",
                    "valid_to",
                    "priority",
                    "is_active",
                ]
            },
        ),
        (
            _("Buy one, get another at a discount"),
            {"fields": ["trigger_products", "target_products", "target_formats", "percent_off"]},
        ),
        (
            _("Any N for a fixed price"),
            {
                "fields": [
                    "group_partner",
                    "group_products",
                    "group_topics",
                    "group_formats",
                    "group_size",
                    "group_price",
                ]
            },
        ),
    ]


class LandingPageForm(forms.ModelForm[LandingPage]):
    class Meta:
        model = LandingPage
        fields = [
            "campaign",
            "slug",
            "is_published",
            "hero_image",
            "hero_title",
            "hero_subtitle",
            "body",
            "seo_description",
            "hero_title_en",
            "hero_subtitle_en",
            "body_en",
            "seo_description_en",
            "featured_products",
            "coupon",
            "coupon_code",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("coupon_code") or "").strip().upper()
        coupon = data.get("coupon")
        if code and (coupon is None or not coupon.codes.filter(code=code).exists()):
            self.add_error("coupon_code", _("This code does not belong to the chosen coupon."))
        return data


@admin.register(LandingPage)
class LandingPageAdmin(admin.ModelAdmin[LandingPage]):
    form = LandingPageForm
    list_display = ["hero_title", "campaign", "slug", "is_published", "updated_at"]
    list_filter = ["is_published"]
    search_fields = ["hero_title", "hero_title_en", "slug"]
    autocomplete_fields = ["campaign", "featured_products", "coupon"]
    fieldsets = [
        (None, {"fields": ["campaign", "slug", "is_published", "hero_image"]}),
        (_("简体中文"), {"fields": ["hero_title", "hero_subtitle", "body", "seo_description"]}),
        (
            pgettext_lazy("language", "English"),
            {"fields": ["hero_title_en", "hero_subtitle_en", "body_en", "seo_description_en"]},
        ),
        (_("Featured and call to action"), {"fields": ["featured_products", "coupon", "coupon_code"]}),
    ]

    def save_model(self, request: HttpRequest, obj: LandingPage, form: Any, change: bool) -> None:
        obj.coupon_code = obj.coupon_code.strip().upper()
        super().save_model(request, obj, form, change)


class ReferralProductRateInline(admin.TabularInline[ReferralProductRate, Any]):
    model = ReferralProductRate
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(ReferralProgramme)
class ReferralProgrammeAdmin(admin.ModelAdmin[ReferralProgramme]):
    list_display = ["display_name", "campaign", "commission_percent", "cookie_window_days", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "name_en"]
    autocomplete_fields = ["campaign"]
    inlines = [ReferralProductRateInline]


@admin.register(ReferralLink)
class ReferralLinkAdmin(admin.ModelAdmin[ReferralLink]):
    list_display = ["code", "promoter", "programme", "product", "campaign", "clicks", "is_active", "created_at"]
    list_filter = ["is_active", "programme"]
    search_fields = ["code", "promoter__email"]
    raw_id_fields = ["promoter", "product", "campaign", "partner"]
    readonly_fields = ["clicks"]


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Records written by services only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["code", "coupon", "user", "order_number", "discount", "status", "created_at", "released_at"]
    list_filter = ["status"]
    search_fields = ["order_number", "code__code", "user__email"]


@admin.register(ReferralCommission)
class ReferralCommissionAdmin(ReadOnlyAdmin):
    list_display = [
        "promoter",
        "order_number",
        "line_ref",
        "product",
        "base_amount",
        "percent",
        "amount",
        "status",
        "source",
        "created_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["order_number", "promoter__email"]


@admin.register(CampaignConversion)
class CampaignConversionAdmin(ReadOnlyAdmin):
    list_display = [
        "campaign",
        "order_number",
        "line_ref",
        "product",
        "revenue",
        "discount",
        "refunded_amount",
        "paid_at",
    ]
    list_filter = ["campaign"]
    search_fields = ["order_number"]
