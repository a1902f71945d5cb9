import os
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import money_quantize, money_split


def test_quantize_rounds_half_up_to_the_cent():
    assert money_quantize("2.345") == Decimal("2.35")
    assert money_quantize(Decimal("-2.345")) == Decimal("-2.35")


def test_quantize_refuses_floats():
    with pytest.raises(TypeError):
        money_quantize(0.1)  # type: ignore[arg-type]


def test_split_gives_leftover_cents_to_largest_remainders():
    assert money_split(amount=Decimal("100.00"), weights=[1, 1, 1]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert money_split(amount=Decimal("10.00"), weights=[Decimal("59.90"), Decimal("39.90")]) == [
        Decimal("6.00"),
        Decimal("4.00"),
    ]


def test_split_of_a_refund_mirrors_the_sale():
    sale = money_split(amount=Decimal("99.99"), weights=[3, 7])
    refund = money_split(amount=Decimal("-99.99"), weights=[3, 7])
    assert refund == [-s for s in sale]


@pytest.mark.fuzz
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")), deadline=None, derandomize=True)
@given(
    cents=st.integers(min_value=-(10**9), max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12),
)
def test_split_always_adds_up_to_the_cent(cents, weights):
    amount = Decimal(cents) / 100
    parts = money_split(amount=amount, weights=weights)
    assert sum(parts) == amount
    assert len(parts) == len(weights)
    assert all(p == p.quantize(Decimal("0.01")) for p in parts)
