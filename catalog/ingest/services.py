"""Catalogue import jobs: create one from an upload, run it, move it through its states.

The portal, the API, the admin and the ``import_catalog`` command all go
through :func:`import_job_create` and :func:`import_job_run`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalog.ingest.engine import OUTCOME_FIELDS, ImportResult, catalog_import
from catalog.ingest.errors import CatalogFileRejected
from catalog.models import ImportJob, ImportJobEvent
from core.errors import Conflict
from users.models import Partner, PartnerApiKey, User

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
PROGRESS_EVERY_SECONDS = 0.5
PROGRESS_TTL_SECONDS = 24 * 3600
ONIX_SUFFIXES = frozenset({".xml", ".onix"})


def import_max_bytes() -> int:
    return int(getattr(settings, "CATALOG_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _checksum(upload: IO[bytes]) -> tuple[str, int, bytes]:
    """SHA-256, size, and the first bytes (to guess the format)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    upload.seek(0)
    while chunk := upload.read(1024 * 1024):
        if not head:
            head = chunk[:512]
        digest.update(chunk)
        size += len(chunk)
        if size > import_max_bytes():
            raise CatalogFileRejected(
                _("The file is larger than %(mb)d MB. Split the delivery into smaller files.")
                % {"mb": import_max_bytes() // (1024 * 1024)}
            )
    upload.seek(0)
    return digest.hexdigest(), size, head


def import_format_guess(*, name: str, head: bytes) -> str:
    suffix = PurePath(name).suffix.lower()
    if suffix in ONIX_SUFFIXES:
        return ImportJob.Format.ONIX
    if suffix == ".csv":
        return ImportJob.Format.CSV
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return ImportJob.Format.ONIX if stripped.startswith(b"<") else ImportJob.Format.CSV


def import_job_transition(*, job: ImportJob, to: str, note: str = "", **fields: Any) -> ImportJob:
    """Move ``job`` to ``to`` if that is allowed from its stored status; append the event.

    The move is one conditional UPDATE, so two workers cannot both start a job.
    Raises :class:`Conflict` when the job is no longer where the caller thinks."""
    allowed_from = [status for status, targets in ImportJob.TRANSITIONS.items() if to in targets]
    if job.status not in allowed_from:
        raise Conflict(_("An import that is %(s)s cannot become %(t)s.") % {"s": job.status, "t": to})
    values = {"status": to, **fields}
    if to in ImportJob.FINISHED:
        values.setdefault("finished_at", timezone.now())
    elif to == ImportJob.Status.QUEUED:
        values.update(finished_at=None, started_at=None)
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, status=job.status).update(**values)
        if updated == 0:
            raise Conflict(_("The import changed meanwhile; reload it."))
        ImportJobEvent.objects.create(job=job, from_status=job.status, to_status=to, note=note[:2000])
    for name, value in values.items():
        setattr(job, name, value)
    return job


def import_job_enqueue(*, job: ImportJob) -> None:
    """Run the job in a worker once the transaction that created it commits."""
    from catalog.tasks import catalog_import_run

    transaction.on_commit(lambda: catalog_import_run.delay(job.pk))


@transaction.atomic
def import_job_create(
    *,
    partner: Partner,
    upload: File,
    file_format: str | None,
    valid_only: bool,
    source: str,
    created_by: User | None = None,
    api_key: PartnerApiKey | None = None,
    again: bool = False,
    enqueue: bool = True,
) -> tuple[ImportJob, bool]:
    """Store an uploaded delivery as a queued job; return ``(job, created)``.

    Idempotent on the file: when the partner's latest import (not a failed
    one) is of the same bytes with the same ``valid_only``, that job is
    returned and nothing is queued, unless ``again`` asks to import it anew.
    Raises :class:`CatalogFileRejected` for an empty, oversized or unknown-format file."""
    if not partner.is_active:
        raise CatalogFileRejected(_("This partner is not active; its catalogue cannot be changed."))
    name = PurePath(upload.name or "catalogue").name[:255]
    checksum, size, head = _checksum(upload)
    if size == 0:
        raise CatalogFileRejected(_("The file is empty."))
    fmt = file_format or import_format_guess(name=name, head=head)
    if fmt not in ImportJob.Format.values:
        raise CatalogFileRejected(_("%(f)s is not a format we import: use onix or csv.") % {"f": fmt})
    if not again:
        latest = (
            ImportJob.objects.select_for_update()
            .filter(partner=partner)
            .exclude(status=ImportJob.Status.FAILED)
            .order_by("-created_at", "-pk")
            .first()
        )
        if latest is not None and latest.checksum == checksum and latest.valid_only == valid_only:
            return latest, False
    if ImportJob.objects.filter(
        partner=partner,
        checksum=checksum,
        valid_only=valid_only,
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING],
    ).exists():
        raise Conflict(_("This file is being imported already; wait for that import to finish."))
    job = ImportJob(
        partner=partner,
        format=fmt,
        original_name=name,
        size=size,
        checksum=checksum,
        valid_only=valid_only,
        source=source,
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
        api_key=api_key,
        language=get_language() or settings.LANGUAGE_CODE,
    )
    job.file.save(f"{checksum[:16]}{PurePath(name).suffix.lower()[:10]}", upload, save=False)
    job.save()
    ImportJobEvent.objects.create(job=job, from_status="", to_status=ImportJob.Status.QUEUED, note=name)
    if enqueue:
        import_job_enqueue(job=job)
    return job, True


# --- Running ---------------------------------------------------------------------------------------------


def progress_cache_key(job_id: int) -> str:
    return f"catalog-import:{job_id}:progress"


class _ProgressWriter:
    """Live progress in the cache (the job row is inside the import's transaction, invisible until commit)."""

    def __init__(self, job: ImportJob, forward: Callable[..., None] | None) -> None:
        self.job = job
        self.forward = forward
        self.last = 0.0

    def __call__(self, *, phase: str, records: int, total: int | None, bytes_read: int, size: int | None) -> None:
        if self.forward is not None:
            self.forward(phase=phase, records=records, total=total, bytes_read=bytes_read, size=size)
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.last = now
        if phase == "checking":
            percent = 50 * bytes_read / size if size else 0
        else:
            percent = 50 + 50 * records / total if total else 50
        cache.set(
            progress_cache_key(self.job.pk),
            {"phase": phase, "records": records, "total": total, "percent": round(min(percent, 99.0), 1)},
            PROGRESS_TTL_SECONDS,
        )


@contextlib.contextmanager
def _open_job_file(job: ImportJob) -> Iterator[IO[bytes]]:
    handle = job.file.storage.open(job.file.name, "rb")
    try:
        yield handle
    finally:
        handle.close()


def import_job_run(*, job_id: int, progress: Callable[..., None] | None = None) -> ImportJob:
    """Run a queued job to the end. Safe to call twice: a job that is not queued is returned as it is.

    Bad input never raises: the job ends ``rejected`` with its error report.
    An unexpected error ends it ``failed`` (it may be queued again) and is re-raised."""
    job = ImportJob.objects.select_related("partner").get(pk=job_id)
    if job.status != ImportJob.Status.QUEUED:
        return job
    try:
        import_job_transition(job=job, to=ImportJob.Status.RUNNING, started_at=timezone.now())
    except Conflict:
        return ImportJob.objects.get(pk=job_id)
    try:
        with translation.override(job.language):
            result = catalog_import(
                partner=job.partner,
                open_file=lambda: _open_job_file(job),
                file_format=job.format,
                valid_only=job.valid_only,
                job=job,
                size=job.size,
                progress=_ProgressWriter(job, progress),
            )
            _finish(job, result)
    except Exception as exc:
        logger.exception("catalogue import %s failed", job.pk)
        job.refresh_from_db()
        if job.status == ImportJob.Status.RUNNING:
            import_job_transition(
                job=job,
                to=ImportJob.Status.FAILED,
                note=repr(exc)[:2000],
                message=_("The import stopped because of an error on our side. Nothing was imported; try again."),
            )
        raise
    finally:
        cache.delete(progress_cache_key(job.pk))
    return job


def _finish(job: ImportJob, result: ImportResult) -> None:
    fields: dict[str, Any] = {
        "record_count": result.record_count,
        "invalid_count": result.invalid_count,
        "message": result.message,
        "errors": [e.as_json() for e in result.errors.first],
    }
    for outcome, name in OUTCOME_FIELDS.items():
        fields[name] = result.counts.get(outcome, 0)
    report = result.errors.report()
    if report is not None:
        with report:
            job.error_report.save(f"errors-{job.pk}.csv", ContentFile(report.read().encode("utf-8-sig")), save=False)
        fields["error_report"] = job.error_report.name
    status = ImportJob.Status.REJECTED if result.rejected else ImportJob.Status.SUCCEEDED
    if not result.rejected and not result.message and result.invalid_count:
        fields["message"] = _("%(n)d invalid records were skipped; the valid ones were imported.") % {
            "n": result.invalid_count
        }
    import_job_transition(job=job, to=status, note=fields["message"][:200], **fields)


def import_job_requeue(*, job: ImportJob) -> ImportJob:
    """Queue a failed job again (its file is kept)."""
    reset: dict[str, Any] = dict.fromkeys(OUTCOME_FIELDS.values(), 0)
    reset.update(record_count=0, invalid_count=0, message="", errors=[])
    with transaction.atomic():
        import_job_transition(job=job, to=ImportJob.Status.QUEUED, note=_("queued again"), **reset)
        import_job_enqueue(job=job)
    return job
