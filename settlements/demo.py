"""Demo revenue sharing: fee rates, and contracts for the demo publishers (the platform keeps
the whole of its own courses, so they need none), then a settlement of last month as a draft."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from core.errors import DomainError
from settlements.models import Contract, FeeRate
from settlements.services.contracts import RuleSpec, Terms, TierSpec, contract_create
from settlements.tasks import previous_month
from users.models import Partner


def _flat(fmt: str, rate: str, channel: str = "") -> RuleSpec:
    return RuleSpec(format=fmt, tiers=[TierSpec(threshold=Decimal(0), rate=Decimal(rate))], channel=channel)


CONTRACTS = [
    (
        "qingsong-press",
        "QS-2026-001",
        "青松出版社数字与纸书分成协议 Qingsong Press digital and print revenue share",
        Terms(
            basis="net",
            rules=[
                _flat("ebook", "70"),
                _flat("audiobook", "40"),
                RuleSpec(
                    format="print",
                    tiers=[
                        TierSpec(threshold=Decimal(0), rate=Decimal("10")),
                        TierSpec(threshold=Decimal(5000), rate=Decimal("12.5")),
                        TierSpec(threshold=Decimal(10000), rate=Decimal("15")),
                    ],
                ),
            ],
            advance=Decimal("50000"),
            reserve_rate=Decimal("20"),
            reserve_periods=2,
            withholding_rate=Decimal("3"),
        ),
    ),
    (
        "yuanshan-books",
        "YS-2026-001",
        "远山文化分成协议 Yuanshan Books revenue share",
        Terms(
            basis="list",
            rules=[
                _flat("ebook", "45"),
                _flat("ebook", "35", channel="app"),
                _flat("audiobook", "40"),
                _flat("print", "12"),
            ],
            minimum_guarantee=Decimal("20000"),
            campaign_cost_share=Decimal("100"),
        ),
    ),
]


def load(*, stdout: Any = None) -> str:
    for kind, key, rate in (("payment", "sandbox", "0.6"), ("channel", "app", "30"), ("channel", "partner_api", "10")):
        FeeRate.objects.get_or_create(kind=kind, key=key, valid_from=date(2026, 1, 1), defaults={"rate": Decimal(rate)})
    made = 0
    for slug, number, title, terms in CONTRACTS:
        partner = Partner.objects.filter(slug=slug).first()
        if partner is None or Contract.objects.filter(number=number).exists():
            continue
        try:
            contract_create(
                partner=partner, number=number, title=title, currency="CNY", starts_on=date(2026, 1, 1), terms=terms
            )
        except DomainError as exc:
            if stdout is not None:
                stdout.write(f"  settlements: {number} not created: {exc.message}")
            continue
        made += 1
    start, end = previous_month(timezone.localdate())
    from settlements.services.runs import settlement_run_create

    try:
        run = settlement_run_create(period_start=start, period_end=end)
        ran = f", draft run for {start:%Y-%m} ({'reconciles' if run.reconciles else 'does not reconcile'})"
    except DomainError:
        ran = ""
    return f"({made} contracts{ran})"
