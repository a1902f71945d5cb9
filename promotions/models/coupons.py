"""Coupons (vouchers), their codes, and each use of one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from catalog.models import Product, Topic
from core.money import CurrencyField, MoneyField
from promotions.models.fields import FORMATS_HELP, TERRITORIES_HELP, BilingualNameMixin, codes_field
from users.models import Partner


class Coupon(BilingualNameMixin):
    """The rule behind one or many codes: what it takes off, on what, for whom, how often.

    ``used`` counts active redemptions across all its codes; it only ever moves
    by one conditional UPDATE (``coupon_redeem``/``coupon_release``), and the
    database refuses it past ``usage_limit``.
    """

    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", _("Percentage off")
        FIXED_AMOUNT = "fixed_amount", _("Fixed amount off")
        BUNDLE_PRICE = "bundle_price", _("Fixed price for a set of products")

    campaign = models.ForeignKey(
        "promotions.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="coupons"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = MoneyField(_("value"), help_text=_("Percent for a percentage coupon; an amount for the other kinds."))
    currency = CurrencyField(_("currency"))
    min_spend = MoneyField(_("minimum spend"), default=0, help_text=_("On the items in range, after bundle offers."))
    products = models.ManyToManyField(Product, blank=True, related_name="+", verbose_name=_("products in range"))
    topics = models.ManyToManyField(Topic, blank=True, related_name="+", verbose_name=_("topics in range"))
    partners = models.ManyToManyField(
        Partner, blank=True, related_name="+", verbose_name=_("publishers in range"), help_text=_("Product owners.")
    )
    formats = codes_field(_("formats in range"), FORMATS_HELP)
    territories = codes_field(_("territories"), TERRITORIES_HELP)
    first_order_only = models.BooleanField(_("first order only"), default=False)
    usage_limit = models.PositiveIntegerField(_("total uses"), null=True, blank=True, help_text=_("Blank: no limit."))
    used = models.PositiveIntegerField(_("used"), default=0, editable=False)
    per_user_limit = models.PositiveSmallIntegerField(
        _("uses per customer"), null=True, blank=True, default=1, help_text=_("Blank: no limit.")
    )
    max_units_per_order = models.PositiveSmallIntegerField(
        _("items discounted per order"),
        null=True,
        blank=True,
        help_text=_("At most this many items in one order get the discount (the dearest first). Blank: all."),
    )
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"))
    exclusive = models.BooleanField(
        _("exclusive"), default=False, help_text=_("Cannot be combined with other coupons or with bundle offers.")
    )
    priority = models.SmallIntegerField(
        _("priority"), default=0, help_text=_("Combinable coupons apply in descending priority.")
    )
    referral_link = models.ForeignKey(
        "promotions.ReferralLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coupons",
        verbose_name=_("promoter's referral link"),
        help_text=_("A promoter's coupon: orders using it earn this link's commission, whatever the cookie says."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-priority", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="coupon_value_positive"),
            models.CheckConstraint(
                condition=~Q(kind="percentage") | Q(value__lte=100), name="coupon_percentage_at_most_100"
            ),
            models.CheckConstraint(condition=Q(min_spend__gte=0), name="coupon_min_spend_not_negative"),
            models.CheckConstraint(condition=Q(valid_to__gt=F("valid_from")), name="coupon_period_ordered"),
            models.CheckConstraint(
                condition=Q(usage_limit__isnull=True) | Q(used__lte=F("usage_limit")), name="coupon_used_within_limit"
            ),
            models.CheckConstraint(
                condition=Q(per_user_limit__isnull=True) | Q(per_user_limit__gte=1),
                name="coupon_per_user_limit_positive",
            ),
        ]


class CouponCode(models.Model):
    """A code a shopper types. One per coupon, or a batch of single-use codes."""

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(_("code"), max_length=32, unique=True)
    max_uses = models.PositiveIntegerField(
        _("uses of this code"), null=True, blank=True, help_text=_("Blank: only the coupon's limits apply.")
    )
    used = models.PositiveIntegerField(_("used"), default=0, editable=False)
    batch = models.CharField(_("batch"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coupon code")
        verbose_name_plural = _("coupon codes")
        ordering = ["coupon_id", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(code=Upper("code")), name="coupon_code_upper_case"),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(used__lte=F("max_uses")), name="coupon_code_used_within_limit"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Redemption(models.Model):
    """One use of a coupon code on one order.

    ``active`` → ``released`` is the only transition (``coupon_release``: the
    payment failed or expired, the order was cancelled, or it was fully
    refunded). The per-customer limit is held by the database: an active
    redemption occupies a numbered slot ``use_number`` (1..per_user_limit) and
    two active redemptions of one coupon by one customer cannot share a slot.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RELEASED = "released", _("Released")

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    code = models.ForeignKey(CouponCode, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="redemptions")
    order_number = models.CharField(_("order number"), max_length=64)
    use_number = models.PositiveSmallIntegerField(_("use number"), null=True, blank=True)
    discount = MoneyField(_("discount"))
    currency = CurrencyField(_("currency"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("redeemed at"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.CharField(_("release reason"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["coupon", "user", "use_number"],
                condition=Q(status="active"),
                name="redemption_per_user_slot",
            ),
            models.UniqueConstraint(
                fields=["code", "order_number"], condition=Q(status="active"), name="redemption_once_per_order"
            ),
            models.CheckConstraint(
                condition=Q(use_number__isnull=True) | Q(use_number__gte=1), name="redemption_slot_from_1"
            ),
            models.CheckConstraint(condition=Q(discount__gte=0), name="redemption_discount_not_negative"),
            models.CheckConstraint(
                condition=(Q(status="active") & Q(released_at__isnull=True))
                | (Q(status="released") & Q(released_at__isnull=False)),
                name="redemption_release_stamped",
            ),
        ]
        indexes = [models.Index(fields=["order_number"]), models.Index(fields=["coupon", "created_at"])]

    def __str__(self) -> str:
        return f"{self.code} · {self.order_number}"
