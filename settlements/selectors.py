"""Reads of contracts, statements and their lines, and the figures the portal charts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from settlements.models import Contract, ContractVersion, SettlementRun, ShareRule, Statement, StatementLine
from users.models import Partner

# Partners see a statement once its run has been approved: a draft may still be discarded.
VISIBLE_STATES = SettlementRun.CLOSED


def contract_list_for_partner(*, partner: Partner) -> QuerySet[Contract]:
    rules = ShareRule.objects.prefetch_related("tiers").order_by("format", "channel")
    versions = ContractVersion.objects.prefetch_related(Prefetch("rules", queryset=rules)).order_by("valid_from")
    return (
        Contract.objects.filter(partner=partner)
        .select_related("partner")
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("number")
    )


def statement_list_for_partner(
    *,
    partner: Partner,
    period_from: date | None = None,
    period_to: date | None = None,
    currency: str | None = None,
    include_unapproved: bool = False,
) -> QuerySet[Statement]:
    statements = Statement.objects.filter(partner=partner).select_related("run", "contract", "partner")
    if not include_unapproved:
        statements = statements.filter(run__state__in=VISIBLE_STATES)
    else:
        statements = statements.exclude(run__state=SettlementRun.State.DISCARDED)
    if period_from is not None:
        statements = statements.filter(period_end__gte=period_from)
    if period_to is not None:
        statements = statements.filter(period_start__lte=period_to)
    if currency:
        statements = statements.filter(currency=currency.upper())
    return statements.order_by("-period_start", "contract__number", "-run_id")


def statement_lines(
    *, statement: Statement, kind: str | None = None, fmt: str | None = None
) -> QuerySet[StatementLine]:
    lines = StatementLine.objects.filter(statement=statement).select_related("product", "tier", "order_line__order")
    if kind:
        lines = lines.filter(kind=kind)
    if fmt:
        lines = lines.filter(format=fmt)
    return lines.order_by("pk")


def statement_summary(*, statement: Statement) -> list[tuple[str, Decimal, bool]]:
    """(label, amount, is_total) from what was brought forward to what is carried forward, as the
    portal page and the PDF show it: earnings and payable always, the rest where not zero."""
    rows = [
        (_("Brought forward"), statement.opening_balance, False),
        (_("Earnings"), statement.earnings, True),
        (_("Referral commissions"), statement.commissions, False),
        (_("Joint-campaign cost share"), statement.campaign_cost, False),
        (_("Reserve held"), statement.reserve_held, False),
        (_("Reserve released"), statement.reserve_released, False),
        (_("Advance recouped"), statement.advance_recouped, False),
        (_("Minimum-guarantee top-up"), statement.minimum_guarantee, False),
        (_("Withholding tax"), statement.withholding, False),
        (_("Payable"), statement.payable, True),
        (_("Carried forward"), statement.carried_forward, False),
    ]
    return [(label, amount, total) for label, amount, total in rows if total or amount]


def earnings_by_month(*, partner: Partner, include_unapproved: bool = False) -> list[tuple[str, str, Decimal]]:
    """(YYYY-MM, currency, earnings) for each month with statements, oldest first."""
    statements = statement_list_for_partner(partner=partner, include_unapproved=include_unapproved)
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for start, currency, earnings in statements.values_list("period_start", "currency", "earnings"):
        totals[(f"{start:%Y-%m}", currency)] += earnings
    return [(month, currency, total) for (month, currency), total in sorted(totals.items())]


def earnings_by_format(*, partner: Partner, include_unapproved: bool = False) -> list[tuple[str, str, Decimal]]:
    """(format, currency, earnings) over every statement the partner can see, largest first."""
    statements = statement_list_for_partner(partner=partner, include_unapproved=include_unapproved)
    rows = (
        StatementLine.objects.filter(statement__in=statements, kind__in=StatementLine.EARNING_KINDS)
        .values("format", "statement__currency")
        .annotate(total=Sum("amount"))
    )
    out = [(r["format"], r["statement__currency"], r["total"] or Decimal(0)) for r in rows]
    return sorted(out, key=lambda r: (-r[2], r[0]))


def run_overview() -> QuerySet[SettlementRun]:
    """Runs with what they owe across partners (the platform's overview)."""
    return SettlementRun.objects.annotate(
        payable=Sum("statements__payable"),
        partners=Sum("statements__earnings", filter=Q(statements__partner__isnull=False)),
    ).order_by("-period_start", "-pk")
