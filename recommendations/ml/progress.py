"""Progress reports from long steps (training epochs, scoring chunks).

A caller (a Celery task, a management command's progress bar) passes a
callback; the models call it after each unit of work. It must be cheap and
must not raise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` units of ``stage`` finished; ``metrics`` holds figures such as the epoch loss."""

    stage: str
    done: int
    total: int
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


ProgressCallback = Callable[[Progress], None]
