"""Money: ``Decimal`` only, quantized in one place, split to the cent.

Amounts are stored as ``DecimalField(max_digits=14, decimal_places=2)``
beside an ISO 4217 currency code. No float ever touches money.
"""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

CENT = Decimal("0.01")
DEFAULT_CURRENCY = "CNY"
CURRENCIES = [("CNY", "CNY ¥"), ("USD", "USD $"), ("EUR", "EUR €"), ("HKD", "HKD $")]


def money_quantize(amount: Decimal | int | str) -> Decimal:
    """Round half up to the cent. Refuses floats: they have already lost cents."""
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, int or str, never float")
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def money_split(*, amount: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """Split ``amount`` into cents proportional to ``weights`` by largest remainder.

    The parts always add up to ``amount`` exactly. Ties in the remainder go to
    the earlier weight, so the split is deterministic. Negative amounts (refunds)
    split as the mirror image of the positive amount.
    """
    total_cents = int(money_quantize(amount) / CENT)
    if total_cents < 0:
        return [-part for part in money_split(amount=-amount, weights=weights)]
    weight_values = [Decimal(w) for w in weights]
    if not weight_values:
        raise ValueError("cannot split an amount into no parts")
    if any(w < 0 for w in weight_values):
        raise ValueError("split weights must not be negative")
    weight_sum = sum(weight_values)
    if weight_sum == 0:
        # Nothing to be proportional to: split evenly.
        weight_values = [Decimal(1)] * len(weight_values)
        weight_sum = Decimal(len(weight_values))
    exact = [Decimal(total_cents) * w / weight_sum for w in weight_values]
    floors = [int(e) for e in exact]
    leftover = total_cents - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:leftover]:
        floors[i] += 1
    return [Decimal(cents) * CENT for cents in floors]


class MoneyField(models.DecimalField):
    """An amount of money: 14 digits, 2 decimal places."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class CurrencyField(models.CharField):
    """An ISO 4217 currency code."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("choices", CURRENCIES)
        kwargs.setdefault("default", DEFAULT_CURRENCY)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
