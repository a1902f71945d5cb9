"""The run report: what was received in the period and who gets it, with the checks that prove
the shares add up to it to the cent.

``received`` is read from commerce's payments and refunds, independently of
anything the run wrote: payments of orders paid in the period, less refunds
completed in it. The run's items must add up to exactly that; each sale's
tier parts must add up to its basis; each statement's lines must add up to
its payable and carried-forward balance. The platform's share is what is
left when partners, promoters and fees are paid.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from commerce.models import Payment, Refund
from core.money import money_quantize
from settlements.models import SettlementItem, SettlementRun, Statement, StatementLine
from settlements.services.computation import PAID, period_bounds
from settlements.services.sql import INT, MONEY, cents, int_expr, int_sum

ZERO = Decimal("0.00")
Kind = StatementLine.Kind


def _by_currency(rows: Any, key: str = "currency", value: str = "total") -> dict[str, Decimal]:
    return {r[key]: money_quantize(r[value] or ZERO) for r in rows}


def run_report_build(*, run: SettlementRun) -> dict[str, Any]:
    """The reconciliation of the run's period (this run and every live run before it for the same period)."""
    start, end = period_bounds(start=run.period_start, end=run.period_end)
    runs = SettlementRun.objects.filter(
        period_start=run.period_start, period_end=run.period_end, pk__lte=run.pk
    ).exclude(state=SettlementRun.State.DISCARDED)
    received_in = _by_currency(
        Payment.objects.filter(order__status__in=PAID, order__paid_at__gte=start, order__paid_at__lt=end)
        .values("currency")
        .annotate(total=Sum("amount"))
    )
    refunded = _by_currency(
        Refund.objects.filter(
            status=Refund.Status.SUCCEEDED, completed_at__gte=start, completed_at__lt=end, order__status__in=PAID
        )
        .values("currency")
        .annotate(total=Sum("amount"))
    )
    items = SettlementItem.objects.filter(run__in=runs)
    item_rows = {
        r["currency"]: r
        for r in items.values("currency").annotate(
            total=Sum("amount"),
            fees=Sum(F("payment_fee") + F("channel_fee"), output_field=MONEY),
            uncovered=Coalesce(Sum("amount", filter=Q(rule__isnull=True)), ZERO, output_field=MONEY),
            sales=Count("pk", filter=Q(kind=SettlementItem.Kind.SALE)),
            refunds=Count("pk", filter=Q(kind=SettlementItem.Kind.REFUND)),
        )
    }
    lines = StatementLine.objects.filter(run__in=runs)
    by_kind: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for r in lines.values("statement__currency", "kind").annotate(total=Sum("amount")):
        by_kind[r["statement__currency"]][r["kind"]] = money_quantize(r["total"] or ZERO)

    # Every sale's tier parts add up to its basis (one join and one grouping, not a lookup per sale).
    tier_mismatches = (
        items.filter(kind=SettlementItem.Kind.SALE, rule__isnull=False, run=run)
        .annotate(
            parts=Coalesce(int_sum(cents("lines__basis"), filter=Q(lines__kind=Kind.SALE)), Value(-1), output_field=INT)
        )
        .exclude(parts=cents("basis"))
        .count()
    )
    # Every statement's lines (but the payable line) add up to payable + carried forward.
    line_sum = (
        StatementLine.objects.filter(statement_id=OuterRef("pk"))
        .exclude(kind=Kind.PAYABLE)
        .values("statement_id")
        .annotate(t=int_sum(cents("amount")))
        .values("t")[:1]
    )
    # Compared in integer cents: SQLite sums decimals as floating point.
    unbalanced = (
        Statement.objects.filter(run=run)
        .annotate(lines_total=Coalesce(Subquery(line_sum, output_field=INT), 0, output_field=INT))
        .exclude(lines_total=int_expr(cents("payable") + cents("carried_forward")))
        .count()
    )
    currencies: dict[str, Any] = {}
    all_match = True
    for currency in sorted(set(received_in) | set(refunded) | set(item_rows) | set(by_kind)):
        received = received_in.get(currency, ZERO) - refunded.get(currency, ZERO)
        row = item_rows.get(currency, {})
        settled = money_quantize(row.get("total") or ZERO)
        fees = money_quantize(row.get("fees") or ZERO)
        kinds = by_kind.get(currency, {})
        partners = kinds.get(Kind.SALE, ZERO) + kinds.get(Kind.REFUND, ZERO)
        promoters = kinds.get(Kind.COMMISSION, ZERO)
        platform = settled - partners - promoters - fees
        match = received == settled and partners + promoters + fees + platform == received
        all_match = all_match and match
        currencies[currency] = {
            "received": str(received),
            "payments": str(received_in.get(currency, ZERO)),
            "refunds": str(refunded.get(currency, ZERO)),
            "settled_items": str(settled),
            "sales": row.get("sales", 0),
            "refund_items": row.get("refunds", 0),
            "uncovered": str(money_quantize(row.get("uncovered") or ZERO)),
            "shares": {
                "partners": str(partners),
                "promoters": str(promoters),
                "fees": str(fees),
                "platform": str(platform),
            },
            "statements": {
                kind: str(kinds.get(kind, ZERO))
                for kind in (
                    Kind.BALANCE_FORWARD,
                    Kind.CAMPAIGN_COST,
                    Kind.RESERVE_HELD,
                    Kind.RESERVE_RELEASED,
                    Kind.ADVANCE_RECOUPMENT,
                    Kind.MINIMUM_GUARANTEE,
                    Kind.WITHHOLDING,
                    Kind.PAYABLE,
                )
            },
            "received_equals_settled": received == settled,
        }
    checks = {
        "received_equals_settled": all(c["received_equals_settled"] for c in currencies.values()),
        "tier_parts_add_up": tier_mismatches == 0,
        "statements_balance": unbalanced == 0,
    }
    return {
        "period": [run.period_start.isoformat(), run.period_end.isoformat()],
        "runs": list(runs.values_list("pk", flat=True)),
        "currencies": currencies,
        "checks": checks,
        "tier_mismatches": tier_mismatches,
        "unbalanced_statements": unbalanced,
        "reconciles": all_match and all(checks.values()),
    }
