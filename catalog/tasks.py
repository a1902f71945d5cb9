"""Celery tasks of the catalogue: thin, by id, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from catalog.ingest.services import import_job_run


@shared_task(name="catalog.tasks.catalog_import_run", acks_late=True, soft_time_limit=3 * 3600)
def catalog_import_run(job_id: int) -> str:
    """Run a queued catalogue import; a job that is not queued (already run, running elsewhere) is left alone."""
    job = import_job_run(job_id=job_id)
    return job.status
