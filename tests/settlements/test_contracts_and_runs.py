"""Contract validation with clear errors, versions that never rewrite the past, and the run state machine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from settlements.errors import ContractInvalid, IdempotencyKeyReused, RunInvalid, RunTransitionRefused
from settlements.models import SettlementItem, SettlementRun, SettlementRunEvent, StatementLine
from settlements.services.contracts import Terms, contract_version_create, tiers_parse
from settlements.services.runs import settlement_run_create, settlement_run_transition
from tests.factories import PartnerFactory
from tests.factories.catalog import sellable_book
from tests.factories.settlements import at, contract_for, paid_order, rule

pytestmark = pytest.mark.django_db
JAN = {"period_start": date(2025, 1, 1), "period_end": date(2025, 1, 31)}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_tiers_are_read_from_text() -> None:
    tiers = tiers_parse("0:10, 5000:12.5, 10000:15")
    assert [(t.threshold, t.rate) for t in tiers] == [
        (Decimal(0), Decimal(10)),
        (Decimal(5000), Decimal("12.5")),
        (Decimal(10000), Decimal(15)),
    ]


@pytest.mark.parametrize(
    ("rules", "terms", "field", "says"),
    [
        ([rule("print", (0, 10), (5000, 12), (4000, 15))], {}, "tiers", "must increase"),
        ([rule("ebook", 120)], {}, "tiers", "between 0 and 100"),
        ([rule("ebook", 70)], {"reserve_rate": Decimal("-5")}, "reserve_rate", "between 0 and 100"),
        ([rule("ebook", 70)], {"withholding_rate": Decimal("101")}, "withholding_rate", "between 0 and 100"),
        ([rule("print", (100, 10))], {}, "tiers", "must start at 0"),
    ],
)
def test_invalid_terms_are_refused_with_what_is_wrong(rules: list, terms: dict, field: str, says: str) -> None:
    with pytest.raises(ContractInvalid) as caught:
        contract_for(PartnerFactory(), *rules, **terms)
    assert caught.value.field == field
    assert says in caught.value.message


def test_overlapping_versions_for_the_same_partner_and_rule_are_refused() -> None:
    partner = PartnerFactory()
    contract_for(partner, rule("ebook", 70))
    with pytest.raises(ContractInvalid, match="already covers Ebook"):
        contract_for(partner, rule("ebook", 60, channel="app"), starts_on=date(2025, 6, 1))
    # Another format for the same partner is fine.
    contract_for(partner, rule("print", 10), starts_on=date(2025, 6, 1))


def test_a_contract_in_a_currency_the_partner_does_not_sell_in_is_refused() -> None:
    partner = PartnerFactory()
    sellable_book(owner=partner)
    with pytest.raises(ContractInvalid, match="sells in CNY, but this contract is in USD") as caught:
        contract_for(partner, rule("ebook", 70), currency="USD")
    assert caught.value.field == "currency"


def test_a_new_version_applies_from_its_date_and_cannot_reach_into_a_settled_period() -> None:
    partner = PartnerFactory()
    ebook = sellable_book(price="100.00", owner=partner)
    contract = contract_for(partner, rule("ebook", 50), basis="list")
    paid_order(ebook, paid_at=at(date(2025, 1, 20)))
    settlement_run_create(**JAN)
    new_terms = Terms(basis="list", rules=[rule("ebook", 60)])
    with pytest.raises(ContractInvalid, match="already been settled"):
        contract_version_create(contract=contract, valid_from=date(2025, 1, 15), terms=new_terms)
    version = contract_version_create(contract=contract, valid_from=date(2025, 2, 1), terms=new_terms)
    assert version.number == 2
    assert contract.versions.get(number=1).valid_to == date(2025, 1, 31)
    paid_order(ebook, paid_at=at(date(2025, 2, 3)))
    february = settlement_run_create(period_start=date(2025, 2, 1), period_end=date(2025, 2, 28))
    assert StatementLine.objects.get(run=february, kind="sale").amount == Decimal("60.00")


def test_the_same_idempotency_key_returns_the_first_run_and_another_period_is_refused() -> None:
    first = settlement_run_create(**JAN, idempotency_key="jan-2025")
    assert settlement_run_create(**JAN, idempotency_key="jan-2025").pk == first.pk
    with pytest.raises(IdempotencyKeyReused):
        settlement_run_create(period_start=date(2025, 2, 1), period_end=date(2025, 2, 28), idempotency_key="jan-2025")


def test_regular_runs_follow_each_other_without_gaps_and_unfinished_periods_wait() -> None:
    settlement_run_create(**JAN)
    with pytest.raises(RunInvalid, match="next one starts on 2025-02-01"):
        settlement_run_create(period_start=date(2025, 3, 1), period_end=date(2025, 3, 31))
    with pytest.raises(RunInvalid, match="has not ended yet"):
        settlement_run_create(period_start=date(2025, 2, 1), period_end=date(2099, 2, 28))


def test_a_run_moves_only_along_its_state_machine_and_records_every_move() -> None:
    run = settlement_run_create(**JAN)
    with pytest.raises(RunTransitionRefused):
        settlement_run_transition(run=run, to_state="paid")
    run = settlement_run_transition(run=run, to_state="reviewed", note="checked")
    run = settlement_run_transition(run=run, to_state="approved")
    with pytest.raises(RunTransitionRefused):
        settlement_run_transition(run=run, to_state="discarded")
    assert list(SettlementRunEvent.objects.filter(run=run).values_list("from_state", "to_state")) == [
        ("", "draft"),
        ("draft", "reviewed"),
        ("reviewed", "approved"),
    ]


def test_a_discarded_draft_frees_its_period_and_its_sales_are_settled_again() -> None:
    partner = PartnerFactory()
    contract_for(partner, rule("ebook", 70), basis="list")
    paid_order(sellable_book(price="10.00", owner=partner), paid_at=at(date(2025, 1, 2)))
    draft = settlement_run_create(**JAN)
    settlement_run_transition(run=draft, to_state="discarded")
    assert not SettlementItem.objects.filter(run=draft).exists()
    again = settlement_run_create(**JAN)
    assert again.pk != draft.pk
    assert again.items.count() == 1


def test_an_adjustment_run_settles_a_sale_recorded_after_its_period_closed() -> None:
    partner = PartnerFactory()
    ebook = sellable_book(price="10.00", owner=partner)
    contract_for(partner, rule("ebook", 70), basis="list")
    run = settlement_run_create(**JAN)
    for state in ("reviewed", "approved"):
        settlement_run_transition(run=run, to_state=state)
    # A payment captured late but dated in January.
    paid_order(ebook, paid_at=at(date(2025, 1, 30)))
    with pytest.raises(RunInvalid, match="adjustment"):
        settlement_run_create(**JAN, idempotency_key="again")
    adjustment = settlement_run_create(**JAN, kind="adjustment", idempotency_key="jan-fix-1")
    assert adjustment.reconciles
    assert StatementLine.objects.get(run=adjustment, kind="sale").amount == Decimal("7.00")
    assert StatementLine.objects.filter(run=run, kind="sale").count() == 0


def test_the_command_settles_a_month_and_prints_the_reconciliation(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("settle_period", "2025-01")
    out = capsys.readouterr().out
    assert "reconciles to the cent" in out
    assert SettlementRun.objects.filter(period_start=date(2025, 1, 1), kind="regular").exists()
    with pytest.raises(CommandError, match="not a month"):
        call_command("settle_period", "January")


def test_the_monthly_task_drafts_last_month_once() -> None:
    from settlements.tasks import settle_previous_month

    first = settle_previous_month.delay().get()
    # The previous months were never settled, so the run cannot follow on; nothing half-made is left.
    assert first is None or SettlementRun.objects.filter(pk=first, state="draft").exists()
    assert settle_previous_month.delay().get() == first


def test_the_demo_loader_gives_the_demo_publishers_contracts_once() -> None:
    from settlements import demo

    for slug in ("qingsong-press", "yuanshan-books"):
        PartnerFactory(slug=slug)
    assert demo.load().startswith("(2 contracts")
    assert demo.load().startswith("(0 contracts")
