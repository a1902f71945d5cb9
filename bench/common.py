from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    median_s: float
    reference_s: float | None = None
    unit_count: int = 1

    def __str__(self) -> str:
        per = self.median_s / self.unit_count
        text = f"{self.name}: median {self.median_s * 1000:.2f} ms ({per * 1e6:.2f} µs per item, n={self.unit_count})"
        if self.reference_s:
            text += f"; ratio to reference {self.median_s / self.reference_s:.2f}×"
        return text


def median_time(fn: Callable[[], object], *, repeats: int = 7) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)
