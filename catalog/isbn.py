"""ISBN-13 / GTIN-13 check digits."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def isbn13_normalize(raw: str) -> str:
    """Strip hyphens and spaces: ``978-7-5086-1234-5`` → ``9787508612345``."""
    return raw.replace("-", "").replace(" ", "").strip()


def isbn13_check_digit(first12: str) -> int:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def isbn13_is_valid(raw: str) -> bool:
    digits = isbn13_normalize(raw)
    return len(digits) == 13 and digits.isdigit() and isbn13_check_digit(digits[:12]) == int(digits[12])


def validate_isbn13(value: str) -> None:
    digits = isbn13_normalize(value)
    if len(digits) != 13 or not digits.isdigit():
        raise ValidationError(
            _("%(v)s is not an ISBN-13: it must have 13 digits."), params={"v": value}, code="isbn_length"
        )
    expected = isbn13_check_digit(digits[:12])
    if expected != int(digits[12]):
        raise ValidationError(
            _("%(v)s has a wrong check digit (expected %(d)s): check the number for a typo."),
            params={"v": value, "d": expected},
            code="isbn_check_digit",
        )
