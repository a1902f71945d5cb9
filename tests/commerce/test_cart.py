import pytest
from django.contrib.sessions.backends.db import SessionStore

from catalog.models import Variant
from commerce.errors import AlreadyOwned, CartInvalid, NotSellable
from commerce.models import Cart, CartLine
from commerce.selectors import cart_summary
from commerce.services import cart_add, cart_get_or_create, cart_line_set_quantity, cart_merge
from tests.factories import UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.commerce import order_paid_for

pytestmark = pytest.mark.django_db


def test_adding_a_digital_item_twice_keeps_one_line(shopper, book):
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant=book)
    cart_add(cart=cart, variant=book)
    assert list(CartLine.objects.filter(cart=cart).values_list("variant_id", "quantity")) == [(book.pk, 1)]


def test_digital_item_cannot_have_a_quantity(shopper, book):
    cart = cart_get_or_create(user=shopper)
    with pytest.raises(CartInvalid, match="活法"):
        cart_add(cart=cart, variant=book, quantity=2)
    assert not CartLine.objects.exists()


def test_print_copies_add_up(shopper):
    print_book = sellable_book(price="45.00", fmt=Variant.Format.PRINT)
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant=print_book, quantity=2)
    line = cart_add(cart=cart, variant=print_book, quantity=3)
    assert line.quantity == 5
    assert cart_summary(cart=cart).subtotal == print_book.price * 5


def test_item_without_rights_in_the_territory_is_refused(shopper, us_only_book):
    cart = cart_get_or_create(user=shopper)
    with pytest.raises(NotSellable, match="Only in America"):
        cart_add(cart=cart, variant=us_only_book, territory="CN")
    assert not CartLine.objects.exists()
    cart_add(cart=cart, variant=us_only_book, territory="US")
    assert CartLine.objects.count() == 1


def test_owned_product_cannot_be_added(shopper, book):
    order_paid_for(shopper, book)
    with pytest.raises(AlreadyOwned, match="活法"):
        cart_add(cart=cart_get_or_create(user=shopper), variant=book)


def test_bundle_containing_an_owned_item_is_refused_naming_the_item(shopper, book, bundle):
    order_paid_for(shopper, book)
    with pytest.raises(AlreadyOwned) as raised:
        cart_add(cart=cart_get_or_create(user=shopper), variant=bundle)
    assert "活法" in raised.value.message and "心理学套装" in raised.value.message


def test_item_and_a_bundle_containing_it_cannot_share_a_cart(shopper, book, bundle):
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant=bundle)
    with pytest.raises(CartInvalid, match="活法"):
        cart_add(cart=cart, variant=book)


def test_summary_shows_current_price_and_marks_lines_no_longer_sellable(shopper, book, course):
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant=book)
    cart_add(cart=cart, variant=course)
    Variant.objects.filter(pk=book.pk).update(price="55.50")
    course.product.rights.all().delete()
    summary = cart_summary(cart=cart)
    by_variant = {line.variant.pk: line for line in summary.lines}
    assert by_variant[book.pk].unit_price == by_variant[book.pk].line_total == summary.subtotal
    assert str(summary.subtotal) == "55.50"
    assert not by_variant[course.pk].available
    assert not summary.can_check_out


def test_anonymous_cart_lives_in_the_session(book):
    session = SessionStore()
    cart = cart_get_or_create(session=session)
    cart_add(cart=cart, variant=book)
    assert cart_get_or_create(session=session).pk == cart.pk
    assert cart.user_id is None


def test_merge_moves_lines_and_drops_what_the_user_owns(shopper, book, course):
    print_book = sellable_book(price="20.00", fmt=Variant.Format.PRINT)
    order_paid_for(shopper, course)
    mine = cart_get_or_create(user=shopper)
    cart_add(cart=mine, variant=print_book, quantity=1)
    anonymous = Cart.objects.create()
    for variant, qty in ((book, 1), (course, 1), (print_book, 2)):
        CartLine.objects.create(cart=anonymous, variant=variant, quantity=qty)
    report = cart_merge(source=anonymous, user=shopper)
    assert report.dropped_owned == ["心理学二十讲"]
    assert dict(CartLine.objects.filter(cart=mine).values_list("variant_id", "quantity")) == {
        book.pk: 1,
        print_book.pk: 3,
    }
    assert not Cart.objects.filter(pk=anonymous.pk).exists()


def test_cart_is_merged_when_the_visitor_logs_in(client, book, password):
    user = UserFactory(email="lin@example.com")
    assert client.post("/api/v1/cart/", {"variant_id": book.pk}, content_type="application/json").status_code == 201
    response = client.post("/accounts/login/", {"username": "lin@example.com", "password": password})
    assert response.status_code == 302
    assert list(Cart.objects.get(user=user).lines.values_list("variant_id", flat=True)) == [book.pk]
    assert not Cart.objects.filter(user__isnull=True).exists()
    assert client.get("/api/v1/cart/").json()["count"] == 1


def test_quantity_change_of_a_line_in_another_cart_is_refused(shopper, book):
    other = cart_get_or_create(user=UserFactory())
    line = cart_add(cart=other, variant=book)
    with pytest.raises(CartInvalid):
        cart_line_set_quantity(cart=cart_get_or_create(user=shopper), line_id=line.pk, quantity=1)
