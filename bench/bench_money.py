"""Splitting money by largest remainder, against plain Decimal quantizing (which does not add up)."""

from __future__ import annotations

import random
from decimal import Decimal

from bench.common import Figure, median_time
from core.money import money_quantize, money_split


def run() -> list[Figure]:
    rng = random.Random(7)
    cases = [
        (Decimal(rng.randint(1, 10**7)) / 100, [rng.randint(1, 1000) for _ in range(rng.randint(2, 8))])
        for _ in range(20_000)
    ]

    def largest_remainder() -> None:
        for amount, weights in cases:
            money_split(amount=amount, weights=weights)

    def naive_quantize() -> None:
        for amount, weights in cases:
            total = sum(weights)
            [money_quantize(amount * w / total) for w in weights]

    reference = median_time(naive_quantize)
    measured = median_time(largest_remainder)
    return [
        Figure("naive quantize (reference)", reference, unit_count=len(cases)),
        Figure("money_split", measured, reference_s=reference, unit_count=len(cases)),
    ]
