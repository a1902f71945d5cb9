"""Partners read only their own contracts and statements: through the API (people and keys) and the
portal, every endpoint answers 404 for another partner's object."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from settlements.models import Contract, Statement
from settlements.services.runs import settlement_run_create, settlement_run_transition
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.settlements import at, contract_for, paid_order, rule
from users.models import Partner
from users.services import api_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_partners() -> dict[str, object]:
    mine, theirs = PartnerFactory(), PartnerFactory()
    for partner in (mine, theirs):
        contract_for(partner, rule("ebook", 70), basis="list")
        paid_order(
            sellable_book(price="50.00", owner=partner, title=f"书 {partner.slug}"), paid_at=at(date(2025, 1, 9))
        )
    run = settlement_run_create(period_start=date(2025, 1, 1), period_end=date(2025, 1, 31))
    for state in ("reviewed", "approved"):
        settlement_run_transition(run=run, to_state=state)
    return {
        "mine": mine,
        "theirs": theirs,
        "my_statement": Statement.objects.get(partner=mine),
        "their_statement": Statement.objects.get(partner=theirs),
        "my_contract": Contract.objects.get(partner=mine),
        "their_contract": Contract.objects.get(partner=theirs),
    }


def _member_client(partner: Partner) -> Client:
    client = Client()
    client.force_login(MembershipFactory(partner=partner, user=UserFactory()).user)
    return client


def _key_client(partner: Partner, scopes: list[str]) -> Client:
    _key, raw = api_key_create(partner=partner, name="erp", scopes=scopes, created_by=None)
    return Client(HTTP_AUTHORIZATION=f"Api-Key {raw}")


def _api_urls(slug: str, statement: Statement, contract: Contract) -> list[str]:
    return [
        reverse("api-settlement-contracts", args=[slug]),
        reverse("api-settlement-contract", args=[slug, contract.number]),
        reverse("api-settlement-statements", args=[slug]),
        reverse("api-settlement-statement", args=[slug, statement.pk]),
        reverse("api-settlement-statement-lines", args=[slug, statement.pk]),
    ]


def _portal_urls(slug: str, statement: Statement) -> list[str]:
    return [
        reverse("settlements:portal-statements", args=[slug]),
        reverse("settlements:portal-statement", args=[slug, statement.pk]),
        reverse("settlements:portal-statement-csv", args=[slug, statement.pk]),
        reverse("settlements:portal-statement-pdf", args=[slug, statement.pk]),
    ]


@pytest.mark.parametrize("as_key", [False, True], ids=["member", "api-key"])
def test_every_api_endpoint_serves_the_partners_own_contract_and_statement(two_partners: dict, as_key: bool) -> None:
    mine = two_partners["mine"]
    client = _key_client(mine, ["settlements:read"]) if as_key else _member_client(mine)
    for url in _api_urls(mine.slug, two_partners["my_statement"], two_partners["my_contract"]):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("as_key", [False, True], ids=["member", "api-key"])
def test_every_api_endpoint_hides_another_partners_contract_and_statement(two_partners: dict, as_key: bool) -> None:
    mine, theirs = two_partners["mine"], two_partners["theirs"]
    client = _key_client(mine, ["settlements:read"]) if as_key else _member_client(mine)
    # Through the other partner's slug, and through one's own slug with the other's ids.
    urls = _api_urls(theirs.slug, two_partners["their_statement"], two_partners["their_contract"])
    urls += _api_urls(mine.slug, two_partners["their_statement"], two_partners["their_contract"])[1:2]
    urls += _api_urls(mine.slug, two_partners["their_statement"], two_partners["their_contract"])[3:]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"


def test_an_api_key_without_the_settlements_scope_is_refused(two_partners: dict) -> None:
    mine = two_partners["mine"]
    client = _key_client(mine, ["partner:read"])
    for url in _api_urls(mine.slug, two_partners["my_statement"], two_partners["my_contract"]):
        assert client.get(url).status_code == 403, url


def test_every_portal_page_and_download_hides_another_partners_statement(two_partners: dict) -> None:
    mine, theirs = two_partners["mine"], two_partners["theirs"]
    client = _member_client(mine)
    for url in _portal_urls(mine.slug, two_partners["my_statement"]):
        assert client.get(url).status_code == 200, url
    for url in (
        _portal_urls(theirs.slug, two_partners["their_statement"])
        + _portal_urls(mine.slug, two_partners["their_statement"])[1:]
    ):
        assert client.get(url).status_code == 404, url


def test_statement_lines_are_filtered_and_paginated(two_partners: dict) -> None:
    mine = two_partners["mine"]
    client = _key_client(mine, ["settlements:read"])
    url = reverse("api-settlement-statement-lines", args=[mine.slug, two_partners["my_statement"].pk])
    body = client.get(url, {"kind": "sale", "page_size": 1}).json()
    assert body["count"] == 1
    assert [line["kind"] for line in body["results"]] == ["sale"]
    assert body["results"][0]["amount"] == "35.00"
    bad = client.get(url, {"kind": "bonus"})
    assert bad.status_code == 400
    assert "kind" in bad.json()["error"]["fields"]


def test_statements_of_unapproved_runs_are_not_shown_to_partners() -> None:
    partner = PartnerFactory()
    contract_for(partner, rule("ebook", 70), basis="list")
    paid_order(sellable_book(price="50.00", owner=partner), paid_at=at(date(2025, 1, 9)))
    settlement_run_create(period_start=date(2025, 1, 1), period_end=date(2025, 1, 31))
    client = _key_client(partner, ["settlements:read"])
    assert client.get(reverse("api-settlement-statements", args=[partner.slug])).json()["count"] == 0


def test_the_portal_page_charts_earnings_by_month_and_format_and_downloads_work(two_partners: dict) -> None:
    mine = two_partners["mine"]
    client = _member_client(mine)
    page = client.get(reverse("settlements:portal-statements", args=[mine.slug]))
    html = page.content.decode()
    assert html.count("<svg") == 2
    assert "2025-01" in html
    csv = client.get(reverse("settlements:portal-statement-csv", args=[mine.slug, two_partners["my_statement"].pk]))
    assert "35.00" in csv.content.decode("utf-8-sig")
    pdf = client.get(reverse("settlements:portal-statement-pdf", args=[mine.slug, two_partners["my_statement"].pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
