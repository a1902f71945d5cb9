from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from promotions.models import Campaign, CampaignPartner, Coupon, CouponCode, Offer, ReferralProgramme
from tests.factories import PartnerFactory


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"活动{n}")
    name_en = factory.Sequence(lambda n: f"Campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    status = Campaign.Status.ACTIVE
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    channels = factory.LazyFunction(lambda: ["social", "email"])
    budget = Decimal("10000.00")


class CampaignPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignPartner

    campaign = factory.SubFactory(CampaignFactory)
    partner = factory.SubFactory(PartnerFactory)
    cost_share_percent = Decimal("100.00")


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"优惠券{n}")
    name_en = factory.Sequence(lambda n: f"Coupon {n}")
    kind = Coupon.Kind.PERCENTAGE
    value = Decimal("10.00")
    valid_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    valid_to = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    per_user_limit = 1

    @factory.post_generation
    def code(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create and extracted:
            CouponCode.objects.create(coupon=self, code=extracted.upper())


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer

    name = factory.Sequence(lambda n: f"优惠{n}")
    name_en = factory.Sequence(lambda n: f"Offer {n}")
    kind = Offer.Kind.GROUP_PRICE
    group_size = 3
    group_price = Decimal("99.00")
    valid_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    valid_to = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class ReferralProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferralProgramme

    name = factory.Sequence(lambda n: f"分销计划{n}")
    name_en = factory.Sequence(lambda n: f"Programme {n}")
    commission_percent = Decimal("10.00")
    cookie_window_days = 30
