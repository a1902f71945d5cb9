"""The partner portal's statements, as a partner's staff see them: the list with its charts of
earnings by month and by format, and one statement with its lines, at desktop and phone widths in
both languages (``make screenshots`` writes them to var/screenshots/)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE, check_and_shoot, login, new_page
from tests.factories import MembershipFactory, UserFactory
from tests.factories.settlements import settled_publisher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every label and figure of each chart, measured by the browser's own text layout, that is drawn
# outside the chart's view box.
TEXT_OUTSIDE_CHARTS = """() => [...document.querySelectorAll('svg.chart')].flatMap(svg => {
    const box = svg.viewBox.baseVal;
    return [...svg.querySelectorAll('text')].map(t => t.getBBox())
        .filter(b => b.x < box.x || b.x + b.width > box.x + box.width)
        .map(b => [b.x, b.width]);
})"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("width_name", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots_of_the_partner_statements(chromium, live_server, password, language, width_name, viewport):
    press, (november, _october) = settled_publisher()
    member = MembershipFactory(partner=press, user=UserFactory(email="finance@citic.example")).user

    page = new_page(chromium, live_server, language=language, viewport=viewport)
    login(page, live_server, member.email, password)

    page.goto(f"{live_server.url}/partner/{press.slug}/statements/")
    charts = page.locator("svg.chart")
    assert charts.count() == 2
    # One bar per approved month, and one per format sold (ebook, print, course).
    assert charts.nth(0).locator("rect").count() == 2
    assert charts.nth(1).locator("rect").count() == 3
    assert page.locator("table tbody tr").count() == 2
    assert page.evaluate(TEXT_OUTSIDE_CHARTS) == []
    check_and_shoot(page, "portal-statements", language, width_name, viewport)

    page.click(f"a[href$='/statements/{november.pk}/']")
    page.wait_for_url(f"**/statements/{november.pk}/")
    assert str(november.payable) in page.inner_text("main")
    check_and_shoot(page, "portal-statement", language, width_name, viewport)
    page.context.close()
