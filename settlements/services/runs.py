"""Settlement runs: creating one for a period (idempotently), computing it, and moving it
through draft → reviewed → approved → paid, with an event for every move.

Regular runs follow each other period by period, without gaps, so a refund
always finds the sale it reverses already settled. A period that is closed
(approved or paid) is never recomputed; what it missed is settled by an
adjustment run for the same period, which settles only what no run settled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from settlements.errors import IdempotencyKeyReused, RunInvalid, RunTransitionRefused
from settlements.models import SettlementItem, SettlementRun, SettlementRunEvent, Statement, StatementLine
from settlements.services import computation, reconciliation, statements
from users.models import User

logger = logging.getLogger(__name__)
State = SettlementRun.State
ProgressCallback = Callable[[int, int, str], None]

STEPS = [
    "sales",
    "refunds",
    "terms, contract years and tier positions",
    "statements",
    "sale lines",
    "refund lines",
    "commissions",
    "campaign costs",
    "closing",
    "report",
]


def progress_key(run_id: int) -> str:
    return f"settlements:run-progress:{run_id}"


def run_progress(*, run: SettlementRun) -> dict[str, object] | None:
    """How far a computation in progress has got (it runs in one transaction, so the row cannot say)."""
    return cache.get(progress_key(run.pk))


def _default_key(*, kind: str, period_start: date, period_end: date) -> str:
    return f"{kind}:{period_start.isoformat()}:{period_end.isoformat()}"


def _period_validate(*, period_start: date, period_end: date, kind: str) -> None:
    if period_end < period_start:
        raise RunInvalid(_("The period must end on or after the day it starts."))
    if period_end >= timezone.localdate():
        raise RunInvalid(
            _("The period %(start)s–%(end)s has not ended yet; settle it from %(next)s.")
            % {"start": period_start, "end": period_end, "next": period_end + timedelta(days=1)}
        )
    regular = SettlementRun.objects.filter(kind=SettlementRun.Kind.REGULAR).exclude(state=State.DISCARDED)
    if kind == SettlementRun.Kind.REGULAR:
        overlapping = regular.filter(period_start__lte=period_end, period_end__gte=period_start).first()
        if overlapping is not None:
            raise RunInvalid(
                _(
                    "The period overlaps the regular run for %(start)s–%(end)s. A settled period is corrected with an "
                    "adjustment run."
                )
                % {"start": overlapping.period_start, "end": overlapping.period_end}
            )
        latest = regular.order_by("-period_end").first()
        if latest is not None and period_start != latest.period_end + timedelta(days=1):
            raise RunInvalid(
                _("Regular runs follow each other without gaps: the next one starts on %(next)s.")
                % {"next": latest.period_end + timedelta(days=1)}
            )
    else:
        closed = regular.filter(period_start=period_start, period_end=period_end, state__in=SettlementRun.CLOSED)
        if not closed.exists():
            raise RunInvalid(
                _("An adjustment corrects a closed period; %(start)s–%(end)s has no approved regular run.")
                % {"start": period_start, "end": period_end}
            )
        if SettlementRun.objects.filter(
            period_start=period_start, period_end=period_end, state__in=[State.DRAFT, State.REVIEWED]
        ).exists():
            raise RunInvalid(_("This period already has a run waiting for review; finish or discard it first."))


def settlement_run_create(
    *,
    period_start: date,
    period_end: date,
    kind: str = SettlementRun.Kind.REGULAR,
    idempotency_key: str | None = None,
    created_by: User | None = None,
    progress: ProgressCallback | None = None,
) -> SettlementRun:
    """A computed draft run for the period. The same key returns the run made with it first
    (for another period or kind, the key is refused)."""
    if kind not in SettlementRun.Kind.values:
        raise RunInvalid(_("A run is regular or an adjustment."))
    key = idempotency_key or (
        _default_key(kind=kind, period_start=period_start, period_end=period_end)
        if kind == SettlementRun.Kind.REGULAR
        else None
    )
    if not key:
        raise RunInvalid(_("An adjustment run needs an idempotency key."))
    existing = SettlementRun.objects.filter(idempotency_key=key).first()
    if existing is not None and existing.state == State.DISCARDED and idempotency_key is None:
        # A discarded draft does not hold its period: the next attempt gets a key of its own.
        attempts = SettlementRun.objects.filter(idempotency_key__startswith=key).count()
        key, existing = f"{key}:{attempts + 1}", None
    if existing is not None:
        if (existing.period_start, existing.period_end, existing.kind) != (period_start, period_end, kind):
            raise IdempotencyKeyReused(_("This idempotency key was used for another settlement run."))
        return existing
    with transaction.atomic():
        _period_validate(period_start=period_start, period_end=period_end, kind=kind)
        try:
            with transaction.atomic():
                run = SettlementRun.objects.create(
                    period_start=period_start,
                    period_end=period_end,
                    kind=kind,
                    idempotency_key=key,
                    created_by=created_by,
                )
        except IntegrityError:
            # A concurrent request made it first.
            existing = SettlementRun.objects.filter(idempotency_key=key).first()
            if existing is None:
                raise RunInvalid(
                    _("Another run for this period was created at the same moment; reload and try again.")
                ) from None
            return existing
        SettlementRunEvent.objects.create(run=run, to_state=run.state, actor=created_by, note=_("created"))
        settlement_run_compute(run=run, progress=progress)
    run.refresh_from_db()
    return run


def settlement_run_compute(*, run: SettlementRun, progress: ProgressCallback | None = None) -> SettlementRun:
    """Compute a new draft run, all or nothing. Caller holds the transaction that created it."""
    run = SettlementRun.objects.select_for_update().get(pk=run.pk)
    if run.state != State.DRAFT or run.computed_at is not None:
        raise RunInvalid(_("Only a new draft run is computed; discard it and create another to recompute."))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # For this transaction only: the steps sort every item of the period.
            cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.SETTLEMENT_WORK_MEM])
    start, end = computation.period_bounds(start=run.period_start, end=run.period_end)
    total = len(STEPS)

    def step(i: int, name: str) -> None:
        cache.set(progress_key(run.pk), {"done": i, "total": total, "step": name}, timeout=3600)
        if progress is not None:
            progress(i, total, name)

    step(0, STEPS[0])
    computation.items_insert_sales(run=run, start=start, end=end)
    computation.items_analyze()
    step(1, STEPS[1])
    computation.items_insert_refunds(run=run, start=start, end=end)
    computation.items_analyze()
    step(2, STEPS[2])
    computation.items_assign_terms_and_tiers(run=run)
    computation.items_analyze()
    step(3, STEPS[3])
    due = computation.commissions_due(run=run, end=end)
    statements.statements_prepare(run=run, commissions=due)
    step(4, STEPS[4])
    computation.lines_insert_sales(run=run)
    step(5, STEPS[5])
    computation.lines_insert_refunds(run=run)
    step(6, STEPS[6])
    if due is not None:
        computation.lines_insert_commissions(run=run, due=due)
    step(7, STEPS[7])
    statements.campaign_costs_charge(run=run, start=start, end=end)
    step(8, STEPS[8])
    statements.statements_close(run=run)
    step(9, STEPS[9])
    report = reconciliation.run_report_build(run=run)
    SettlementRun.objects.filter(pk=run.pk).update(
        report=report, computed_at=timezone.now(), progress_done=total, progress_total=total, progress_step="done"
    )
    cache.set(progress_key(run.pk), {"done": total, "total": total, "step": "done"}, timeout=3600)
    if progress is not None:
        progress(total, total, "done")
    if not report["reconciles"]:
        logger.error("settlement run %s does not reconcile: %s", run.pk, report["checks"])
    run.refresh_from_db()
    return run


@transaction.atomic
def settlement_run_transition(
    *, run: SettlementRun, to_state: str, actor: User | None = None, actor_label: str = "", note: str = ""
) -> SettlementRun:
    """Move the run to ``to_state`` if the table allows it. Approval needs a run that reconciles;
    payment records the payouts. Discarding removes what a draft wrote."""
    locked = SettlementRun.objects.select_for_update().get(pk=run.pk)
    if to_state not in SettlementRun.TRANSITIONS.get(locked.state, frozenset()):
        raise RunTransitionRefused(
            _("A run cannot go from “%(old)s” to “%(new)s”.")
            % {
                "old": locked.get_state_display(),
                "new": State(to_state).label if to_state in State.values else to_state,
            }
        )
    if to_state == State.APPROVED and not locked.reconciles:
        raise RunTransitionRefused(
            _("This run does not reconcile to the cent, so it cannot be approved. Discard it and look at its report.")
        )
    if to_state == State.DISCARDED:
        StatementLine.objects.filter(run=locked).purge_for_discarded_run()
        Statement.objects.filter(run=locked).delete()
        SettlementItem.objects.filter(run=locked).purge_for_discarded_run()
    if to_state == State.PAID:
        from settlements.services.payouts import payouts_record

        payouts_record(run=locked, actor=actor)
    updated = SettlementRun.objects.filter(pk=locked.pk, state=locked.state).update(state=to_state)
    if updated != 1:  # pragma: no cover - the row lock makes this unreachable
        raise RunTransitionRefused(_("The run changed meanwhile; reload it."))
    SettlementRunEvent.objects.create(
        run=locked, from_state=locked.state, to_state=to_state, actor=actor, actor_label=actor_label, note=note[:500]
    )
    locked.state = to_state
    return locked
