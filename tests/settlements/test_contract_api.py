"""Platform staff create contracts and new terms through the API; what is wrong with the terms comes
back as a 400 under the field it concerns, with nothing saved; nobody else may write."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from settlements.models import Contract, ContractVersion, ShareRule
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.settlements import contract_for, rule
from users.models import Membership, Partner, User
from users.services import api_key_create

pytestmark = pytest.mark.django_db


def _staff(*permissions: str) -> User:
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="settlements", codename__in=permissions)
    )
    return User.objects.get(pk=user.pk)  # permissions are cached on the instance


def _client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def staff_client() -> Client:
    client = _client()
    client.force_login(_staff("add_contract", "add_contractversion"))
    return client


@pytest.fixture
def publisher() -> Partner:
    partner = PartnerFactory()
    sellable_book(price="60.00", owner=partner)  # sells in CNY
    return partner


def _hardcover(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": "HC-2026-01",
        "title": "精装本分润",
        "currency": "CNY",
        "starts_on": "2026-01-01",
        "basis": "list",
        "advance": "50000.00",
        "reserve_rate": "20",
        "reserve_periods": 2,
        "withholding_rate": "3",
        "rules": [
            {
                "format": "print",
                "tiers": [
                    {"threshold": "0", "rate": "10"},
                    {"threshold": "5000", "rate": "12.5"},
                    {"threshold": "10000", "rate": "15"},
                ],
            },
            {"format": "ebook", "channel": "app", "tiers": [{"rate": "25"}]},
        ],
    }
    body.update(changes)
    return body


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def test_staff_create_a_contract_with_tiers_and_read_it_back(staff_client: Client, publisher: Partner) -> None:
    response = _post(staff_client, reverse("api-settlement-contracts", args=[publisher.slug]), _hardcover())

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["number"], body["partner"], body["currency"]) == ("HC-2026-01", publisher.slug, "CNY")
    (version,) = body["versions"]
    assert (version["number"], version["valid_from"], version["basis"]) == (1, "2026-01-01", "list")
    assert (version["advance"], version["reserve_rate"], version["withholding_rate"]) == (
        "50000.00",
        "20.0000",
        "3.0000",
    )
    ebook, hardcover = version["rules"]
    assert (ebook["format"], ebook["channel"], ebook["tiers"][0]["rate"]) == ("ebook", "app", "25.0000")
    assert [(t["threshold"], t["threshold_to"], t["rate"]) for t in hardcover["tiers"]] == [
        ("0.00", "5000.00", "10.0000"),
        ("5000.00", "10000.00", "12.5000"),
        ("10000.00", None, "15.0000"),
    ]
    contract = Contract.objects.get(number="HC-2026-01")
    assert contract.partner == publisher and contract.created_by is not None


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"reserve_rate": "120"}, "reserve_rate", "between 0 and 100 %, not 120 %"),
        ({"withholding_rate": "-1"}, "withholding_rate", "between 0 and 100"),
        (
            {
                "rules": [
                    {"format": "print", "tiers": [{"rate": "10"}, {"threshold": "5000", "rate": "12"}] * 2},
                ]
            },
            "tiers",
            "must increase: 0 comes after 5000",
        ),
        ({"rules": [{"format": "print", "tiers": [{"threshold": "5", "rate": "10"}]}]}, "tiers", "must start at 0"),
        ({"rules": [{"format": "ebook", "tiers": [{"rate": "101"}]}]}, "tiers", "between 0 and 100"),
        ({"rules": []}, "rules", "at least one share rule"),
        ({"currency": "USD"}, "currency", "sells in CNY"),
        ({"advance": "-5"}, "advance", "cannot be negative"),
        ({"valid_to": "2025-12-31"}, "valid_to", "must end after it starts"),
        # Shapes and types are refused before the services are asked, under the nested path.
        ({"rules": [{"format": "bundle", "tiers": [{"rate": "10"}]}]}, "rules[0].format", "valid choice"),
        ({"rules": [{"format": "ebook", "tiers": [{"rate": "ten"}]}]}, "rules[0].tiers[0].rate", "valid number"),
        ({"starts_on": "next year"}, "starts_on", "format"),
    ],
)
def test_invalid_terms_are_a_400_under_their_field_and_nothing_is_saved(
    staff_client: Client, publisher: Partner, changes: dict[str, Any], field: str, says: str
) -> None:
    response = _post(staff_client, reverse("api-settlement-contracts", args=[publisher.slug]), _hardcover(**changes))

    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"], error
    assert says in " ".join(error["fields"][field]), error
    assert not Contract.objects.exists() and not ShareRule.objects.exists()


def test_an_overlapping_contract_and_a_taken_number_are_refused(staff_client: Client, publisher: Partner) -> None:
    existing = contract_for(publisher, rule("print", 8), starts_on=date(2025, 1, 1))
    url = reverse("api-settlement-contracts", args=[publisher.slug])

    overlap = _post(staff_client, url, _hardcover())
    taken = _post(
        staff_client,
        url,
        _hardcover(number=existing.number, rules=[{"format": "audiobook", "tiers": [{"rate": "40"}]}]),
    )

    assert overlap.status_code == 400
    assert existing.number in overlap.json()["error"]["fields"]["valid_from"][0]
    assert taken.status_code == 400 and "is taken" in taken.json()["error"]["fields"]["number"][0]
    assert Contract.objects.count() == 1


def test_new_terms_from_a_date_close_the_old_ones_and_may_not_start_before_them(
    staff_client: Client, publisher: Partner
) -> None:
    contract = contract_for(publisher, rule("audiobook", 40), starts_on=date(2026, 1, 1))
    url = reverse("api-settlement-contract-versions", args=[publisher.slug, contract.number])
    terms = {"basis": "net", "rules": [{"format": "audiobook", "tiers": [{"rate": "45"}]}], "note": "rate up"}

    created = _post(staff_client, url, {**terms, "valid_from": "2026-07-01"})
    too_early = _post(staff_client, url, {**terms, "valid_from": "2026-03-01"})

    assert created.status_code == 201, created.json()
    first, second = created.json()["versions"]
    assert (first["valid_to"], second["valid_from"], second["rules"][0]["tiers"][0]["rate"]) == (
        "2026-06-30",
        "2026-07-01",
        "45.0000",
    )
    assert too_early.status_code == 400
    assert "must start after the current one" in too_early.json()["error"]["fields"]["valid_from"][0]
    assert ContractVersion.objects.filter(contract=contract).count() == 2


def test_only_platform_staff_with_the_permission_may_write(publisher: Partner) -> None:
    contract = contract_for(publisher, rule("audiobook", 40), starts_on=date(2026, 1, 1))
    create_url = reverse("api-settlement-contracts", args=[publisher.slug])
    version_url = reverse("api-settlement-contract-versions", args=[publisher.slug, contract.number])
    version_body = {
        "basis": "net",
        "valid_from": "2026-07-01",
        "rules": [{"format": "audiobook", "tiers": [{"rate": "90"}]}],
    }
    owner = _client()
    owner.force_login(MembershipFactory(partner=publisher, role=Membership.Role.OWNER).user)
    _key, raw = api_key_create(partner=publisher, name="erp", scopes=["settlements:read"], created_by=None)
    key = Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    staff_without = _client()
    staff_without.force_login(_staff())
    only_versions = _client()
    only_versions.force_login(_staff("add_contractversion"))

    for client in (owner, key, staff_without, only_versions):
        assert _post(client, create_url, _hardcover(number="X-1")).status_code == 403
    for client in (owner, key, staff_without):
        assert _post(client, version_url, version_body).status_code == 403
    assert _post(Client(), create_url, _hardcover(number="X-2")).status_code in {401, 403}
    assert Contract.objects.count() == 1 and ContractVersion.objects.count() == 1
    # The partner and its key still read their contract.
    assert owner.get(create_url).status_code == 200 and key.get(create_url).status_code == 200
    assert _post(only_versions, version_url, version_body).status_code == 201


def test_another_partners_contract_cannot_be_given_new_terms_under_this_partners_address(
    staff_client: Client, publisher: Partner
) -> None:
    other = PartnerFactory()
    theirs = contract_for(other, rule("ebook", 70))
    url = reverse("api-settlement-contract-versions", args=[publisher.slug, theirs.number])

    response = _post(
        staff_client,
        url,
        {"basis": "net", "valid_from": "2026-07-01", "rules": [{"format": "ebook", "tiers": [{"rate": "60"}]}]},
    )

    assert response.status_code == 404
    assert ContractVersion.objects.filter(contract=theirs).count() == 1


def test_errors_speak_the_callers_language(publisher: Partner) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(_staff("add_contract"))

    response = _post(client, reverse("api-settlement-contracts", args=[publisher.slug]), _hardcover(reserve_rate="120"))

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["reserve_rate"] == ["准备金比例 必须在 0 到 100% 之间，不能是 120%。"]
