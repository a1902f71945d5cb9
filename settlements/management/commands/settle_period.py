"""Settle any period: ``manage.py settle_period 2026-10`` (a month) or ``--start/--end``; ``--adjustment``."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from settlements.models import SettlementRun
from settlements.services.runs import settlement_run_create


class Command(BaseCommand):
    help = "Compute a settlement run for a period as a draft, showing progress, and print its reconciliation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month", nargs="?", help="YYYY-MM: settle that calendar month")
        parser.add_argument("--start", type=date.fromisoformat, help="first day, YYYY-MM-DD")
        parser.add_argument("--end", type=date.fromisoformat, help="last day (inclusive), YYYY-MM-DD")
        parser.add_argument("--adjustment", metavar="KEY", help="an adjustment run of a closed period, with this key")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["month"]:
            try:
                year, month = (int(x) for x in options["month"].split("-"))
                start, end = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
            except ValueError:
                raise CommandError(f"{options['month']!r} is not a month (YYYY-MM)") from None
        elif options["start"] and options["end"]:
            start, end = options["start"], options["end"]
        else:
            raise CommandError("give a month (YYYY-MM) or --start and --end")

        def progress(done: int, total: int, step: str) -> None:
            self.stdout.write(f"  [{done:>2}/{total}] {step}")

        kind = SettlementRun.Kind.ADJUSTMENT if options["adjustment"] else SettlementRun.Kind.REGULAR
        try:
            run = settlement_run_create(
                period_start=start, period_end=end, kind=kind, idempotency_key=options["adjustment"], progress=progress
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"run {run.pk}: {run}")
        for currency, figures in run.report.get("currencies", {}).items():
            shares = figures["shares"]
            self.stdout.write(
                f"  {currency}: received {figures['received']} = partners {shares['partners']} + promoters "
                f"{shares['promoters']} + fees {shares['fees']} + platform {shares['platform']}"
            )
        checks = run.report.get("checks", {})
        self.stdout.write("  checks: " + ", ".join(f"{k}={'ok' if v else 'FAILED'}" for k, v in checks.items()))
        if not run.reconciles:
            raise CommandError("the run does not reconcile; it cannot be approved")
        self.stdout.write(self.style.SUCCESS("reconciles to the cent; approve it in the admin"))
