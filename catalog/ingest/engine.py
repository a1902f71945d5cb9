"""One delivery, start to finish: check every record, then write them in one transaction.

Pass 1 streams the file and checks every record without touching the
database; a file with an invalid record stops here (unless the valid ones
are wanted) and nothing is written. Pass 2 streams the file again and writes
the records in one transaction, each under a savepoint so that a record the
database refuses (an ISBN of another partner) is reported with the others;
if any is refused and ``valid_only`` is off, the whole transaction is rolled
back. Memory holds one record and the first errors, never the file.
"""

from __future__ import annotations

import contextlib
import csv
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.ingest.csv_format import csv_read
from catalog.ingest.errors import CatalogFileRejected, RecordProblem
from catalog.ingest.onix import onix_read
from catalog.ingest.records import CatalogRecord, RecordError
from catalog.ingest.upsert import Outcome, UpsertContext, record_upsert, records_create_together
from catalog.models import ImportJob
from users.models import Partner

KEPT_ERRORS = 200
# Records written together: the stored rows they may match are looked up once per batch.
BATCH_SIZE = 250

Reader = Callable[[IO[bytes]], Iterator[tuple[CatalogRecord | None, list[RecordError]]]]
READERS: dict[str, Reader] = {ImportJob.Format.ONIX: onix_read, ImportJob.Format.CSV: csv_read}


class Progress(Protocol):
    def __call__(self, *, phase: str, records: int, total: int | None, bytes_read: int, size: int | None) -> None: ...


def _no_progress(**kwargs: Any) -> None:
    return None


class CountingReader:
    """A binary stream that counts the bytes read from it (for progress by position in the file)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.bytes_read += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self.raw.seekable())

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self.raw.seek(offset, whence)
        self.bytes_read = position
        return position

    def tell(self) -> int:
        return self.bytes_read

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed)

    def close(self) -> None:
        return None

    def flush(self) -> None:
        return None

    def writable(self) -> bool:
        return False


class ErrorSink:
    """Keeps the first errors in memory and writes every error to a CSV report file."""

    def __init__(self) -> None:
        self.first: list[RecordError] = []
        self.count = 0
        self.records: set[int] = set()
        self._file: IO[str] | None = None
        self._writer: Any = None

    def add(self, errors: list[RecordError]) -> None:
        for error in errors:
            self.count += 1
            if len(self.first) < KEPT_ERRORS:
                self.first.append(error)
            if self._writer is None:
                self._file = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
                self._writer = csv.writer(self._file)
                self._writer.writerow(report_header())
            self._writer.writerow(report_row(error))

    def report(self) -> IO[str] | None:
        """The full report, rewound; the caller closes it."""
        if self._file is not None:
            self._file.seek(0)
        return self._file


def report_header() -> list[str]:
    return [_("Record"), _("Line"), _("Record reference"), _("Field"), _("Problem")]


def report_row(error: RecordError) -> list[str]:
    cells = [str(error.position), str(error.line or ""), error.reference, error.field, error.message]
    return ["'" + c if c.startswith(("=", "+", "-", "@")) else c for c in cells]


@dataclass
class ImportResult:
    rejected: bool = False
    message: str = ""
    record_count: int = 0
    invalid_count: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    errors: ErrorSink = field(default_factory=ErrorSink)


class _RollBack(Exception):
    pass


def catalog_import(
    *,
    partner: Partner,
    open_file: Callable[[], contextlib.AbstractContextManager[IO[bytes]]],
    file_format: str,
    valid_only: bool = False,
    job: ImportJob | None = None,
    size: int | None = None,
    progress: Progress = _no_progress,
) -> ImportResult:
    """Import one delivery for ``partner``. ``open_file()`` opens the file afresh (it is read twice).

    Never raises for bad input: a rejected file comes back with ``rejected`` and a message."""
    reader = READERS[file_format]
    result = ImportResult()
    try:
        _check_pass(result, reader, open_file, size, progress)
    except CatalogFileRejected as exc:
        result.rejected, result.message = True, exc.message
        return result
    if result.record_count == 0:
        result.rejected, result.message = True, _("The file has no records.")
        return result
    if result.invalid_count and not valid_only:
        result.rejected = True
        result.message = _rejection_message(result)
        return result
    try:
        with transaction.atomic():
            _write_pass(result, reader, open_file, partner, job, size, progress)
            refused = result.counts["refused"]
            if refused and not valid_only:
                raise _RollBack
    except _RollBack:
        result.counts = Counter()
        result.rejected = True
        result.message = _rejection_message(result)
    except CatalogFileRejected as exc:  # the file changed between the passes
        result.counts = Counter()
        result.rejected, result.message = True, exc.message
    return result


def _rejection_message(result: ImportResult) -> str:
    return ngettext(
        "%(bad)d of %(n)d records has errors, so nothing was imported. Fix it and upload the file again, "
        "or choose to import the valid records only.",
        "%(bad)d of %(n)d records have errors, so nothing was imported. Fix them and upload the file again, "
        "or choose to import the valid records only.",
        result.invalid_count,
    ) % {"bad": result.invalid_count, "n": result.record_count}


def _check_pass(
    result: ImportResult,
    reader: Reader,
    open_file: Callable[[], contextlib.AbstractContextManager[IO[bytes]]],
    size: int | None,
    progress: Progress,
) -> None:
    with open_file() as raw:
        stream = CountingReader(raw)
        for record, errors in reader(stream):  # type: ignore[arg-type]
            result.record_count += 1
            if errors or record is None:
                result.invalid_count += 1
                result.errors.add(errors)
            progress(phase="checking", records=result.record_count, total=None, bytes_read=stream.bytes_read, size=size)


def _write_pass(
    result: ImportResult,
    reader: Reader,
    open_file: Callable[[], contextlib.AbstractContextManager[IO[bytes]]],
    partner: Partner,
    job: ImportJob | None,
    size: int | None,
    progress: Progress,
) -> None:
    context = UpsertContext(partner=partner, job=job)
    done = 0
    batch: list[CatalogRecord] = []
    with open_file() as raw:
        stream = CountingReader(raw)

        def flush() -> None:
            _write_batch(result, batch, context)
            batch.clear()
            progress(
                phase="importing", records=done, total=result.record_count, bytes_read=stream.bytes_read, size=size
            )

        for record, errors in reader(stream):  # type: ignore[arg-type]
            done += 1
            if errors or record is None:
                continue  # reported by the check pass
            batch.append(record)
            if len(batch) >= BATCH_SIZE:
                flush()
        flush()


def _write_batch(result: ImportResult, batch: list[CatalogRecord], context: UpsertContext) -> None:
    """Write a batch of records: the new ones that stand alone together, then the others one by one."""
    if not batch:
        return
    created = records_create_together(records=batch, context=context)
    if created:
        result.counts[Outcome.CREATED] += len(created)
    for record in batch:
        if record.position in created:
            continue
        context.record_started()
        try:
            with transaction.atomic():
                outcome = record_upsert(record=record, context=context)
        except RecordProblem as problem:
            context.record_rolled_back()
            _refuse(result, record, problem.field, problem.message)
            continue
        except IntegrityError as exc:
            context.record_rolled_back()
            _refuse(result, record, "record", _("It conflicts with what is already stored (%(e)s).") % {"e": exc})
            continue
        result.counts[outcome] += 1


def _refuse(result: ImportResult, record: CatalogRecord, field_name: str, message: str) -> None:
    result.counts["refused"] += 1
    result.invalid_count += 1
    result.errors.add(
        [
            RecordError(
                position=record.position,
                reference=record.reference,
                field=field_name,
                message=message,
                line=record.line,
            )
        ]
    )


OUTCOME_FIELDS = {
    Outcome.CREATED: "created_count",
    Outcome.UPDATED: "updated_count",
    Outcome.UNCHANGED: "unchanged_count",
    Outcome.WITHDRAWN: "withdrawn_count",
    Outcome.SKIPPED: "skipped_count",
}
