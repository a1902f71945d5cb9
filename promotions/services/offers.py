"""Bundle offers: creating them with their ranges, checked before anything is saved."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Product, Topic
from core.money import DEFAULT_CURRENCY, money_quantize
from promotions.errors import PromotionInvalid
from promotions.models import Campaign, Offer
from users.models import Partner


@transaction.atomic
def offer_create(
    *,
    name: str,
    kind: str,
    valid_from: datetime,
    valid_to: datetime,
    name_en: str = "",
    campaign: Campaign | None = None,
    currency: str = DEFAULT_CURRENCY,
    territories: str = "",
    priority: int = 0,
    trigger_products: Iterable[Product] = (),
    target_products: Iterable[Product] = (),
    target_formats: str = "",
    percent_off: Decimal | None = None,
    group_partner: Partner | None = None,
    group_products: Iterable[Product] = (),
    group_topics: Iterable[Topic] = (),
    group_formats: str = "",
    group_size: int | None = None,
    group_price: Decimal | None = None,
) -> Offer:
    """A bundle offer; see ``Offer`` for the two kinds and what each needs."""
    if valid_to <= valid_from:
        raise PromotionInvalid(_("An offer must stop being valid after it starts."))
    trigger_products, target_products = list(trigger_products), list(target_products)
    group_products, group_topics = list(group_products), list(group_topics)
    if kind == Offer.Kind.CROSS_DISCOUNT:
        if not trigger_products:
            raise PromotionInvalid(_("Say which products the shopper must buy to get the discount."))
        if not target_products and not target_formats:
            raise PromotionInvalid(_("Say which products (or formats) are discounted."))
        if percent_off is None or not Decimal(0) < percent_off <= Decimal(100):
            raise PromotionInvalid(_("The discount must be more than 0% and at most 100%."))
    elif kind == Offer.Kind.GROUP_PRICE:
        if group_size is None or group_size < 2:
            raise PromotionInvalid(_("A group needs at least 2 items."))
        if group_price is None or group_price < 0:
            raise PromotionInvalid(_("Give the price of a group (zero or more)."))
        if not (group_partner or group_products or group_topics or group_formats):
            raise PromotionInvalid(_("Say which items make up a group: a publisher, products, topics or formats."))
        group_price = money_quantize(group_price)
    else:
        raise PromotionInvalid(_("Unknown offer kind “%(kind)s”.") % {"kind": kind})
    offer = Offer.objects.create(
        name=name,
        name_en=name_en,
        kind=kind,
        campaign=campaign,
        currency=currency,
        territories=territories.upper(),
        priority=priority,
        valid_from=valid_from,
        valid_to=valid_to,
        target_formats=target_formats,
        percent_off=percent_off,
        group_partner=group_partner,
        group_formats=group_formats,
        group_size=group_size,
        group_price=group_price,
    )
    offer.trigger_products.set(trigger_products)
    offer.target_products.set(target_products)
    offer.group_products.set(group_products)
    offer.group_topics.set(group_topics)
    return offer
