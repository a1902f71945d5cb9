"""Referral (分销): programmes, promoters' share links, and the commissions they earn."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from core.money import CurrencyField, MoneyField
from promotions.models.fields import BilingualNameMixin, PercentField
from users.models import Partner


class ReferralProgramme(BilingualNameMixin):
    """What promoters earn and for how long a click counts.

    Coverage: with a campaign, the campaign's products; with product rates,
    those products (at their own rate); with neither, every product.
    """

    campaign = models.ForeignKey(
        "promotions.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="referral_programmes"
    )
    commission_percent = PercentField(_("commission (percent of the price paid)"))
    cookie_window_days = models.PositiveSmallIntegerField(_("cookie window (days)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral programme")
        verbose_name_plural = _("referral programmes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_percent__gte=0, commission_percent__lte=100), name="programme_percent_0_100"
            ),
            models.CheckConstraint(condition=Q(cookie_window_days__gte=1), name="programme_window_positive"),
        ]


class ReferralProductRate(models.Model):
    programme = models.ForeignKey(ReferralProgramme, on_delete=models.CASCADE, related_name="rates")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    commission_percent = PercentField(_("commission (%)"))

    class Meta:
        verbose_name = _("product commission rate")
        verbose_name_plural = _("product commission rates")
        constraints = [
            models.UniqueConstraint(fields=["programme", "product"], name="rate_unique_product"),
            models.CheckConstraint(
                condition=Q(commission_percent__gte=0, commission_percent__lte=100), name="rate_percent_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.commission_percent}%"


class ReferralLink(models.Model):
    """A promoter's share link for one product or one campaign (``?ref=<code>``)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    promoter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referral_links")
    partner = models.ForeignKey(
        Partner,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referral_links",
        help_text=_("Set when the promoter shares on behalf of a partner."),
    )
    programme = models.ForeignKey(ReferralProgramme, on_delete=models.PROTECT, related_name="links")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    campaign = models.ForeignKey(
        "promotions.Campaign", on_delete=models.CASCADE, null=True, blank=True, related_name="referral_links"
    )
    clicks = models.PositiveIntegerField(_("clicks"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("referral link")
        verbose_name_plural = _("referral links")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # A link points at exactly one thing.
            models.CheckConstraint(
                condition=Q(product__isnull=False, campaign__isnull=True)
                | Q(product__isnull=True, campaign__isnull=False),
                name="referral_link_one_target",
            ),
            models.UniqueConstraint(
                fields=["promoter", "programme", "product"],
                condition=Q(product__isnull=False),
                name="referral_link_unique_product",
            ),
            models.UniqueConstraint(
                fields=["promoter", "programme", "campaign"],
                condition=Q(campaign__isnull=False),
                name="referral_link_unique_campaign",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ReferralCommission(models.Model):
    """Money owed to a promoter for one paid order line. Settlements pays it.

    ``pending`` → ``void`` (the line was fully refunded) or ``paid`` (a payout
    included it). A partial refund lowers ``amount`` in proportion.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        VOID = "void", _("Void")
        PAID = "paid", _("Paid")

    class Source(models.TextChoices):
        LINK = "link", _("Share link (cookie)")
        COUPON = "coupon", _("Promoter's coupon")

    link = models.ForeignKey(ReferralLink, on_delete=models.PROTECT, related_name="commissions")
    promoter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commissions")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(
        "promotions.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="commissions"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    order_number = models.CharField(_("order number"), max_length=64)
    line_ref = models.CharField(_("order line"), max_length=64, unique=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    base_amount = MoneyField(_("price paid"))
    refunded_amount = MoneyField(_("refunded"), default=0)
    percent = PercentField(_("rate (%)"))
    amount = MoneyField(_("commission"))
    currency = CurrencyField(_("currency"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("earned at"), auto_now_add=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payout_ref = models.CharField(_("payout"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("referral commission")
        verbose_name_plural = _("referral commissions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0, base_amount__gte=0), name="commission_not_negative"),
            models.CheckConstraint(condition=~Q(promoter=models.F("buyer")), name="commission_no_self_referral"),
            models.CheckConstraint(
                condition=~Q(status="void") | Q(voided_at__isnull=False, amount=0), name="commission_void_is_zero"
            ),
        ]
        indexes = [models.Index(fields=["promoter", "status"]), models.Index(fields=["order_number"])]

    def __str__(self) -> str:
        return f"{self.promoter} · {self.line_ref}: {self.amount} {self.currency}"
