"""Demo catalogue (filled in by the catalogue work)."""

from typing import Any


def load(*, stdout: Any = None) -> str:
    return "(no demo catalogue yet)"
