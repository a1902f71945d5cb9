"""Campaigns: a joint promotion between the platform and one or more partners."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from core.money import CurrencyField, MoneyField
from promotions.models.fields import BilingualNameMixin, PercentField
from users.models import Partner


class Campaign(BilingualNameMixin):
    """A promotion the platform runs with partners over a period.

    Its cost (discounts granted and referral commissions) is shared between the
    partners by ``CampaignPartner.cost_share_percent``, which add up to 100 before
    the campaign may go live (``campaign_activate`` holds that rule).
    """

    class Channel(models.TextChoices):
        SOCIAL = "social", _("Social media")
        SEARCH = "search", _("Search")
        ADS = "ads", _("Advertising")
        EMAIL = "email", _("Email")
        IN_APP = "in_app", _("In-app")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ENDED = "ended", _("Ended")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("internal notes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    channels = models.JSONField(_("channels"), default=list, blank=True)
    budget = MoneyField(_("budget"), default=0)
    currency = CurrencyField(_("currency"))
    products = models.ManyToManyField(Product, related_name="campaigns", blank=True, verbose_name=_("products"))
    partners: models.ManyToManyField[Partner, CampaignPartner] = models.ManyToManyField(
        Partner, through="CampaignPartner", related_name="campaigns", verbose_name=_("partners")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="campaign_period_ordered"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_not_negative"),
        ]

    def is_live(self, at: object = None) -> bool:
        at = at or timezone.now()
        return self.status == self.Status.ACTIVE and self.starts_at <= at < self.ends_at  # type: ignore[operator]


class CampaignPartner(models.Model):
    """A partner's part in a campaign and the share of its cost it bears."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="shares")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="campaign_shares")
    cost_share_percent = PercentField(_("cost share (%)"))

    class Meta:
        verbose_name = _("campaign partner")
        verbose_name_plural = _("campaign partners")
        ordering = ["campaign_id", "-cost_share_percent", "partner_id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "partner"], name="campaign_partner_unique"),
            models.CheckConstraint(
                condition=Q(cost_share_percent__gte=0, cost_share_percent__lte=100),
                name="campaign_partner_share_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.cost_share_percent}%"


class LandingPage(models.Model):
    """A campaign's public page: hero, copy in both languages, featured products, a coupon to use."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="landing_pages")
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    hero_title = models.CharField(_("hero title (Chinese)"), max_length=160)
    hero_title_en = models.CharField(_("hero title (English)"), max_length=160, blank=True)
    hero_subtitle = models.CharField(_("hero subtitle (Chinese)"), max_length=255, blank=True)
    hero_subtitle_en = models.CharField(_("hero subtitle (English)"), max_length=255, blank=True)
    body = models.TextField(_("copy (Chinese)"), blank=True, help_text=_("Plain text; blank lines start paragraphs."))
    body_en = models.TextField(_("copy (English)"), blank=True)
    hero_image = models.ImageField(_("hero image"), upload_to="landing/%Y/%m/", blank=True)
    seo_description = models.CharField(_("search description (Chinese)"), max_length=200, blank=True)
    seo_description_en = models.CharField(_("search description (English)"), max_length=200, blank=True)
    featured_products = models.ManyToManyField(
        Product, related_name="featured_on_landing_pages", blank=True, verbose_name=_("featured products and bundles")
    )
    coupon = models.ForeignKey(
        "promotions.Coupon",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="landing_pages",
        verbose_name=_("coupon call-to-action"),
    )
    coupon_code = models.CharField(
        _("code shown"), max_length=32, blank=True, help_text=_("One of the coupon's codes, shown to every visitor.")
    )
    is_published = models.BooleanField(_("published"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("landing page")
        verbose_name_plural = _("landing pages")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.hero_title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("landing:page", kwargs={"slug": self.slug})

    def _pick(self, zh: str, en: str) -> str:
        return en if (get_language() or "").startswith("en") and en else zh

    @property
    def title(self) -> str:
        return self._pick(self.hero_title, self.hero_title_en)

    @property
    def subtitle(self) -> str:
        return self._pick(self.hero_subtitle, self.hero_subtitle_en)

    @property
    def copy(self) -> str:
        return self._pick(self.body, self.body_en)

    @property
    def description(self) -> str:
        return self._pick(self.seo_description, self.seo_description_en) or self.subtitle


class CampaignConversion(models.Model):
    """A paid order line attributed to a campaign: what it earned and what the campaign gave away.

    Written by ``promotion_order_paid`` (commerce calls it when a payment is
    captured); refunds add to ``refunded_amount``. Campaign reports read these.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="conversions")
    order_number = models.CharField(_("order number"), max_length=64)
    line_ref = models.CharField(_("order line"), max_length=64)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    revenue = MoneyField(_("amount paid"))
    discount = MoneyField(_("campaign discount"), default=0)
    refunded_amount = MoneyField(_("refunded"), default=0)
    currency = CurrencyField(_("currency"))
    paid_at = models.DateTimeField(_("paid at"))

    class Meta:
        verbose_name = _("campaign conversion")
        verbose_name_plural = _("campaign conversions")
        ordering = ["-paid_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "line_ref"], name="conversion_unique_line"),
            models.CheckConstraint(
                condition=Q(revenue__gte=0, discount__gte=0, refunded_amount__gte=0)
                & Q(refunded_amount__lte=F("revenue")),
                name="conversion_amounts_valid",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "paid_at"])]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.order_number}/{self.line_ref}"
