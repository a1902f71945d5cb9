"""Building blocks for models in every app."""

from __future__ import annotations

from typing import Any

from django.db import models


class EventHistoryIsAppendOnly(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """History rows are never changed or deleted in bulk."""

    def update(self, **kwargs: Any) -> int:
        raise EventHistoryIsAppendOnly("history rows are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise EventHistoryIsAppendOnly("history rows are never deleted")


class AppendOnlyModel(models.Model):
    """An append-only history row (state-machine events, audit rows): written once, never changed or deleted."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise EventHistoryIsAppendOnly("history rows are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise EventHistoryIsAppendOnly("history rows are never deleted")
