from __future__ import annotations

import pytest

from catalog.models import Variant
from tests.factories import UserFactory
from tests.factories.catalog import RightsFactory, bundle_of, sellable_book, sellable_course


@pytest.fixture
def shopper(db):  # type: ignore[no-untyped-def]
    return UserFactory(email="shopper@example.com")


@pytest.fixture
def book(db) -> Variant:  # type: ignore[no-untyped-def]
    return sellable_book(price="60.00", title="活法")


@pytest.fixture
def course(db) -> Variant:  # type: ignore[no-untyped-def]
    return sellable_course(price="140.00", title="心理学二十讲")


@pytest.fixture
def bundle(book: Variant, course: Variant) -> Variant:
    """A bundle of the book (60.00 alone) and the course (140.00 alone) for 150.00."""
    return bundle_of(book, course, price="150.00", title="心理学套装")


@pytest.fixture
def us_only_book(db) -> Variant:  # type: ignore[no-untyped-def]
    """A book whose rights cover the United States only."""
    variant = sellable_book(price="30.00", title="Only in America")
    variant.product.rights.all().delete()
    RightsFactory(product=variant.product, territories="US")
    return variant
