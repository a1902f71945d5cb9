"""``manage.py export_catalog --partner SLUG [--output FILE]``: a catalogue as CSV, in the import's columns."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from catalog.ingest.csv_format import csv_export_rows, csv_write
from users.models import Partner


class Command(BaseCommand):
    help = "Export a partner's catalogue as CSV in the columns the CSV import reads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partner", required=True, help="the partner's slug")
        parser.add_argument("--output", help="file to write (standard output when left out)")

    def handle(self, *args: Any, **options: Any) -> None:
        partner = Partner.objects.filter(slug=options["partner"]).first()
        if partner is None:
            raise CommandError(_("There is no partner %(slug)s.") % {"slug": options["partner"]})
        rows = csv_export_rows(partner=partner)
        if options["output"]:
            with Path(options["output"]).open("w", encoding="utf-8-sig", newline="") as out:
                count = csv_write(rows, out)
            self.stderr.write(_("%(n)d variants written to %(path)s.") % {"n": count - 1, "path": options["output"]})
        else:
            csv_write(rows, cast(IO[str], self.stdout._out))
