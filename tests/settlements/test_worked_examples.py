"""Worked examples from real-world terms, each settled end to end through real runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from commerce.models import Order
from settlements.models import FeeRate, SettlementRun, Statement, StatementLine
from settlements.services.reconciliation import run_report_build
from settlements.services.runs import settlement_run_create, settlement_run_transition
from tests.factories import PartnerFactory
from tests.factories.catalog import bundle_of, sellable_book, sellable_course
from tests.factories.settlements import Buy, at, contract_for, paid_order, refund_all, rule

pytestmark = pytest.mark.django_db
Kind = StatementLine.Kind
JAN, FEB, MAR = (
    (date(2025, 1, 1), date(2025, 1, 31)),
    (date(2025, 2, 1), date(2025, 2, 28)),
    (date(2025, 3, 1), date(2025, 3, 31)),
)


def settle(period: tuple[date, date]) -> SettlementRun:
    run = settlement_run_create(period_start=period[0], period_end=period[1])
    assert run.reconciles, run.report
    return run


def statement_of(run: SettlementRun, partner: object) -> Statement:
    return Statement.objects.get(run=run, partner=partner)


def lines(run: SettlementRun, kind: str) -> list[StatementLine]:
    return list(StatementLine.objects.filter(run=run, kind=kind).order_by("pk"))


def test_ebook_at_70_percent_of_net_receipts_after_payment_and_app_store_fees() -> None:
    publisher = PartnerFactory()
    ebook = sellable_book(price="100.00", owner=publisher)
    contract_for(publisher, rule("ebook", 70), basis="net")
    FeeRate.objects.create(kind="payment", key="sandbox", rate=Decimal("0.6"), valid_from=date(2024, 1, 1))
    FeeRate.objects.create(kind="channel", key="app", rate=Decimal("30"), valid_from=date(2024, 1, 1))
    paid_order(ebook, paid_at=at(date(2025, 1, 10)), channel=Order.Channel.APP)

    run = settle(JAN)

    # 100.00 − 0.60 payment fee − 30.00 app store = 69.40 net; 70 % of it.
    [line] = lines(run, Kind.SALE)
    assert (line.basis, line.rate, line.amount) == (Decimal("69.40"), Decimal("70.0000"), Decimal("48.58"))
    assert statement_of(run, publisher).payable == Decimal("48.58")
    shares = run.report["currencies"]["CNY"]["shares"]
    assert shares == {"partners": "48.58", "promoters": "0.00", "fees": "30.60", "platform": "20.82"}


def test_audiobook_at_40_percent_of_list_price() -> None:
    publisher = PartnerFactory()
    audiobook = sellable_book(price="59.90", fmt="audiobook", owner=publisher)
    contract_for(publisher, rule("audiobook", 40), basis="list")
    paid_order(Buy(audiobook, discount=Decimal("10.00")), paid_at=at(date(2025, 1, 3)))

    run = settle(JAN)

    # On list price the partner does not bear the discount: 40 % of 59.90.
    [line] = lines(run, Kind.SALE)
    assert (line.basis, line.amount) == (Decimal("59.90"), Decimal("23.96"))
    assert run.report["currencies"]["CNY"]["received"] == "49.90"


def _sell_print(variant: object, units: int, day: date) -> None:
    while units > 0:
        take = min(units, 99)
        paid_order(Buy(variant, quantity=take), paid_at=at(day))  # type: ignore[arg-type]
        units -= take


def test_hardcover_tiers_at_5000_and_10000_units_split_the_line_that_crosses_each() -> None:
    publisher = PartnerFactory()
    hardcover = sellable_book(price="80.00", fmt="print", owner=publisher)
    contract_for(publisher, rule("print", (0, 10), (5000, "12.5"), (10000, 15)), basis="list")
    _sell_print(hardcover, 4990, date(2025, 1, 5))
    january = settle(JAN)
    assert statement_of(january, publisher).earnings == Decimal("39920.00")  # 4,990 × 80 × 10 %

    paid_order(Buy(hardcover, quantity=20), paid_at=at(date(2025, 2, 2)))
    february = settle(FEB)
    # 10 units at 10 % and 10 at 12.5 %: the line is split at 5,000.
    split = [(line.quantity, line.basis, line.rate, line.amount) for line in lines(february, Kind.SALE)]
    assert split == [
        (10, Decimal("800.00"), Decimal("10.0000"), Decimal("80.00")),
        (10, Decimal("800.00"), Decimal("12.5000"), Decimal("100.00")),
    ]

    _sell_print(hardcover, 4985, date(2025, 3, 1))
    paid_order(Buy(hardcover, quantity=30), paid_at=at(date(2025, 3, 20)))
    march = settle(MAR)
    last = list(StatementLine.objects.filter(run=march, kind=Kind.SALE, item__quantity=30).order_by("tier__threshold"))
    # 9,995 sold before the last line: 5 units at 12.5 %, 25 at 15 %.
    assert [(line.quantity, line.rate, line.amount) for line in last] == [
        (5, Decimal("12.5000"), Decimal("50.00")),
        (25, Decimal("15.0000"), Decimal("300.00")),
    ]


def test_50000_advance_is_earned_out_in_the_middle_of_a_period() -> None:
    instructor = PartnerFactory()
    course = sellable_course(price="1000.00", owner=instructor)
    contract_for(instructor, rule("course", 70), basis="list", advance=Decimal("50000"))
    for i in range(60):
        paid_order(course, paid_at=at(date(2025, 1, 1 + i % 28)))
    january = settle(JAN)
    first = statement_of(january, instructor)
    assert (first.earnings, first.advance_recouped, first.payable) == (
        Decimal("42000.00"),
        Decimal("-42000.00"),
        Decimal("0.00"),
    )

    for i in range(20):
        paid_order(course, paid_at=at(date(2025, 2, 1 + i)))
    february = settle(FEB)
    second = statement_of(february, instructor)
    # 14,000 earned; the last 8,000 of the advance is recouped, 6,000 is paid.
    assert (second.earnings, second.advance_recouped, second.payable) == (
        Decimal("14000.00"),
        Decimal("-8000.00"),
        Decimal("6000.00"),
    )
    total_recouped = sum(line.amount for line in StatementLine.objects.filter(kind=Kind.ADVANCE_RECOUPMENT))
    assert total_recouped == Decimal("-50000.00")

    paid_order(course, paid_at=at(date(2025, 3, 3)))
    assert statement_of(settle(MAR), instructor).advance_recouped == 0


def test_20_percent_reserve_is_held_and_released_after_two_periods() -> None:
    publisher = PartnerFactory()
    ebook = sellable_book(price="100.00", owner=publisher)
    contract_for(publisher, rule("ebook", 50), basis="list", reserve_rate=Decimal("20"), reserve_periods=2)
    for day in range(1, 21):
        paid_order(ebook, paid_at=at(date(2025, 1, day)))

    january = settle(JAN)
    held = statement_of(january, publisher)
    assert (held.earnings, held.reserve_held, held.payable) == (
        Decimal("1000.00"),
        Decimal("-200.00"),
        Decimal("800.00"),
    )
    assert lines(january, Kind.RESERVE_HELD)[0].release_on == date(2025, 3, 1)

    assert statement_of(settle(FEB), publisher).reserve_released == 0
    march = settle(MAR)
    released = statement_of(march, publisher)
    assert (released.reserve_released, released.payable) == (Decimal("200.00"), Decimal("200.00"))
    assert lines(march, Kind.RESERVE_RELEASED)[0].releases == lines(january, Kind.RESERVE_HELD)[0]


def test_a_refund_in_a_later_period_is_settled_there_and_the_earlier_statement_is_unchanged() -> None:
    publisher = PartnerFactory()
    ebook = sellable_book(price="100.00", owner=publisher)
    contract_for(publisher, rule("ebook", 70), basis="list")
    order = paid_order(ebook, paid_at=at(date(2025, 1, 20)))
    paid_order(ebook, paid_at=at(date(2025, 1, 21)))
    january = settle(JAN)
    before = list(StatementLine.objects.filter(run=january).values_list("pk", "amount"))

    refund_all(order, completed_at=at(date(2025, 2, 2)))
    february = settle(FEB)

    [reversal] = lines(february, Kind.REFUND)
    assert reversal.amount == Decimal("-70.00")
    assert reversal.reverses is not None and reversal.reverses.run == january
    assert list(StatementLine.objects.filter(run=january).values_list("pk", "amount")) == before
    assert statement_of(january, publisher).payable == Decimal("140.00")
    # The refund leaves February negative: nothing is paid and the balance is carried into March.
    feb = statement_of(february, publisher)
    assert (feb.payable, feb.carried_forward) == (Decimal("0.00"), Decimal("-70.00"))
    paid_order(ebook, paid_at=at(date(2025, 3, 5)))
    paid_order(ebook, paid_at=at(date(2025, 3, 6)))
    march = statement_of(settle(MAR), publisher)
    assert (march.opening_balance, march.payable) == (Decimal("-70.00"), Decimal("70.00"))


def test_bundle_revenue_is_split_pro_rata_to_standalone_prices_and_each_item_follows_its_owners_contract() -> None:
    press, academy = PartnerFactory(), PartnerFactory()
    book = sellable_book(price="60.00", owner=press)
    course = sellable_course(price="240.00", owner=academy)
    bundle = bundle_of(book, course, price="199.99")
    contract_for(press, rule("ebook", 50), basis="list")
    contract_for(academy, rule("course", 30), basis="list")
    paid_order(bundle, paid_at=at(date(2025, 1, 8)))

    run = settle(JAN)

    # 199.99 × 60/300 = 39.998 → 40.00; 199.99 × 240/300 = 159.992 → 159.99 (largest remainder).
    press_line = StatementLine.objects.get(run=run, kind=Kind.SALE, statement__partner=press)
    academy_line = StatementLine.objects.get(run=run, kind=Kind.SALE, statement__partner=academy)
    assert (press_line.basis, press_line.amount) == (Decimal("40.00"), Decimal("20.00"))
    assert (academy_line.basis, academy_line.amount) == (Decimal("159.99"), Decimal("48.00"))


def test_withholding_is_taken_from_what_is_paid_after_recoupment() -> None:
    author = PartnerFactory()
    ebook = sellable_book(price="100.00", owner=author)
    contract_for(author, rule("ebook", 50), basis="list", advance=Decimal("100"), withholding_rate=Decimal("10"))
    for day in range(1, 6):
        paid_order(ebook, paid_at=at(date(2025, 1, day)))
    statement = statement_of(settle(JAN), author)
    # 250 earned − 100 recouped = 150 taxable; 10 % withheld.
    assert (statement.withholding, statement.payable) == (Decimal("-15.00"), Decimal("135.00"))


def test_minimum_guarantee_tops_up_the_contract_year_in_the_period_it_ends() -> None:
    author = PartnerFactory()
    ebook = sellable_book(price="100.00", owner=author)
    contract_for(author, rule("ebook", 50), basis="list", starts_on=date(2024, 2, 1), minimum_guarantee=Decimal("1000"))
    paid_order(ebook, paid_at=at(date(2025, 1, 10)))
    statement = statement_of(settle(JAN), author)
    # The contract year 2024-02-01 – 2025-01-31 ends in January: 50 earned, 950 topped up.
    assert (statement.minimum_guarantee, statement.payable) == (Decimal("950.00"), Decimal("1000.00"))


def test_sales_without_a_contract_stay_with_the_platform_and_still_reconcile() -> None:
    nobody = PartnerFactory()
    paid_order(sellable_book(price="30.00", owner=nobody), paid_at=at(date(2025, 1, 2)))
    run = settle(JAN)
    cny = run.report["currencies"]["CNY"]
    assert (cny["uncovered"], cny["shares"]["platform"]) == ("30.00", "30.00")
    assert not Statement.objects.filter(run=run).exists()


def test_approved_runs_close_the_period_and_paying_records_payouts() -> None:
    publisher = PartnerFactory()
    contract_for(publisher, rule("ebook", 70), basis="list")
    paid_order(sellable_book(price="10.00", owner=publisher), paid_at=at(date(2025, 1, 2)))
    run = settle(JAN)
    for state in ("reviewed", "approved", "paid"):
        run = settlement_run_transition(run=run, to_state=state)
    statement = statement_of(run, publisher)
    assert statement.payout.amount == Decimal("7.00")
    assert list(run.events.values_list("to_state", flat=True)) == ["draft", "reviewed", "approved", "paid"]


def test_the_run_report_catches_a_sale_whose_tier_parts_or_statement_do_not_add_up() -> None:
    publisher = PartnerFactory()
    hardcover = sellable_book(price="80.00", fmt="print", owner=publisher)
    contract_for(publisher, rule("print", (0, 10), (3, "12.5")), basis="list")
    paid_order(Buy(hardcover, quantity=5), paid_at=at(date(2025, 1, 5)))
    run = settle(JAN)
    first, second = lines(run, Kind.SALE)
    assert (first.quantity, second.quantity) == (3, 2)

    # A cent lost from one tier part's basis: the parts no longer add up to the sale's basis.
    table = StatementLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET basis = basis - 0.01 WHERE id = %s", [first.pk])  # noqa: S608
    report = run_report_build(run=run)
    assert report["checks"]["tier_parts_add_up"] is False
    assert report["tier_mismatches"] == 1
    assert report["reconciles"] is False
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET basis = basis + 0.01, amount = amount + 0.01 WHERE id = %s", [first.pk])  # noqa: S608
    # The basis restored but a cent added to the share: the statement no longer adds up to its payable.
    report = run_report_build(run=run)
    assert report["checks"]["tier_parts_add_up"] is True
    assert report["checks"]["statements_balance"] is False
    assert report["unbalanced_statements"] == 1
