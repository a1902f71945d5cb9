"""Bundle offers, applied automatically in the cart."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Product, Topic
from core.money import CurrencyField, MoneyField
from promotions.models.fields import FORMATS_HELP, TERRITORIES_HELP, BilingualNameMixin, PercentField, codes_field
from users.models import Partner


class Offer(BilingualNameMixin):
    """An automatic discount. Two kinds:

    * ``cross_discount`` — "buy the course, get the book at −X%": each item in
      the trigger range lets one item in the target range (the dearest first)
      be discounted by ``percent_off``.
    * ``group_price`` — "any N books from this publisher for ¥Y": every N items
      in the group range (the dearest first) together cost ``group_price``.

    An item takes part in at most one offer; the pricing engine chooses the
    combination of offers that saves the shopper most (``promotions.pricing``).
    """

    class Kind(models.TextChoices):
        CROSS_DISCOUNT = "cross_discount", _("Buy one, get another at a discount")
        GROUP_PRICE = "group_price", _("Any N for a fixed price")

    campaign = models.ForeignKey(
        "promotions.Campaign", on_delete=models.PROTECT, null=True, blank=True, related_name="offers"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # cross_discount
    trigger_products = models.ManyToManyField(Product, blank=True, related_name="+", verbose_name=_("buy one of these"))
    target_products = models.ManyToManyField(
        Product, blank=True, related_name="+", verbose_name=_("to get one of these at a discount")
    )
    target_formats = codes_field(_("discounted formats"), FORMATS_HELP)
    percent_off = PercentField(_("percent off"), null=True, blank=True)
    # group_price
    group_partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("publisher")
    )
    group_products = models.ManyToManyField(Product, blank=True, related_name="+", verbose_name=_("products"))
    group_topics = models.ManyToManyField(Topic, blank=True, related_name="+", verbose_name=_("topics"))
    group_formats = codes_field(_("formats"), FORMATS_HELP)
    group_size = models.PositiveSmallIntegerField(_("items per group"), null=True, blank=True)
    group_price = MoneyField(_("price per group"), null=True, blank=True)
    currency = CurrencyField(_("currency"))
    territories = codes_field(_("territories"), TERRITORIES_HELP)
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"))
    priority = models.SmallIntegerField(_("priority"), default=0, help_text=_("Breaks ties between equal savings."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bundle offer")
        verbose_name_plural = _("bundle offers")
        ordering = ["-priority", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gt=F("valid_from")), name="offer_period_ordered"),
            models.CheckConstraint(
                condition=~Q(kind="cross_discount") | Q(percent_off__gt=0, percent_off__lte=100),
                name="offer_cross_percent_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="group_price") | Q(group_size__gte=2, group_price__gte=0),
                name="offer_group_valid",
            ),
        ]
