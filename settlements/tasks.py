"""Thin Celery tasks: the monthly settlement run, created as a draft (approval is a human step)."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from core.errors import DomainError
from settlements.models import SettlementRun
from settlements.services.runs import settlement_run_create


def previous_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


@shared_task(name="settlements.tasks.settle_previous_month")
def settle_previous_month() -> int | None:
    """Compute last month's regular run as a draft. Safe to run twice: the period's key returns the same run.
    Returns the run's id, or None when the month cannot be settled yet (an earlier month is missing)."""
    start, end = previous_month(timezone.localdate())
    existing = SettlementRun.objects.filter(
        kind=SettlementRun.Kind.REGULAR, period_start=start, period_end=end
    ).exclude(state=SettlementRun.State.DISCARDED)
    if existing.exists():
        return existing.values_list("pk", flat=True).first()
    try:
        return settlement_run_create(period_start=start, period_end=end).pk
    except DomainError:
        return None
