"""Statements: one per partner contract (and one per promoter) in a run, and the way from
earnings to what is payable.

For a partner, in this order::

    balance brought forward (a negative result of an earlier statement)
  + earnings (sale and refund lines)
  − joint-campaign cost share
  − reserve held (reserve rate × positive earnings; released after N periods)
  + reserve released
  = subtotal
  − advance recouped (up to the subtotal, until the advance is earned out)
  + minimum-guarantee top-up (in the period where a contract year ends)
  = taxable
  − withholding tax (rate × positive taxable)
  = result: payable when positive, carried forward when negative.

This loops over statements (one per contract), never over order lines; each
figure comes from one aggregate query.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from commerce.models import OrderLine
from core.money import money_quantize, money_split
from settlements.models import (
    Contract,
    ContractVersion,
    SettlementItem,
    SettlementRun,
    Statement,
    StatementLine,
    anniversary,
)
from settlements.services.computation import PAID
from settlements.services.contracts import version_in_force
from settlements.services.sql import MONEY, cents, int_sum
from users.models import Partner

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
Kind = StatementLine.Kind


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _live_runs() -> QuerySet[SettlementRun]:
    return SettlementRun.objects.exclude(state=SettlementRun.State.DISCARDED)


def statements_prepare(*, run: SettlementRun, commissions: QuerySet[Any] | None) -> None:
    """Create the run's statements: every contract in force in the period or with something
    to settle in it (items, reserves to release, a balance to bring forward), and every promoter
    owed a commission change."""
    in_force = ContractVersion.objects.filter(valid_from__lte=run.period_end).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=run.period_start)
    )
    due_reserve = StatementLine.objects.filter(
        kind=Kind.RESERVE_HELD, release_on__lte=run.period_end, released_by__isnull=True, run__in=_live_runs()
    )
    carried = Statement.objects.filter(
        carried_forward__lt=0, forwarded_by__isnull=True, contract__isnull=False, run__in=_live_runs()
    )
    regular = run.kind == SettlementRun.Kind.REGULAR
    contract_ids = set(
        SettlementItem.objects.filter(run=run, contract__isnull=False).values_list("contract_id", flat=True).distinct()
    )
    if regular:
        # An adjustment settles only what was missed; reserves, balances and guarantees follow the regular runs.
        contract_ids |= (
            set(in_force.values_list("contract_id", flat=True))
            | set(due_reserve.values_list("statement__contract_id", flat=True))
            | set(carried.values_list("contract_id", flat=True))
        )
    contracts = Contract.objects.filter(pk__in=contract_ids).exclude(statements__run=run)
    Statement.objects.bulk_create(
        [
            Statement(
                run=run,
                partner_id=c.partner_id,
                contract=c,
                currency=c.currency,
                period_start=run.period_start,
                period_end=run.period_end,
            )
            for c in contracts
        ]
    )
    promoters: set[tuple[int, str]] = set()
    if commissions is not None:
        promoters |= set(commissions.values_list("promoter_id", "currency").distinct())
    carried_promoters = Statement.objects.filter(
        carried_forward__lt=0, forwarded_by__isnull=True, promoter__isnull=False, run__in=_live_runs()
    )
    promoters |= set(
        (carried_promoters if regular else Statement.objects.none())
        .exclude(run=run)
        .values_list("promoter_id", "currency")
    )
    existing = set(Statement.objects.filter(run=run, promoter__isnull=False).values_list("promoter_id", "currency"))
    Statement.objects.bulk_create(
        [
            Statement(
                run=run,
                promoter_id=promoter_id,
                currency=currency,
                period_start=run.period_start,
                period_end=run.period_end,
            )
            for promoter_id, currency in sorted(promoters - existing)
        ]
    )


def campaign_costs_charge(*, run: SettlementRun, start: datetime, end: datetime) -> int:
    """Charge each partner its share of the joint campaigns' cost in the period: the discounts given on
    lines attributed to a campaign plus the commissions settled for it in this run, split by the
    campaign's agreed cost shares (largest remainder) and scaled by the contract's ``campaign_cost_share``."""
    try:
        campaign_model = apps.get_model("promotions", "Campaign")
        share_model = apps.get_model("promotions", "CampaignPartner")
    except LookupError:
        return 0
    cost: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    # What the credited campaign's own promotions took off each line (commerce's attribution
    # ``campaign_discount``), not the whole line discount: other promotions are not the campaign's cost.
    # Summed as integer cents, so SQLite adds them exactly too.
    discounts = (
        OrderLine.objects.filter(
            order__status__in=PAID, order__paid_at__gte=start, order__paid_at__lt=end, discount__gt=0
        )
        .annotate(
            campaign=KeyTextTransform("campaign_id", "attribution"),
            campaign_discount=KeyTextTransform("campaign_discount", "attribution"),
        )
        .exclude(campaign__isnull=True)
        .exclude(campaign_discount__isnull=True)
        .values("campaign", "order__currency")
        .annotate(total_c=int_sum(cents(Cast("campaign_discount", MONEY))))
    )
    for row in discounts:
        if str(row["campaign"]).isdigit() and row["total_c"]:
            cost[(int(row["campaign"]), row["order__currency"])] += money_quantize(Decimal(row["total_c"]) / 100)
    commissions = (
        StatementLine.objects.filter(run=run, kind=Kind.COMMISSION, campaign_id__isnull=False)
        .values("campaign_id", "statement__currency")
        .annotate(total=Sum("amount"))
    )
    for row in commissions:
        cost[(row["campaign_id"], row["statement__currency"])] += money_quantize(row["total"])
    if not cost:
        return 0
    names = dict(campaign_model.objects.filter(pk__in={c for c, _cur in cost}).values_list("pk", "name"))
    shares: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for campaign_id, partner_id, percent in (
        share_model.objects.filter(campaign_id__in={c for c, _cur in cost})
        .order_by("campaign_id", "partner_id")
        .values_list("campaign_id", "partner_id", "cost_share_percent")
    ):
        shares[campaign_id].append((partner_id, percent))
    platform_ids = set(Partner.objects.filter(kind=Partner.Kind.PLATFORM).values_list("pk", flat=True))
    statements = {
        (s.partner_id, s.currency): s
        for s in Statement.objects.filter(run=run, contract__isnull=False)
        .select_related("contract")
        .order_by("-contract__number")
    }
    lines = []
    for (campaign_id, currency), total in sorted(cost.items()):
        parties = shares.get(campaign_id, [])
        if not parties or total == 0:
            continue
        parts = money_split(amount=total, weights=[p for _pid, p in parties])
        for (partner_id, _percent), part in zip(parties, parts, strict=True):
            statement = statements.get((partner_id, currency))
            if partner_id in platform_ids or statement is None or part == 0:
                continue
            assert statement.contract is not None
            version = version_in_force(contract=statement.contract, on=run.period_end)
            borne = version.campaign_cost_share if version is not None else HUNDRED
            charge = money_quantize(part * borne / HUNDRED)
            if charge == 0:
                continue
            lines.append(
                StatementLine(
                    statement=statement,
                    run=run,
                    kind=Kind.CAMPAIGN_COST,
                    amount=-charge,
                    campaign_id=campaign_id,
                    rate=borne,
                    basis=part,
                    description=_("%(campaign)s: %(total)s %(currency)s of campaign cost")
                    % {"campaign": names.get(campaign_id, campaign_id), "total": total, "currency": currency},
                )
            )
    StatementLine.objects.bulk_create(lines)
    return len(lines)


def _sums_by_statement(run: SettlementRun) -> dict[tuple[int, str], Decimal]:
    rows = StatementLine.objects.filter(run=run).values("statement_id", "kind").annotate(total=Sum("amount"))
    return {(r["statement_id"], r["kind"]): money_quantize(r["total"] or ZERO) for r in rows}


def statements_close(*, run: SettlementRun) -> None:
    """Write each statement's closing lines (reserve, recoupment, guarantee, withholding, payable) and totals."""
    sums = _sums_by_statement(run)
    live = _live_runs().exclude(pk=run.pk)
    regular = run.kind == SettlementRun.Kind.REGULAR
    for statement in Statement.objects.filter(run=run).select_related("contract").order_by("pk"):
        lines: list[StatementLine] = []

        def add(
            kind: str,
            amount: Decimal,
            *,
            lines: list[StatementLine] = lines,
            statement: Statement = statement,
            **extra: Any,
        ) -> Decimal:
            amount = money_quantize(amount)
            if amount != 0 or kind == Kind.PAYABLE:
                lines.append(StatementLine(statement=statement, run=run, kind=kind, amount=amount, **extra))
            return amount

        party = (
            Q(contract=statement.contract)
            if statement.contract_id
            else Q(promoter_id=statement.promoter_id, currency=statement.currency)
        )
        opening = ZERO
        carried = Statement.objects.filter(party, carried_forward__lt=0, forwarded_by__isnull=True, run__in=live)
        for earlier in carried if regular else []:
            opening += add(
                Kind.BALANCE_FORWARD,
                earlier.carried_forward,
                forwards=earlier,
                description=_("Carried forward from %(start)s–%(end)s")
                % {"start": earlier.period_start, "end": earlier.period_end},
            )
        if statement.contract is None:
            commissions = sums.get((statement.pk, Kind.COMMISSION), ZERO)
            result = opening + commissions
            statement.opening_balance, statement.commissions = opening, commissions
        else:
            contract = statement.contract
            version = (
                version_in_force(contract=contract, on=run.period_end)
                or contract.versions.order_by("-valid_from").first()
            )
            assert version is not None
            earnings = sums.get((statement.pk, Kind.SALE), ZERO) + sums.get((statement.pk, Kind.REFUND), ZERO)
            campaign = sums.get((statement.pk, Kind.CAMPAIGN_COST), ZERO)
            held = ZERO
            if version.reserve_rate and earnings > 0:
                held = add(
                    Kind.RESERVE_HELD,
                    -money_quantize(earnings * version.reserve_rate / HUNDRED),
                    rate=version.reserve_rate,
                    basis=earnings,
                    version=version,
                    release_on=add_months(run.period_start, version.reserve_periods),
                )
            released = ZERO
            due = StatementLine.objects.filter(
                kind=Kind.RESERVE_HELD,
                statement__contract=contract,
                release_on__lte=run.period_end,
                released_by__isnull=True,
                run__in=live,
            ).order_by("pk")
            for reserve in due if regular else []:
                released += add(
                    Kind.RESERVE_RELEASED,
                    -reserve.amount,
                    releases=reserve,
                    description=_("Reserve held for %(start)s–%(end)s")
                    % {"start": reserve.statement.period_start, "end": reserve.statement.period_end},
                )
            subtotal = opening + earnings + campaign + held + released
            recouped_before = -money_quantize(
                StatementLine.objects.filter(
                    kind=Kind.ADVANCE_RECOUPMENT, statement__contract=contract, run__in=live
                ).aggregate(t=Sum("amount"))["t"]
                or ZERO
            )
            outstanding = max(version.advance - recouped_before, ZERO)
            recouped = ZERO
            if outstanding > 0 and subtotal > 0:
                recouped = add(
                    Kind.ADVANCE_RECOUPMENT,
                    -min(subtotal, outstanding),
                    basis=version.advance,
                    version=version,
                    description=_("Advance %(advance)s: %(left)s outstanding before this statement")
                    % {"advance": version.advance, "left": outstanding},
                )
            guarantee_amount = ZERO
            guarantee = _minimum_guarantee_top_up(run=run, contract=contract, live=live) if regular else None
            if guarantee is not None:
                shortfall, mg_version, note, year_start = guarantee
                # ``release_on`` of a guarantee line names the contract year it tops up.
                guarantee_amount = add(
                    Kind.MINIMUM_GUARANTEE,
                    shortfall,
                    version=mg_version,
                    basis=mg_version.minimum_guarantee,
                    description=note,
                    release_on=year_start,
                )
            taxable = subtotal + recouped + guarantee_amount
            withheld = ZERO
            if version.withholding_rate and taxable > 0:
                withheld = add(
                    Kind.WITHHOLDING,
                    -money_quantize(taxable * version.withholding_rate / HUNDRED),
                    rate=version.withholding_rate,
                    basis=taxable,
                    version=version,
                )
            result = taxable + withheld
            statement.opening_balance = opening
            statement.earnings = earnings
            statement.campaign_cost = campaign
            statement.reserve_held = held
            statement.reserve_released = released
            statement.advance_recouped = recouped
            statement.minimum_guarantee = guarantee_amount
            statement.withholding = withheld
        statement.payable = max(result, ZERO)
        statement.carried_forward = min(result, ZERO)
        add(Kind.PAYABLE, statement.payable)
        StatementLine.objects.bulk_create(lines)
        statement.save()


def _minimum_guarantee_top_up(
    *, run: SettlementRun, contract: Contract, live: QuerySet[SettlementRun]
) -> tuple[Decimal, ContractVersion, str, date] | None:
    """In the period where a contract year ends: what the year's earnings fall short of the guarantee."""
    for year in range(run.period_start.year - 1, run.period_end.year + 1):
        next_start = anniversary(contract.starts_on, year + 1)
        year_end = date.fromordinal(next_start.toordinal() - 1)
        if not (run.period_start <= year_end <= run.period_end) or next_start <= contract.starts_on:
            continue
        year_start = contract.contract_year_start(year_end)
        version = version_in_force(contract=contract, on=year_end)
        if version is None or version.minimum_guarantee <= 0:
            continue
        earned = (
            StatementLine.objects.filter(
                Q(run__in=live) | Q(run=run),
                kind__in=[Kind.SALE, Kind.REFUND],
                statement__contract=contract,
                item__year_start=year_start,
            ).aggregate(t=Sum("amount"))["t"]
            or ZERO
        )
        earned = money_quantize(earned)
        topped = StatementLine.objects.filter(
            kind=Kind.MINIMUM_GUARANTEE, statement__contract=contract, run__in=live, release_on=year_start
        ).exists()
        shortfall = version.minimum_guarantee - earned
        if shortfall > 0 and not topped:
            return (
                shortfall,
                version,
                _("Contract year from %(start)s: guaranteed %(mg)s, earned %(earned)s")
                % {"start": year_start, "mg": version.minimum_guarantee, "earned": earned},
                year_start,
            )
    return None
