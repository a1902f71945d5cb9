"""Errors of catalogue ingestion."""

from __future__ import annotations

from core.errors import DomainError


class CatalogFileRejected(DomainError):
    """The file as a whole cannot be read (not XML, an entity, a missing column, too big).

    Nothing from it is saved."""

    code = "catalog_file_rejected"


class RecordProblem(Exception):
    """A record that cannot be written, found while writing it (e.g. its ISBN
    belongs to another partner). Carries the ONIX or CSV field and the reason."""

    def __init__(self, field: str, message: object) -> None:
        self.field = field
        self.message = str(message)
        super().__init__(f"{field}: {self.message}")
