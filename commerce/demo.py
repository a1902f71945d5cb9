"""Demo orders: placeholder until filled in below."""

from typing import Any


def load(*, stdout: Any = None) -> str:
    return "(no demo orders yet)"
