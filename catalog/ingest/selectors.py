"""Reads of catalogue import jobs."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from catalog.ingest.services import progress_cache_key
from catalog.models import ImportJob
from users.models import Partner


def import_job_list(*, partners: QuerySet[Partner] | list[Partner]) -> QuerySet[ImportJob]:
    return (
        ImportJob.objects.filter(partner__in=partners)
        .select_related("partner", "created_by")
        .defer("errors")
        .order_by("-created_at", "-pk")
    )


def import_job_for_partner(*, partner: Partner, job_id: int) -> ImportJob:
    """The partner's job; another partner's job does not exist for them (``DoesNotExist``)."""
    return ImportJob.objects.select_related("partner").get(partner=partner, pk=job_id)


PHASES = {
    "queued": _("waiting to start"),
    "checking": _("checking the records"),
    "importing": _("saving the records"),
    "finished": _("finished"),
}


def import_job_progress(*, job: ImportJob) -> dict[str, Any]:
    """Where a job stands: status, phase, percent done, and its counts once finished."""
    live = cache.get(progress_cache_key(job.pk)) if job.status == ImportJob.Status.RUNNING else None
    if job.status == ImportJob.Status.QUEUED:
        phase, percent = "queued", 0.0
    elif job.status == ImportJob.Status.RUNNING:
        phase = live["phase"] if live else "checking"
        percent = float(live["percent"]) if live else 0.0
    else:
        phase, percent = "finished", 100.0
    return {
        "status": job.status,
        "status_display": str(job.get_status_display()),
        "phase": phase,
        "phase_display": str(PHASES.get(phase, phase)),
        "percent": percent,
        "records_done": live["records"] if live else job.record_count,
        "records_total": live["total"] if live else job.record_count or None,
        "finished": job.is_finished,
        "record_count": job.record_count,
        "created_count": job.created_count,
        "updated_count": job.updated_count,
        "unchanged_count": job.unchanged_count,
        "withdrawn_count": job.withdrawn_count,
        "skipped_count": job.skipped_count,
        "invalid_count": job.invalid_count,
        "message": job.message,
    }
