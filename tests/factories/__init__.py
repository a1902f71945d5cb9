from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password

from users.models import Membership, Partner, Profile, User

PASSWORD = "correct-horse-battery-staple"
# Hashing with Argon2 is deliberately slow; hash the shared test password once.
_PASSWORD_HASH: list[str] = []


def _hashed_password() -> str:
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(make_password(PASSWORD))
    return _PASSWORD_HASH[0]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Faker("name")
    password = factory.LazyFunction(_hashed_password)
    profile = factory.RelatedFactory("tests.factories.ProfileFactory", factory_related_name="user")


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    birth_year = 1990
    gender = "female"
    region = "浙江"
    occupation = "engineer"
    declared_interests = factory.LazyFunction(lambda: ["technology"])


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Publisher {n}")
    slug = factory.Sequence(lambda n: f"publisher-{n}")
    kind = Partner.Kind.PUBLISHER


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    partner = factory.SubFactory(PartnerFactory)
    role = Membership.Role.OWNER
