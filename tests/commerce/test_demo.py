import pytest

from commerce import demo
from commerce.models import Entitlement, Order
from tests.factories import UserFactory
from tests.factories.catalog import bundle_of, sellable_book, sellable_course
from users import demo as users_demo

pytestmark = pytest.mark.django_db


def _shoppers() -> None:
    for email, *_rest in users_demo.SHOPPERS:
        UserFactory(email=email)


def test_demo_shoppers_get_paid_orders_once():
    _shoppers()
    books = [sellable_book(title=f"Demo book {i}") for i in range(4)]
    courses = [sellable_course(title=f"Demo course {i}") for i in range(3)]
    bundle_of(books[0], courses[0], price="120.00", title="Demo bundle")
    demo.load()
    orders = Order.objects.filter(idempotency_key__startswith="demo-")
    assert orders.filter(status__in=["paid", "partially_refunded", "refunded"]).count() == orders.count() > 5
    assert set(orders.values_list("user__email", flat=True)) == {email for email, *_ in users_demo.SHOPPERS}
    first_counts = (orders.count(), Entitlement.objects.count())
    demo.load()
    assert (orders.count(), Entitlement.objects.count()) == first_counts


def test_demo_without_a_catalogue_does_nothing():
    _shoppers()
    assert "no sellable catalogue" in demo.load()
    assert not Order.objects.exists()
