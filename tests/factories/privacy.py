"""Helpers for the privacy tests: consenting users, audiences of a product, partner settings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import Product
from insights.models import Event
from insights.privacy_models import PartnerPrivacy
from insights.profiles import profiles_compute_for
from tests.factories import UserFactory
from users.models import Consent, Partner, Profile, User
from users.services import consent_grant

NOTICE = "2026-10"
ALL_CATEGORIES = [c for c, _label in Consent.DataCategory.choices]


def privacy_for(partner: Partner, **fields: object) -> PartnerPrivacy:
    privacy, _created = PartnerPrivacy.objects.get_or_create(partner=partner)
    for name, value in fields.items():
        setattr(privacy, name, Decimal(str(value)) if name.startswith("epsilon") else value)
    privacy.save()
    return privacy


def consenting_user(
    partner: Partner,
    *,
    purpose: str = Consent.Purpose.PERSONAL_DATA_TRANSFER,
    categories: Iterable[str] = ALL_CATEGORIES,
) -> User:
    user = UserFactory()
    consent_grant(user=user, partner=partner, purpose=purpose, data_categories=list(categories), notice_version=NOTICE)
    return user


def audience_of(
    product: Product,
    *,
    count: int,
    kind: str = Event.Kind.VIEW,
    age: int | None = 30,
    region: str = "浙江",
    gender: str = "female",
    occupation: str = "engineer",
) -> list[User]:
    """``count`` users who did ``kind`` on ``product`` yesterday, with the given declared profile."""
    when = timezone.now() - timedelta(days=1)
    users = UserFactory.create_batch(count)
    year = timezone.localdate().year - age if age is not None else None
    Profile.objects.filter(user__in=users).update(birth_year=year, region=region, gender=gender, occupation=occupation)
    Event.objects.bulk_create([Event(kind=kind, user=u, product=product, occurred_at=when) for u in users])
    profiles_compute_for(user_ids=[u.pk for u in users])
    return users
