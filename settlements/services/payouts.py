"""Payouts: when a run is marked paid, every positive payable becomes a payout, and the promoters'
commissions it settles are marked paid in promotions."""

from __future__ import annotations

from django.apps import apps
from django.utils import timezone

from settlements.models import Payout, SettlementRun, Statement, StatementLine
from users.models import User


def payout_reference(statement: Statement) -> str:
    return f"ZQP-{statement.period_start:%Y%m}-{statement.run_id}-{statement.pk}"


def payouts_record(*, run: SettlementRun, actor: User | None = None) -> list[Payout]:
    """Caller holds the run's row lock and moves it to paid. Safe to call twice: a statement is paid once."""
    now = timezone.now()
    payable = Statement.objects.filter(run=run, payable__gt=0, payout__isnull=True).order_by("pk")
    payouts = Payout.objects.bulk_create(
        [
            Payout(
                statement=s,
                amount=s.payable,
                currency=s.currency,
                reference=payout_reference(s),
                paid_at=now,
                created_by=actor,
            )
            for s in payable
        ]
    )
    _commissions_mark_paid(run=run, at=now)
    return payouts


def _commissions_mark_paid(*, run: SettlementRun, at: object) -> None:
    """Tell promotions which pending commissions this run paid out (its ``referral_commission_mark_paid``)."""
    if not apps.is_installed("promotions"):
        return
    from promotions.services.referrals import referral_commission_mark_paid

    paid_statements = Statement.objects.filter(run=run, promoter__isnull=False, payable__gt=0)
    for statement in paid_statements:
        ids = list(
            StatementLine.objects.filter(
                statement=statement, kind=StatementLine.Kind.COMMISSION, amount__gt=0
            ).values_list("commission_id", flat=True)
        )
        if ids:
            referral_commission_mark_paid(commission_ids=ids, payout_ref=payout_reference(statement), at=at)  # type: ignore[arg-type]
