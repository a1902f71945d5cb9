"""The pricing engine on plain inputs: offers, coupons, how they combine, and why."""

from datetime import timedelta
from decimal import Decimal

import pytest

from promotions.pricing import ShopperFacts, cart_price
from tests.promotions.builders import NOW, SHOPPER, coupon, cross_offer, group_offer, line

D = Decimal


def price(lines, *, coupons=(), offers=(), shopper=SHOPPER, at=NOW, unknown=()):
    return cart_price(lines=lines, shopper=shopper, coupons=coupons, offers=offers, at=at, unknown_codes=unknown)


def test_cart_without_promotions_costs_its_list_price():
    priced = price([line("a", "49.00", qty=2), line("b", "199.00")])
    assert priced.subtotal == D("297.00")
    assert priced.discount == 0
    assert priced.total == D("297.00")
    assert "No discount" in priced.explanation.en


def test_buy_the_course_get_the_book_at_thirty_percent_off():
    lines = [line("course", "199.00", product=1, fmt="course"), line("book", "60.00", product=2)]
    priced = price(lines, offers=[cross_offer(1, trigger={1}, target={2}, percent="30")])
    assert priced.line("book").offer_discount == D("18.00")
    assert priced.line("course").discount == 0
    assert priced.total == D("241.00")
    assert "30% off" in priced.explanation.en
    assert "30%" in priced.explanation.zh


def test_cross_offer_needs_the_trigger_in_the_cart():
    priced = price([line("book", "60.00", product=2)], offers=[cross_offer(1, trigger={1}, target={2}, percent="30")])
    assert priced.discount == 0


def test_one_trigger_discounts_one_target_unit_only():
    lines = [line("course", "199.00", product=1, fmt="course"), line("book", "60.00", product=2, qty=3)]
    priced = price(lines, offers=[cross_offer(1, trigger={1}, target={2}, percent="50")])
    assert priced.line("book").offer_discount == D("30.00")


def test_any_three_books_from_a_publisher_for_a_fixed_price_takes_the_dearest():
    lines = [line(str(i), p, product=i, owner=5) for i, p in enumerate(["20.00", "50.00", "40.00", "45.00"], 1)]
    priced = price(lines, offers=[group_offer(1, size=3, price="99.00", owners={5})])
    # The three dearest (50 + 45 + 40 = 135) for 99: 36 off, spread by price; the 20.00 book pays in full.
    assert priced.offer_discount == D("36.00")
    assert priced.line("1").discount == 0
    assert sum(priced.line(r).offer_discount for r in "234") == D("36.00")


def test_group_offer_that_would_raise_the_price_is_not_applied():
    lines = [line(str(i), "20.00", product=i, owner=5) for i in range(3)]
    priced = price(lines, offers=[group_offer(1, size=3, price="99.00", owners={5})])
    assert priced.discount == 0


def test_best_combination_of_competing_offers_is_chosen_not_the_first_by_priority():
    lines = [
        line("course", "100.00", product=1, fmt="course"),
        line("b2", "60.00", product=2, owner=5),
        line("b3", "60.00", product=3, owner=5),
        line("b4", "60.00", product=4, owner=5),
    ]
    # High priority: 10% off one book with the course (6.00). Lower priority: three books for 120 (60.00).
    cross = cross_offer(1, trigger={1}, target={2}, percent="10", priority=9)
    group = group_offer(2, size=3, price="120.00", owners={5}, priority=1)
    priced = price(lines, offers=[cross, group])
    assert priced.offer_discount == D("60.00")
    assert [a.source_id for a in priced.adjustments] == [2]


def test_independent_offers_both_apply():
    lines = [
        line("course", "100.00", product=1, fmt="course"),
        line("book", "50.00", product=2),
        line("x", "30.00", product=10, owner=8),
        line("y", "30.00", product=11, owner=8),
    ]
    offers = [cross_offer(1, trigger={1}, target={2}, percent="20"), group_offer(2, size=2, price="50.00", owners={8})]
    priced = price(lines, offers=offers)
    assert priced.offer_discount == D("20.00")
    assert {a.source_id for a in priced.adjustments} == {1, 2}


def test_equal_savings_are_broken_by_priority_then_id_every_time():
    lines = [line("course", "100.00", product=1, fmt="course"), line("book", "50.00", product=2)]
    a = cross_offer(5, trigger={1}, target={2}, percent="20", priority=1)
    b = cross_offer(3, trigger={1}, target={2}, percent="20", priority=2)
    c = cross_offer(4, trigger={1}, target={2}, percent="20", priority=2)
    for order in ([a, b, c], [c, b, a], [b, a, c]):
        assert [x.source_id for x in price(lines, offers=order).adjustments] == [3]


def test_offer_outside_its_window_or_territory_does_not_apply():
    lines = [line("course", "100.00", product=1, fmt="course"), line("book", "50.00", product=2)]
    expired = cross_offer(1, trigger={1}, target={2}, percent="20", valid_to=NOW)
    elsewhere = cross_offer(2, trigger={1}, target={2}, percent="20", territories=frozenset({"HK"}))
    assert price(lines, offers=[expired, elsewhere]).discount == 0


def test_percentage_coupon_discount_is_split_across_lines_to_the_cent():
    lines = [line("a", "10.00"), line("b", "10.00"), line("c", "10.00")]
    priced = price(lines, coupons=[coupon("TEN", value="33.33")])
    assert priced.coupon_discount == D("10.00")  # 33.33% of 30.00 = 9.999 → 10.00
    assert sorted(line.coupon_discount for line in priced.lines) == [D("3.33"), D("3.33"), D("3.34")]
    assert sum(line.discount for line in priced.lines) == priced.discount


def test_fixed_amount_coupon_never_takes_more_than_the_items_cost():
    priced = price([line("a", "15.00")], coupons=[coupon("BIG", "fixed_amount", "50")])
    assert priced.coupon_discount == D("15.00")
    assert priced.total == 0


def test_set_price_coupon_needs_every_product_of_the_set():
    lines = [line("course", "199.00", product=1), line("book", "59.00", product=2)]
    from promotions.pricing import ProductRange

    set_coupon = coupon("SET", "bundle_price", "199", product_range=ProductRange(product_ids=frozenset({1, 2})))
    assert price(lines, coupons=[set_coupon]).coupon_discount == D("59.00")
    partial = price(lines[:1], coupons=[set_coupon])
    assert partial.discount == 0
    assert partial.rejected[0].reason == "incomplete_set"


def test_coupon_in_range_only_discounts_covered_lines():
    from promotions.pricing import ProductRange

    lines = [line("a", "100.00", owner=1), line("b", "100.00", owner=2)]
    only_owner_2 = coupon("PUB2", value="50", product_range=ProductRange(owner_ids=frozenset({2})))
    priced = price(lines, coupons=[only_owner_2])
    assert priced.line("a").discount == 0
    assert priced.line("b").coupon_discount == D("50.00")


def test_minimum_spend_counts_items_in_range_after_offers_and_says_what_is_missing():
    priced = price([line("a", "80.00")], coupons=[coupon("MIN", "fixed_amount", "20", min_spend=D("100"))])
    assert priced.discount == 0
    (rejection,) = priced.rejected
    assert rejection.reason == "min_spend"
    assert "20.00" in rejection.message.en


def test_items_discounted_per_order_limit_picks_the_dearest():
    lines = [line("a", "10.00"), line("b", "30.00"), line("c", "20.00")]
    priced = price(lines, coupons=[coupon("TOP", value="50", max_units_per_order=1)])
    assert priced.line("b").coupon_discount == D("15.00")
    assert priced.coupon_discount == D("15.00")


def test_expired_coupon_is_refused_with_its_end_date():
    priced = price([line("a", "10.00")], coupons=[coupon("OLD", valid_to=NOW - timedelta(minutes=1))])
    assert priced.discount == 0
    assert priced.rejected[0].reason == "expired"
    assert "expired" in priced.rejected[0].message.en
    assert "已" in priced.rejected[0].message.zh or "过期" in priced.rejected[0].message.zh


def test_coupon_not_yet_valid_is_refused():
    priced = price([line("a", "10.00")], coupons=[coupon("SOON", valid_from=NOW + timedelta(hours=1))])
    assert priced.rejected[0].reason == "not_yet_valid"


def test_coupon_for_another_territory_is_refused():
    hk_only = coupon("HKONLY", territories=frozenset({"HK", "MO"}))
    assert price([line("a", "10.00")], coupons=[hk_only]).rejected[0].reason == "territory"
    in_hk = ShopperFacts(user_id=7, is_first_order=False, territory="hk")
    assert price([line("a", "10.00")], coupons=[hk_only], shopper=in_hk).coupon_discount == D("1.00")


def test_first_order_coupon_needs_a_first_order_and_a_login():
    first = coupon("HELLO", first_order_only=True)
    assert price([line("a", "10.00")], coupons=[first]).rejected[0].reason == "first_order_only"
    newcomer = ShopperFacts(user_id=7, is_first_order=True, territory="CN")
    assert price([line("a", "10.00")], coupons=[first], shopper=newcomer).coupon_discount == D("1.00")
    guest = ShopperFacts(user_id=None, is_first_order=True, territory="CN")
    assert price([line("a", "10.00")], coupons=[first], shopper=guest).rejected[0].reason == "login_required"


def test_used_up_and_already_used_coupons_are_refused():
    assert price([line("a", "10.00")], coupons=[coupon("GONE", remaining_uses=0)]).rejected[0].reason == "used_up"
    mine = coupon("MINE", remaining_user_uses=0, per_user_limited=True)
    assert price([line("a", "10.00")], coupons=[mine]).rejected[0].reason == "already_used"


def test_unknown_code_is_reported():
    priced = price([line("a", "10.00")], unknown=["NOPE"])
    assert priced.rejected[0].reason == "unknown"
    assert "NOPE" in priced.rejected[0].message.zh


def test_combinable_coupons_stack_in_priority_order():
    lines = [line("a", "100.00")]
    low = coupon("LOW", "fixed_amount", "10", priority=1)
    high = coupon("HIGH", value="50", priority=5)
    priced = price(lines, coupons=[low, high])
    # 50% of 100 first (50.00), then 10.00 off what is left.
    assert [a.code for a in priced.adjustments] == ["HIGH", "LOW"]
    assert priced.coupon_discount == D("60.00")
    flipped = price(lines, coupons=[coupon("LOW", "fixed_amount", "10", priority=9), high])
    # 10 off first, then 50% of 90 = 45.
    assert flipped.coupon_discount == D("55.00")


def test_exclusive_coupon_stands_alone_when_it_saves_more():
    lines = [line("course", "100.00", product=1, fmt="course"), line("book", "50.00", product=2)]
    offers = [cross_offer(1, trigger={1}, target={2}, percent="20")]  # 10.00
    vip = coupon("VIP", value="30", exclusive=True)  # 45.00 alone
    small = coupon("SMALL", "fixed_amount", "5")
    priced = price(lines, coupons=[vip, small], offers=offers)
    assert [a.code for a in priced.adjustments] == ["VIP"]
    assert priced.discount == D("45.00")
    reasons = {r.code: r.reason for r in priced.rejected}
    assert reasons == {"SMALL": "not_combinable"}
    assert "VIP" in priced.rejected[0].message.en


def test_exclusive_coupon_loses_to_offers_plus_combinable_coupons_when_they_save_more():
    lines = [line("course", "100.00", product=1, fmt="course"), line("book", "50.00", product=2)]
    offers = [cross_offer(1, trigger={1}, target={2}, percent="50")]  # 25.00
    vip = coupon("VIP", value="10", exclusive=True)  # 15.00
    small = coupon("SMALL", "fixed_amount", "5")
    priced = price(lines, coupons=[vip, small], offers=offers)
    assert priced.discount == D("30.00")
    assert {r.code for r in priced.rejected} == {"VIP"}


def test_two_exclusive_coupons_keep_the_better_one():
    lines = [line("a", "100.00")]
    priced = price(lines, coupons=[coupon("E1", value="10", exclusive=True), coupon("E2", value="20", exclusive=True)])
    assert priced.applied_codes == ["E2"]


def test_same_coupon_through_two_codes_counts_once():
    lines = [line("a", "100.00")]
    priced = price(lines, coupons=[coupon("A1", value="10", coupon_id=1), coupon("A2", value="10", coupon_id=1)])
    assert priced.applied_codes == ["A1"]
    assert priced.rejected[0].reason == "duplicate"


def test_malformed_cart_is_refused():
    with pytest.raises(ValueError, match="quantity"):
        price([line("a", "10.00", qty=0)])
    with pytest.raises(ValueError, match="cent"):
        price([line("a", "10.001")])


def test_many_offers_are_combined_greedily_and_deterministically():
    lines = [line(str(i), f"{10 + i}.00", product=i, owner=1) for i in range(12)]
    offers = [group_offer(100 + k, size=2 + k % 3, price=f"{15 + k}.00", owners={1}, priority=k % 4) for k in range(14)]
    first = price(lines, offers=offers)
    again = price(lines, offers=list(reversed(offers)))
    assert first.offer_discount > 0
    assert [(a.source_id, a.amount) for a in first.adjustments] == [(a.source_id, a.amount) for a in again.adjustments]
