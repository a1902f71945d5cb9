"""Conversion funnels for platform staff."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.models import OrderLine
from commerce.services import RefundTarget, refund_create
from insights.funnels import funnel_report
from insights.models import Event
from tests.factories import PartnerFactory, UserFactory
from tests.factories.catalog import sellable_book
from tests.factories.commerce import order_paid_for

pytestmark = pytest.mark.django_db


def _world() -> tuple:  # type: ignore[type-arg]
    partner, other = PartnerFactory(name="甲出版社"), PartnerFactory(name="乙出版社")
    book = sellable_book(owner=partner, price="40.00")
    other_book = sellable_book(owner=other, price="60.00")
    viewers = UserFactory.create_batch(4)
    Event.objects.bulk_create(
        [Event(kind=Event.Kind.VIEW, user=u, product=book.product, context={"utm_source": "wechat"}) for u in viewers]
        + [Event(kind=Event.Kind.VIEW, anonymous_id=f"v{i}", product=book.product) for i in range(4)]
        + [Event(kind=Event.Kind.ADD_TO_CART, user=viewers[0], product=book.product)]
    )
    first = order_paid_for(viewers[0], book)
    order_paid_for(viewers[1], book)
    order_paid_for(viewers[2], other_book)
    refund_create(
        order=first,
        reason="不需要了",
        idempotency_key="r1",
        requested_by=viewers[0],
        targets=[RefundTarget(line=first.lines.get())],
    )
    OrderLine.objects.filter(order=first).update(attribution={"utm": {"utm_source": "wechat"}})
    return partner, other


def test_funnel_by_partner_gives_conversion_average_order_value_and_refund_rate() -> None:
    partner, other = _world()
    today = timezone.localdate()
    report = funnel_report(dimension="partner", date_from=today, date_to=today)
    rows = {row.label: row for row in report.rows}
    mine = rows[partner.name]
    assert (mine.reached, mine.carted, mine.orders) == (8, 1, 2)
    assert mine.revenue == Decimal("80.00")
    assert mine.conversion_rate == Decimal("0.2500")
    assert mine.average_order_value == Decimal("40.00")
    assert mine.refund_rate == Decimal("0.5000")
    assert rows[other.name].orders == 1
    assert rows[other.name].conversion_rate is None  # nobody was seen viewing it
    assert sum(point.orders for point in report.series) == 3


def test_funnel_by_channel_reads_utm_from_events_and_order_lines() -> None:
    _world()
    today = timezone.localdate()
    report = funnel_report(dimension="channel", date_from=today, date_to=today, key="wechat")
    rows = {row.key: row for row in report.rows}
    assert rows["wechat"].reached == 4
    assert rows["wechat"].orders == 1
    assert rows[""].orders == 2
    assert [point.orders for point in report.series] == [1]


def test_staff_see_the_funnel_page_with_a_chart_and_others_do_not(client) -> None:  # type: ignore[no-untyped-def]
    _world()
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    page = client.get("/staff/insights/funnels/?dimension=partner")
    assert page.status_code == 200
    assert "data:image/svg+xml;base64," in page.content.decode()
    client.force_login(UserFactory())
    assert client.get("/staff/insights/funnels/").status_code == 302
