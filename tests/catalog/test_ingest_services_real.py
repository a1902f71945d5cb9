"""Import jobs against the real services: PostgreSQL constraints and live progress in Redis."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from catalog.ingest.selectors import import_job_progress
from catalog.ingest.services import _ProgressWriter, import_job_create, import_job_transition
from catalog.models import ImportJob
from tests.catalog.fixtures.onix_builder import catalogue
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def _queued_job() -> ImportJob:
    job, _ = import_job_create(
        partner=PartnerFactory(),
        upload=ContentFile(catalogue(1), name="feed.xml"),
        file_format=None,
        valid_only=False,
        source="api",
        enqueue=False,
    )
    return job


@pytest.mark.postgres
def test_database_refuses_a_second_active_import_of_the_same_file() -> None:
    job = _queued_job()
    twin = ImportJob(
        partner=job.partner,
        format=job.format,
        file=job.file.name,
        original_name="copy.xml",
        size=job.size,
        checksum=job.checksum,
        valid_only=job.valid_only,
        source="api",
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.postgres
def test_database_refuses_a_finished_job_without_a_finish_time() -> None:
    job = _queued_job()

    with pytest.raises(IntegrityError), transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.SUCCEEDED)


@pytest.mark.redis
def test_live_progress_of_a_running_job_is_read_back_from_the_cache() -> None:
    job = _queued_job()
    import_job_transition(job=job, to=ImportJob.Status.RUNNING)

    _ProgressWriter(job, None)(phase="importing", records=5, total=10, bytes_read=100, size=100)
    progress = import_job_progress(job=job)

    assert (progress["phase"], progress["percent"], progress["records_done"]) == ("importing", 75.0, 5)
