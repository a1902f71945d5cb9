"""``manage.py import_catalog --partner SLUG [--format onix|csv] [--valid-only] FILE``.

Large deliveries, with a progress bar.

Runs the import here (not on a worker) through the same import job as the
portal and the API. Exits with status 1 and prints the error report when the
file is rejected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

from catalog.ingest.errors import CatalogFileRejected
from catalog.ingest.services import import_job_create, import_job_run
from catalog.models import ImportJob
from core.errors import DomainError
from users.models import Partner


class Command(BaseCommand):
    help = "Import a partner's catalogue from an ONIX 3.0 or CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="ONIX 3.0 XML or CSV file")
        parser.add_argument("--partner", required=True, help="the partner's slug")
        parser.add_argument("--format", choices=ImportJob.Format.values, help="told from the file when left out")
        parser.add_argument("--valid-only", action="store_true", help="import the valid records even if some are not")
        parser.add_argument("--again", action="store_true", help="import even if the last import was this file")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("There is no file at %(path)s.") % {"path": path})
        partner = Partner.objects.filter(slug=options["partner"]).first()
        if partner is None:
            raise CommandError(_("There is no partner %(slug)s.") % {"slug": options["partner"]})
        with path.open("rb") as handle:
            try:
                job, created = import_job_create(
                    partner=partner,
                    upload=File(handle, name=path.name),
                    file_format=options["format"],
                    valid_only=options["valid_only"],
                    again=options["again"],
                    source=ImportJob.Source.COMMAND,
                    enqueue=False,
                )
            except (CatalogFileRejected, DomainError) as exc:
                raise CommandError(exc.message) from exc
        if not created:
            self.stdout.write(
                _("The last import for %(p)s was this same file (import %(id)d); nothing to do.")
                % {"p": partner.slug, "id": job.pk}
            )
            self._report(job)
            return
        job = self._run(job, show_progress=not options["no_progress"])
        self._report(job)

    def _run(self, job: ImportJob, *, show_progress: bool) -> ImportJob:
        bar = tqdm(total=job.size, unit="B", unit_scale=True, disable=not show_progress, file=self.stderr._out)
        current = {"phase": ""}

        def progress(*, phase: str, records: int, total: int | None, bytes_read: int, size: int | None) -> None:
            if phase != current["phase"]:
                current["phase"] = phase
                saving = phase == "importing"
                bar.reset(total=total if saving else size)
                bar.unit, bar.unit_scale = ("rec", False) if saving else ("B", True)
                bar.set_description(_("saving") if saving else _("checking"))
            bar.n = records if phase == "importing" else bytes_read
            bar.refresh()

        try:
            job = import_job_run(job_id=job.pk, progress=progress)
        finally:
            bar.close()
        job.refresh_from_db()
        return job

    def _report(self, job: ImportJob) -> None:
        counts = _(
            "%(records)d records: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(withdrawn)d withdrawn, %(skipped)d skipped, %(invalid)d invalid."
        ) % {
            "records": job.record_count,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "withdrawn": job.withdrawn_count,
            "skipped": job.skipped_count,
            "invalid": job.invalid_count,
        }
        if job.status == ImportJob.Status.SUCCEEDED:
            self.stdout.write(self.style.SUCCESS(_("Import %(id)d succeeded.") % {"id": job.pk}) + " " + counts)
            if job.message:
                self.stdout.write(job.message)
            self._print_errors(job)
            return
        self.stderr.write(
            _("Import %(id)d was %(status)s. %(message)s")
            % {"id": job.pk, "status": job.get_status_display(), "message": job.message}
        )
        self._print_errors(job)
        raise CommandError(_("Nothing was imported."))

    def _print_errors(self, job: ImportJob) -> None:
        if not job.error_report:
            return
        with job.error_report.open("rb") as report:
            self.stderr.write(report.read().decode("utf-8-sig").rstrip())
