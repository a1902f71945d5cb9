"""Load the demo world. Safe to run twice: it finds what it made before.

Later capabilities extend the demo by registering a loader in
``core.demo`` from their ``AppConfig.ready()``; this command runs them in
the order of the apps.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.demo import demo_loaders


class Command(BaseCommand):
    help = "Create the demo platform, partners, users, catalogue and the rest of the demo world."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, loader in demo_loaders():
            self.stdout.write(f"demo data: {name} …")
            summary = loader(stdout=self.stdout)
            self.stdout.write(self.style.SUCCESS(f"demo data: {name} done {summary or ''}"))
