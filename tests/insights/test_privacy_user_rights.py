"""Download my data; delete my account without changing any order or settlement total."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from catalog.models import Review
from catalog.services import review_upsert
from commerce.models import Cart, Order, OrderLine, OrderLineItem
from core.errors import DomainError
from insights.audit import Actor
from insights.models import Event
from insights.privacy_models import AuditEntry, DeletionNotice, UserInsightProfile
from insights.profiles import profiles_compute_for
from insights.sharing import share_build
from insights.user_rights import account_erase, user_data_export
from tests.factories import MembershipFactory, PartnerFactory
from tests.factories.catalog import bundle_of, sellable_book, sellable_course
from tests.factories.commerce import order_paid_for
from tests.factories.privacy import consenting_user
from users.models import Consent, Membership, Profile, User

pytestmark = pytest.mark.django_db
TRANSFER = Consent.Purpose.PERSONAL_DATA_TRANSFER


def _money_snapshot() -> dict[str, Any]:
    """Row counts and the sum of every decimal column of orders and of the settlements app, whatever it holds."""
    snapshot: dict[str, Any] = {}
    targets = [Order, OrderLine, OrderLineItem]
    with contextlib.suppress(LookupError):
        targets += list(apps.get_app_config("settlements").get_models())
    for model in targets:
        decimals = [f.name for f in model._meta.concrete_fields if isinstance(f, models.DecimalField)]
        sums = (
            model._base_manager.aggregate(**{f"sum_{name}": models.Sum(name) for name in decimals}) if decimals else {}
        )
        snapshot[model._meta.label] = (model._base_manager.count(), sums)
    return snapshot


def _shopper_with_history(password: str) -> tuple[User, Any]:
    partner = PartnerFactory()
    user = consenting_user(partner, purpose=TRANSFER)
    user.set_password(password)
    user.save()
    book, course = sellable_book(owner=partner), sellable_course()
    order_paid_for(user, bundle_of(book, course, price="150.00"))
    order_paid_for(user, sellable_book(price="30.00"))
    review_upsert(user=user, product=course.product, rating=4, title="很好", body="讲得清楚")
    Event.objects.create(kind=Event.Kind.VIEW, user=user, product=course.product)
    Cart.objects.create(user=user)
    MembershipFactory(user=user, partner=PartnerFactory(), role=Membership.Role.ANALYST)
    profiles_compute_for(user_ids=[user.pk])
    share_build(partner=partner, purpose=TRANSFER, categories=["demographics", "contact"], actor=Actor())
    return user, partner


def test_download_holds_account_profile_consents_orders_and_recipients(password: str) -> None:
    user, partner = _shopper_with_history(password)
    data = json.loads(json.dumps(user_data_export(user=user), default=str))
    assert data["account"]["email"] == user.email
    assert len(data["orders"]) == 2
    assert data["consents"][0]["purpose"] == TRANSFER
    assert data["reviews"][0]["body"] == "讲得清楚"
    assert data["data_received_by_partners"][0]["partner"] == partner.name
    assert data["computed_profile"]["orders_count"] == 2
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.DATA_EXPORT, actor=user).exists()


def test_account_deletion_leaves_no_personal_data_and_keeps_every_total(password: str) -> None:
    user, partner = _shopper_with_history(password)
    email, name = user.email, user.display_name
    before = _money_snapshot()
    order_numbers = set(Order.objects.filter(user=user).values_list("number", flat=True))

    reference = account_erase(user=user, password=password)

    assert _money_snapshot() == before
    assert set(Order.objects.filter(user=user).values_list("number", flat=True)) == order_numbers
    user.refresh_from_db()
    assert user.email == f"{reference}@erased.invalid"
    assert (user.display_name, user.is_active, user.has_usable_password()) == ("", False, False)
    for model in apps.get_app_config("users").get_models():
        for row in model._base_manager.values():
            text = json.dumps(row, default=str)
            assert email not in text, model
            assert not name or name not in text, model
    assert not Profile.objects.filter(user=user).exists()
    assert not Membership.objects.filter(user=user).exists()
    assert not Consent.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert not Event.objects.filter(user=user).exists()
    assert not Review.objects.filter(user=user).exists()
    assert not Cart.objects.filter(user=user).exists()
    assert not UserInsightProfile.objects.filter(user=user).exists()
    notice = DeletionNotice.objects.get(partner=partner, user=user)
    assert notice.reason == DeletionNotice.Reason.ACCOUNT_DELETED
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.ACCOUNT_ERASURE, parameters__reference=reference).exists()


def test_a_wrong_password_deletes_nothing(password: str) -> None:
    user, _partner = _shopper_with_history(password)
    with pytest.raises(DomainError):
        account_erase(user=user, password="not-" + password)
    user.refresh_from_db()
    assert user.is_active
    assert Event.objects.filter(user=user).exists()


def test_deleting_through_the_page_logs_out_and_blocks_login(client, password: str) -> None:  # type: ignore[no-untyped-def]
    user, _partner = _shopper_with_history(password)
    email = user.email
    client.force_login(user)
    page = client.get("/accounts/my-data/")
    assert page.status_code == 200
    assert "Who received my data" in page.content.decode() or "谁收到了我的数据" in page.content.decode()
    response = client.post("/accounts/my-data/delete/", {"password": password, "confirm": "delete"})
    assert response.status_code == 302
    assert client.get("/accounts/my-data/").status_code == 302  # logged out: to the login page
    assert not client.login(email=email, password=password)


def test_my_data_download_is_json(client, password: str) -> None:  # type: ignore[no-untyped-def]
    user, _partner = _shopper_with_history(password)
    client.force_login(user)
    response = client.get("/accounts/my-data/download/")
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["account"]["email"] == user.email
    api = client.get("/api/v1/me/data/recipients/")
    assert api.json()[0]["times"] == 1
    assert Decimal(json.loads(response.content)["orders"][0]["total"]) > 0
