from datetime import date

import pytest

from catalog.models import Product, Rights
from catalog.selectors import product_list_sellable, variant_is_sellable, variant_list_sellable
from tests.factories.catalog import bundle_of, sellable_book, sellable_course

pytestmark = pytest.mark.django_db


def test_world_rights_sell_everywhere():
    v = sellable_book()
    assert variant_is_sellable(variant=v, territory="CN")
    assert variant_is_sellable(variant=v, territory="US")


def test_rights_for_listed_territories_only():
    v = sellable_book()
    Rights.objects.filter(product=v.product).update(territories="CN HK MO")
    assert variant_is_sellable(variant=v, territory="HK")
    assert not variant_is_sellable(variant=v, territory="TW")
    assert not variant_is_sellable(variant=v, territory="US")


def test_excluded_territory_is_not_sold():
    v = sellable_book()
    Rights.objects.filter(product=v.product).update(territories="WORLD", excluded_territories="US CA")
    assert not variant_is_sellable(variant=v, territory="US")
    assert variant_is_sellable(variant=v, territory="CN")


def test_rights_period_bounds_sales():
    v = sellable_book()
    Rights.objects.filter(product=v.product).update(valid_from=date(2026, 1, 1), valid_to=date(2026, 6, 30))
    assert not variant_is_sellable(variant=v, on=date(2025, 12, 31))
    assert variant_is_sellable(variant=v, on=date(2026, 6, 30))
    assert not variant_is_sellable(variant=v, on=date(2026, 7, 1))


def test_rights_restricted_to_formats():
    v = sellable_book(fmt="print")
    Rights.objects.filter(product=v.product).update(formats="ebook audiobook")
    assert not variant_is_sellable(variant=v)
    Rights.objects.filter(product=v.product).update(formats="print")
    assert variant_is_sellable(variant=v)


def test_product_without_rights_is_not_listed():
    v = sellable_book()
    Rights.objects.filter(product=v.product).delete()
    assert v.product not in product_list_sellable()


def test_unpublished_product_is_not_sold():
    v = sellable_book()
    Product.objects.filter(pk=v.product_id).update(status=Product.Status.WITHDRAWN)
    assert not variant_list_sellable().filter(pk=v.pk).exists()


def test_bundle_is_sellable_only_where_every_item_is():
    book, course = sellable_book(), sellable_course()
    bundle = bundle_of(book, course)
    assert variant_is_sellable(variant=bundle, territory="CN")
    Rights.objects.filter(product=book.product).update(territories="CN")
    assert variant_is_sellable(variant=bundle, territory="CN")
    assert not variant_is_sellable(variant=bundle, territory="US")
    assert bundle.product in product_list_sellable(territory="CN")
    assert bundle.product not in product_list_sellable(territory="US")


def test_empty_bundle_is_not_sold():
    bundle = bundle_of()
    assert not variant_is_sellable(variant=bundle)


def test_bad_territory_code_is_an_error():
    with pytest.raises(ValueError, match="alpha-2"):
        list(variant_list_sellable(territory="China"))
