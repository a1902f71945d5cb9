"""A small world shared by the quality gates: two competing partners, their staff and
keys, a shopper and a sellable catalogue."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import Client

from catalog.models import Product, Variant
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.factories.catalog import sellable_book, sellable_course
from users.models import Membership, Partner, PartnerApiKey, User
from users.scopes import scope_choices
from users.services import api_key_create

# Fuzzing findings in parts still being finished, by test and operation; each has a strict
# regression test in test_fuzz_findings.py. Not strict here: which generated case meets the bug
# shifts whenever the API document changes.
KNOWN_FUZZ_FINDINGS: dict[tuple[str, str], str] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for (test, operation), reason in KNOWN_FUZZ_FINDINGS.items():
            if item.name.startswith(test) and item.name.endswith(f"[{operation}]"):
                item.add_marker(pytest.mark.xfail(reason=f"known fuzzing finding: {reason}", strict=False))


@dataclass
class Side:
    """One partner as its staff and its systems see it."""

    partner: Partner
    owner: User
    key: PartnerApiKey
    raw_key: str
    product: Product
    variant: Variant

    @property
    def key_header(self) -> dict[str, str]:
        return {"Authorization": f"Api-Key {self.raw_key}"}


@dataclass
class World:
    a: Side
    b: Side
    shopper: User
    course: Variant


def _side(name: str) -> Side:
    partner = PartnerFactory(name=f"{name} Press", slug=f"{name.lower()}-press")
    owner = MembershipFactory(partner=partner, role=Membership.Role.OWNER).user
    key, raw = api_key_create(
        partner=partner, name=f"{name} all scopes", scopes=[s for s, _d in scope_choices()], created_by=owner
    )
    variant = sellable_book(owner=partner, title=f"{name} secret ledger", slug=f"{name.lower()}-ledger")
    return Side(partner=partner, owner=owner, key=key, raw_key=raw, product=variant.product, variant=variant)


@pytest.fixture
def world(db: None) -> World:
    a = _side("Aurora")
    b = _side("Borealis")
    course = sellable_course(owner=a.partner, title="Aurora course", slug="aurora-course")
    return World(a=a, b=b, shopper=UserFactory(email="shopper@example.com"), course=course)


def session_credentials(user: User) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies and headers of a logged-in browser: the session and a CSRF token pair."""
    client = Client()
    client.force_login(user)
    request = HttpRequest()
    token = get_token(request)
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": request.META["CSRF_COOKIE"]}
    return cookies, {"X-CSRFToken": token}
