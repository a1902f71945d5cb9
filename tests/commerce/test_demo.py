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


def test_demo_orders_come_from_the_joint_campaign_with_its_coupon_where_it_applies():
    from promotions import demo as promotions_demo
    from promotions.models import CampaignConversion
    from tests.factories import PartnerFactory
    from users.models import Partner

    _shoppers()
    PartnerFactory(kind=Partner.Kind.PLATFORM, slug="zhiqiao")
    publisher = PartnerFactory(slug="qingsong-press")
    books = [sellable_book(title=f"Demo book {i}", owner=publisher) for i in range(4)]
    courses = [sellable_course(title=f"Demo course {i}") for i in range(3)]
    bundle_of(books[0], courses[0], price="120.00", title="Demo bundle", owner=publisher)
    promotions_demo.load()
    demo.load()
    with_coupon = [
        line
        for order in Order.objects.filter(idempotency_key__startswith="demo-")
        for line in order.lines.all()
        if line.attribution.get("coupon_codes") == [promotions_demo.PUBLIC_CODE]
    ]
    assert with_coupon and all(line.discount > 0 for line in with_coupon)
    assert CampaignConversion.objects.filter(campaign__slug=promotions_demo.CAMPAIGN_SLUG).exists()
    assert all(line.order.total == line.order.subtotal - line.order.discount for line in with_coupon)
