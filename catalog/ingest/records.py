"""The neutral form of one catalogue record, whatever file it came from.

Both readers turn their rows into :class:`CatalogRecord` and report what is
wrong with them as :class:`RecordError`; the helpers here check the values
both formats share (ISBN, language, territories, money).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from catalog.isbn import isbn13_normalize, validate_isbn13
from catalog.models import ProductContributor, Variant
from core.money import CURRENCIES, money_quantize

MAX_REFERENCE_LENGTH = 120
MAX_TITLE_LENGTH = 255
MAX_NAME_LENGTH = 160
MAX_PRICE = Decimal("999999999999.99")
SELLING_CURRENCIES = tuple(code for code, _label in CURRENCIES)
WORLD = "WORLD"
# User-assigned codes publishers use in territory lists (Kosovo).
EXTRA_COUNTRY_CODES = frozenset({"XK"})


class Action(enum.StrEnum):
    UPSERT = "upsert"
    WITHDRAW = "withdraw"
    # ONIX test records (NotificationType 88/89): read, checked, never saved.
    IGNORE = "ignore"


class Block(enum.StrEnum):
    """The parts of a record that a partial ONIX update (NotificationType 04) may leave out.

    A block that a record does not carry keeps its stored values."""

    DESCRIPTIVE = "descriptive"  # format, title, contributors, language, subjects, pages
    COLLATERAL = "collateral"  # description, cover
    PUBLISHING = "publishing"  # publisher, imprint, publication date, sales rights, status
    SUPPLY = "supply"  # prices


ALL_BLOCKS = frozenset(Block)


@dataclass(frozen=True)
class Credit:
    role: str  # a ProductContributor.Role value
    name: str
    sort_name: str = ""
    bio: str = ""


@dataclass(frozen=True)
class Subject:
    """A subject code or keyword: scheme is ``BISAC``, ``THEMA``, ``KEYWORD`` or ``TOPIC`` (a topic slug)."""

    scheme: str
    code: str
    label: str = ""


@dataclass(frozen=True)
class Territory:
    """Countries as space-separated ISO 3166-1 alpha-2 codes, or ``WORLD``, minus ``excluded``."""

    included: str
    excluded: str = ""


@dataclass(frozen=True)
class Price:
    type: str
    amount: Decimal
    currency: str
    territory: Territory

    def as_json(self) -> dict[str, str]:
        return {
            "type": self.type,
            "amount": str(self.amount),
            "currency": self.currency,
            "territories": self.territory.included,
            "excluded_territories": self.territory.excluded,
        }


@dataclass
class CatalogRecord:
    reference: str
    position: int  # 1-based number of the record in the file
    line: int | None = None
    action: Action = Action.UPSERT
    blocks: frozenset[Block] = ALL_BLOCKS
    isbn13: str | None = None
    format: str | None = None
    title: str = ""
    subtitle: str = ""
    language: str = ""
    description: str = ""  # sanitised HTML
    cover_url: str = ""
    publisher: str = ""
    imprint: str = ""
    published_on: date | None = None
    page_count: int | None = None
    work_reference: str = ""
    is_active: bool = True
    credits: list[Credit] = field(default_factory=list)
    subjects: list[Subject] = field(default_factory=list)
    # None: the record says nothing about rights (keep what is stored); []: not for sale anywhere.
    rights: list[Territory] | None = None
    prices: list[Price] = field(default_factory=list)
    price: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True)
class RecordError:
    """One thing wrong with one record: where, which field, what."""

    position: int
    reference: str
    field: str
    message: str
    line: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "position": self.position,
            "line": self.line,
            "reference": self.reference,
            "field": self.field,
            "message": self.message,
        }


class Problems:
    """Collects the errors of one record while it is read."""

    def __init__(self, *, position: int, reference: str = "", line: int | None = None) -> None:
        self.position = position
        self.reference = reference
        self.line = line
        self.errors: list[RecordError] = []

    def add(self, field_name: str, message: str) -> None:
        self.errors.append(
            RecordError(
                position=self.position, reference=self.reference, field=field_name, message=message, line=self.line
            )
        )

    def __bool__(self) -> bool:
        return bool(self.errors)


# --- Shared checks ----------------------------------------------------------------


def check_reference(value: str, problems: Problems, *, field_name: str) -> str:
    value = value.strip()
    if not value:
        problems.add(field_name, _("The record has no reference: every record needs its own, stable reference."))
    elif len(value) > MAX_REFERENCE_LENGTH:
        problems.add(
            field_name,
            _("The reference is %(n)d characters long; at most %(max)d are allowed.")
            % {"n": len(value), "max": MAX_REFERENCE_LENGTH},
        )
    return value


def check_isbn13(value: str, problems: Problems, *, field_name: str) -> str | None:
    digits = isbn13_normalize(value)
    try:
        validate_isbn13(digits)
    except ValidationError as exc:
        problems.add(field_name, " ".join(str(m) for m in exc.messages))
        return None
    return digits


def check_text(value: str, problems: Problems, *, field_name: str, max_length: int, required: bool = False) -> str:
    value = " ".join(value.split())
    if required and not value:
        problems.add(field_name, _("This field is required and is empty."))
    elif len(value) > max_length:
        problems.add(
            field_name,
            _("Too long: %(n)d characters, at most %(max)d are allowed.") % {"n": len(value), "max": max_length},
        )
    return value


@lru_cache(maxsize=512)
def _language_alpha2(code: str) -> str | None:
    code = code.strip().lower()
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    else:
        return None
    if found is None:
        return None
    return getattr(found, "alpha_2", None) or found.alpha_3


def check_language(value: str, problems: Problems, *, field_name: str) -> str:
    """ISO 639-2 (ONIX: ``chi``, ``eng``) or 639-1 (``zh``) in; the shortest code out (``zh``)."""
    if not value.strip():
        return ""
    code = _language_alpha2(value)
    if code is None:
        problems.add(field_name, _("%(v)s is not an ISO 639 language code (e.g. chi, eng or zh, en).") % {"v": value})
        return ""
    return code


@lru_cache(maxsize=1024)
def _is_country(code: str) -> bool:
    return code in EXTRA_COUNTRY_CODES or pycountry.countries.get(alpha_2=code) is not None


def check_countries(value: str, problems: Problems, *, field_name: str, allow_world: bool = False) -> str:
    """Space- or comma-separated ISO 3166-1 alpha-2 codes, normalised to sorted, space-separated, upper case."""
    codes = value.replace(",", " ").replace(";", " ").upper().split()
    if allow_world and codes == [WORLD]:
        return WORLD
    bad = [c for c in codes if not (len(c) == 2 and _is_country(c))]
    if bad:
        problems.add(
            field_name,
            _("Not ISO 3166-1 country codes: %(codes)s. Use two-letter codes such as CN, HK, US, or WORLD.")
            % {"codes": ", ".join(bad[:10])},
        )
    return " ".join(sorted(set(codes) - set(bad)))


def check_amount(value: str, problems: Problems, *, field_name: str) -> Decimal | None:
    text = value.strip().replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        problems.add(field_name, _("%(v)s is not an amount of money (write it like 49.00).") % {"v": value})
        return None
    if not amount.is_finite() or amount < 0:
        problems.add(field_name, _("%(v)s is not a price: it must be zero or more.") % {"v": value})
        return None
    if amount != amount.quantize(Decimal("0.01")):
        problems.add(field_name, _("%(v)s has more than two decimal places.") % {"v": value})
        return None
    if amount > MAX_PRICE:
        problems.add(field_name, _("%(v)s is too large for a price.") % {"v": value})
        return None
    return money_quantize(amount)


def check_url(value: str, problems: Problems, *, field_name: str) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        problems.add(field_name, _("%(v)s is not a web address (http or https).") % {"v": value[:200]})
        return ""
    if len(value) > 200:
        problems.add(field_name, _("The address is longer than 200 characters."))
        return ""
    return value


def choose_price(prices: list[Price], *, consumer_types: frozenset[str] | None) -> Price | None:
    """The price a shopper pays: in CNY when the record has one, else the first consumer price
    in a currency the platform sells in. ``consumer_types`` None means every price is a consumer price."""
    consumer = [p for p in prices if consumer_types is None or p.type in consumer_types]
    sellable = [p for p in consumer if p.currency in SELLING_CURRENCIES]
    for p in sellable:
        if p.currency == "CNY":
            return p
    return sellable[0] if sellable else None


CONTRIBUTOR_ROLES = frozenset(ProductContributor.Role.values)
VARIANT_FORMATS = frozenset(Variant.Format.values) - {Variant.Format.BUNDLE}
