import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.db.models import F

from commerce.errors import AlreadyOwned, CheckoutInvalid, IdempotencyKeyReused, NotSellable
from commerce.models import Order, OrderEvent, OrderLine, Payment
from commerce.services import CheckoutLine, cart_add, cart_get_or_create, checkout_create, checkout_lines_from_cart
from core.models import EventHistoryIsAppendOnly
from tests.factories.catalog import bundle_of, sellable_book
from tests.factories.commerce import checkout_for, order_paid_for

pytestmark = pytest.mark.django_db


def test_checkout_creates_a_pending_order_with_prices_and_a_payment_page(shopper, book, course):
    result = checkout_for(shopper, book, course, key="k1")
    order = result.order
    assert result.created
    assert order.status == Order.Status.PENDING_PAYMENT
    assert (order.subtotal, order.discount, order.total) == (Decimal("200.00"), Decimal("0.00"), Decimal("200.00"))
    lines = {line.variant_id: line for line in order.lines.all()}
    assert lines[book.pk].price_paid == lines[book.pk].list_price == Decimal("60.00")
    assert lines[book.pk].owner_id == book.product.owner_id
    assert result.payment.amount == order.total
    assert result.redirect_url == f"/pay/sandbox/{result.payment.public_id}/"
    assert list(order.events.values_list("from_status", "to_status")) == [("", "pending_payment")]


def test_double_submitted_checkout_gives_one_order_and_one_payment(shopper, book):
    first = checkout_for(shopper, book, key="same-click")
    second = checkout_for(shopper, book, key="same-click")
    assert not second.created
    assert second.order.pk == first.order.pk and second.payment.pk == first.payment.pk
    assert Order.objects.count() == 1 and Payment.objects.count() == 1


def test_refresh_after_payment_returns_the_first_order_even_with_the_cart_emptied(shopper, book):
    cart = cart_get_or_create(user=shopper)
    cart_add(cart=cart, variant=book)
    first = checkout_create(user=shopper, lines=checkout_lines_from_cart(cart=cart), idempotency_key="refresh")
    from tests.factories.commerce import deliver

    deliver(first.payment, "pay")
    assert not cart.lines.exists()
    again = checkout_create(user=shopper, lines=checkout_lines_from_cart(cart=cart), idempotency_key="refresh")
    assert again.order.pk == first.order.pk and not again.created


def test_same_key_for_different_items_is_refused(shopper, book, course):
    checkout_for(shopper, book, key="reused")
    with pytest.raises(IdempotencyKeyReused):
        checkout_for(shopper, course, key="reused")
    assert Order.objects.count() == 1


def test_product_without_rights_in_the_territory_cannot_be_bought(shopper, book, us_only_book):
    with pytest.raises(NotSellable, match="Only in America"):
        checkout_for(shopper, book, us_only_book, territory="CN")
    assert not Order.objects.exists()
    assert checkout_for(shopper, us_only_book, territory="US").order.territory == "US"


def test_owned_product_cannot_be_bought_twice(shopper, book):
    order_paid_for(shopper, book)
    with pytest.raises(AlreadyOwned, match="活法"):
        checkout_for(shopper, book)
    assert Order.objects.count() == 1


def test_product_owned_through_a_bundle_cannot_be_bought_alone(shopper, book, bundle):
    order_paid_for(shopper, bundle)
    with pytest.raises(AlreadyOwned, match="活法"):
        checkout_for(shopper, book)


def test_bundle_with_an_owned_item_cannot_be_bought(shopper, course, bundle):
    order_paid_for(shopper, course)
    with pytest.raises(AlreadyOwned) as raised:
        checkout_for(shopper, bundle)
    assert "心理学二十讲" in raised.value.message


def test_empty_checkout_is_refused(shopper):
    with pytest.raises(CheckoutInvalid) as raised:
        checkout_create(user=shopper, lines=[], idempotency_key="empty")
    assert raised.value.code == "cart_empty"


def test_unknown_attribution_keys_are_refused(shopper, book):
    with pytest.raises(CheckoutInvalid, match="coupon"):
        checkout_create(
            user=shopper, lines=[CheckoutLine(variant=book, attribution={"coupon": "X"})], idempotency_key="a"
        )


def test_attribution_and_recommendation_are_kept_on_the_line(shopper, book):
    line = CheckoutLine(
        variant=book,
        attribution={"utm": {"utm_source": "wechat"}, "referral_code": "LIN42"},
        recommendation_model_version="two-tower-7",
        recommendation_slot="home-row-1",
    )
    order = checkout_create(user=shopper, lines=[line], idempotency_key="attr").order
    stored = order.lines.get()
    assert stored.attribution["referral_code"] == "LIN42"
    assert (stored.recommendation_model_version, stored.recommendation_slot) == ("two-tower-7", "home-row-1")


def test_bundle_price_is_split_over_its_items_pro_rata_to_the_cent(shopper, bundle, book, course):
    order = checkout_for(shopper, bundle).order
    items = {item.variant_id: item for item in order.lines.get().items.all()}
    # 150 split 60:140 → 45.00 and 105.00
    assert items[book.pk].share == Decimal("45.00")
    assert items[course.pk].share == Decimal("105.00")
    assert sum(i.share for i in items.values()) == order.total


def test_bundle_list_price_is_split_over_its_items_by_largest_remainder(shopper):
    volumes = [sellable_book(price="10.00", title=f"第{i}册") for i in (1, 2, 3)]
    line = checkout_for(shopper, bundle_of(*volumes, price="100.00", title="三册套装")).order.lines.get()
    # 100.00 over three equal prices: the cent left over goes to the first volume.
    parts = [item.list_share for item in line.items.order_by("pk")]
    assert parts == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(parts) == line.list_price


def test_new_checkout_cancels_an_unpaid_order_for_the_same_product(shopper, book):
    first = checkout_for(shopper, book)
    second = checkout_for(shopper, book)
    first.order.refresh_from_db()
    first.payment.refresh_from_db()
    assert first.order.status == Order.Status.CANCELLED
    assert first.payment.status == Payment.Status.CANCELLED
    assert second.order.status == Order.Status.PENDING_PAYMENT


def test_database_refuses_a_line_paid_above_its_list_price(shopper, book):
    line = checkout_for(shopper, book).order.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.filter(pk=line.pk).update(price_paid=F("list_price") + 1)


def test_database_refuses_a_second_order_with_the_same_key_for_the_same_user(shopper, book):
    order = checkout_for(shopper, book, key="dup").order
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(
            number="ZQX", user=shopper, subtotal=0, total=0, idempotency_key="dup", request_fingerprint=""
        )
    assert Order.objects.filter(pk=order.pk).exists()


def test_order_history_cannot_be_rewritten(shopper, book):
    event = checkout_for(shopper, book).order.events.get()
    with pytest.raises(EventHistoryIsAppendOnly):
        event.save()
    with pytest.raises(EventHistoryIsAppendOnly):
        OrderEvent.objects.filter(pk=event.pk).update(note="changed")
    with pytest.raises(EventHistoryIsAppendOnly):
        event.delete()


def test_bundle_items_bought_before_list_shares_were_recorded_get_them_as_checkout_would(shopper):
    backfill = importlib.import_module("commerce.migrations.0003_order_line_item_list_share").list_shares_fill
    volumes = [sellable_book(price=price, title=f"第{i}册") for i, price in enumerate(("19.90", "29.90", "9.90"))]
    line = checkout_for(shopper, bundle_of(*volumes, price="49.90", title="三册套装")).order.lines.get()
    recorded = [item.list_share for item in line.items.order_by("pk")]
    line.items.update(list_share=0)

    backfill(django_apps, None)

    assert [item.list_share for item in line.items.order_by("pk")] == recorded
    assert sum(recorded) == line.list_price
