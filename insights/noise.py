"""Calibrated noise for counts, through OpenDP.

A histogram of distinct people in which one person changes at most
``sensitivity`` cells by one each (L1 sensitivity) gets discrete Laplace noise
of scale ``sensitivity / epsilon``; OpenDP's privacy map confirms that the
measurement costs no more than ``epsilon``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import opendp.prelude as dp

dp.enable_features("contrib")

MECHANISM = "discrete Laplace (OpenDP make_laplace)"


@dataclass(frozen=True)
class NoisyCounts:
    values: list[int]
    scale: float
    epsilon: Decimal
    sensitivity: int

    def describe(self) -> dict[str, Any]:
        return {
            "mechanism": MECHANISM,
            "scale": round(self.scale, 4),
            "epsilon": str(self.epsilon),
            "sensitivity": self.sensitivity,
        }


def _measurement(scale: float) -> Any:
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    return dp.m.make_laplace(*space, scale=scale)


def counts_noisy(*, counts: list[int], epsilon: Decimal, sensitivity: int) -> NoisyCounts:
    """``counts`` with noise for an ``epsilon``-DP release; negative results are shown as 0."""
    if epsilon <= 0:
        raise ValueError("epsilon must be positive")
    if sensitivity < 1:
        raise ValueError("sensitivity must be at least 1")
    scale = float(sensitivity) / float(epsilon)
    measurement = _measurement(scale)
    spent = measurement.map(d_in=sensitivity)
    # The map is exact for this mechanism; allow only float rounding above the budget.
    if spent > float(epsilon) * (1 + 1e-9):
        raise AssertionError(f"noise of scale {scale} costs ε={spent}, more than {epsilon}")
    if not counts:
        return NoisyCounts(values=[], scale=scale, epsilon=epsilon, sensitivity=sensitivity)
    released = measurement([int(c) for c in counts])
    return NoisyCounts(values=[max(0, int(v)) for v in released], scale=scale, epsilon=epsilon, sensitivity=sensitivity)
