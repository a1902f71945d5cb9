"""Celery tasks for profiles, deletion notices and the audit log's retention. Thin: each calls a service."""

from __future__ import annotations

from celery import shared_task

from insights.privacy_models import ProfileRun


@shared_task(name="insights.profiles_compute")
def profiles_compute(run_id: int) -> int:
    """Compute one queued ``ProfileRun``; returns the users computed."""
    from insights.profiles import profile_run_execute

    return profile_run_execute(run_id=run_id).processed


@shared_task(name="insights.profiles_refresh")
def profiles_refresh(mode: str = ProfileRun.Mode.INCREMENTAL) -> int:
    """The periodic refresh: incremental every few minutes, full once a night (recency moves on its own)."""
    from insights.profiles import profile_run_execute

    run = ProfileRun.objects.create(mode=mode)
    return profile_run_execute(run_id=run.pk).processed


@shared_task(name="insights.deletion_notices_sweep")
def deletion_notices_sweep() -> int:
    """Issue deletion notices for users whose consent ended since their data was shared."""
    from insights.sharing import deletion_notices_issue

    return deletion_notices_issue()


@shared_task(name="insights.audit_purge_expired")
def audit_purge_expired() -> int:
    from insights.audit import audit_purge_expired as purge

    return purge()
