"""The partner portal's statements, as a partner's staff see them: the list with its charts of
earnings by month and by format, and one statement with its lines, at desktop and phone widths in
both languages (``make screenshots`` writes them to var/screenshots/)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from settlements.models import Statement
from settlements.services.runs import settlement_run_create, settlement_run_transition
from tests.browser.conftest import DESKTOP, PHONE, new_page
from tests.browser.test_screenshots import _check_and_shoot, _login
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.factories.catalog import bundle_of, sellable_book, sellable_course
from tests.factories.settlements import at, contract_for, paid_order, rule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _settled_partner() -> tuple[object, Statement]:
    """A publisher with an ebook, a hardcover and a course, sold over two approved months."""
    press = PartnerFactory(name="中信出版社", slug="citic-press")
    contract_for(
        press,
        rule("ebook", 70),
        rule("print", (0, 10), (3, "12.5"), (6, 15)),
        rule("course", 40),
        basis="list",
        reserve_rate=D("20"),
        reserve_periods=2,
        withholding_rate=D("3"),
    )
    ebook = sellable_book(title="原则", price="68.00", owner=press)
    hardcover = sellable_book(title="原则（精装）", price="98.00", fmt="print", owner=press)
    course = sellable_course(title="原则精讲", price="199.00", owner=press)
    bundle = bundle_of(course, ebook, price="229.00", title="原则课书同读", owner=press)
    for month, sales in ((10, 4), (11, 7)):
        for day in range(1, sales + 1):
            paid_order(ebook, hardcover, paid_at=at(date(2026, month, day)))
        paid_order(bundle, paid_at=at(date(2026, month, 20)))
        run = settlement_run_create(period_start=date(2026, month, 1), period_end=date(2026, month, 30 + (month == 10)))
        for state in ("reviewed", "approved"):
            settlement_run_transition(run=run, to_state=state)
    return press, Statement.objects.get(partner=press, period_start=date(2026, 11, 1))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("width_name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_partner_statements(chromium, live_server, password, language, width_name, viewport):
    press, november = _settled_partner()
    member = MembershipFactory(partner=press, user=UserFactory(email="finance@citic.example")).user

    page = new_page(chromium, live_server, language=language, viewport=viewport)
    _login(page, live_server, member.email, password)

    page.goto(f"{live_server.url}/partner/{press.slug}/statements/")
    charts = page.locator("svg.chart")
    assert charts.count() == 2
    # One bar per approved month, and one per format sold (ebook, print, course).
    assert charts.nth(0).locator("rect").count() == 2
    assert charts.nth(1).locator("rect").count() == 3
    assert page.locator("table tbody tr").count() == 2
    # Every label and figure is drawn inside its chart, measured by the browser's own text layout.
    outside = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart')].flatMap(svg => {
            const box = svg.viewBox.baseVal;
            return [...svg.querySelectorAll('text')].map(t => t.getBBox())
                .filter(b => b.x < box.x || b.x + b.width > box.x + box.width)
                .map(b => [b.x, b.width]);
        })"""
    )
    assert outside == []
    _check_and_shoot(page, "portal-statements", language, width_name, viewport)

    page.click(f"a[href$='/statements/{november.pk}/']")
    page.wait_for_url(f"**/statements/{november.pk}/")
    assert str(november.payable) in page.inner_text("main")
    _check_and_shoot(page, "portal-statement", language, width_name, viewport)
    page.context.close()
