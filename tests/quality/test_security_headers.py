"""Security headers on every kind of response, and the pages still working under the Content
Security Policy in a real browser (headless Chromium reports every violation)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from settlements.models import Statement
from settlements.services.runs import settlement_run_create, settlement_run_transition
from tests.browser.conftest import new_page
from tests.factories import MembershipFactory, UserFactory
from tests.factories.settlements import at, contract_for, paid_order, rule
from tests.factories.storefront import shop_world


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/v1/catalog/products/", "/accounts/login/", "/healthz", "/no-such-page/"])
def test_every_response_carries_the_security_headers(client: Client, path: str) -> None:
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_login_form_is_refused_without_its_csrf_token(password: str) -> None:
    user = UserFactory()
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("users:login"), {"username": user.email, "password": password})
    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session


@pytest.mark.django_db
def test_the_api_refuses_a_session_write_without_the_csrf_token() -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(UserFactory())
    response = browser.patch("/api/v1/me/", {"display_name": "x"}, content_type="application/json")
    assert response.status_code == 403


# --- In the browser ------------------------------------------------------------------------------

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  const where = (e.sourceFile || '') + ':' + e.lineNumber;
  window.__csp.push([e.violatedDirective, e.blockedURI || 'inline', where].join(' '));
});
"""


def _visit(page: Any, url: str, *, wait_for: str | None = None) -> list[str]:
    """The violations while loading ``url`` and, where ``wait_for`` names a select box, while
    choosing its last option (inline handlers are only refused when they would run)."""
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if wait_for and wait_for.startswith("select"):
        last = page.eval_on_selector(wait_for, "s => s.options[s.options.length - 1].value")
        page.select_option(wait_for, last)
        page.wait_for_load_state("networkidle")
    elif wait_for:
        page.wait_for_selector(wait_for)
    # Violation events and console reports arrive after the action that caused them.
    page.wait_for_timeout(500)
    return list(page.evaluate("window.__csp")) + console


def _statement_world() -> tuple[Any, Any, Statement]:
    world = shop_world()
    owner = MembershipFactory(partner=world.partner).user
    contract_for(world.partner, rule("ebook", 70), basis="list")
    paid_order(world.ebook, paid_at=at(date(2025, 1, 9)))
    run = settlement_run_create(period_start=date(2025, 1, 1), period_end=date(2025, 1, 31))
    for state in ("reviewed", "approved"):
        settlement_run_transition(run=run, to_state=state)
    return world, owner, Statement.objects.get(partner=world.partner)


def _browse(browser: Any, live_server: Any, password: str, user: Any, paths: list, login_path: str) -> dict:
    page = new_page(browser, live_server, language="en")
    page.add_init_script(COLLECT_VIOLATIONS)
    found = {}
    if user is not None:
        page.goto(f"{live_server.url}{login_path}")
        page.fill("input[name=username]", user.email)
        page.fill("input[name=password]", password)
        page.click("form:has(input[name=password]) [type=submit]")
        page.wait_for_load_state("networkidle")
    for path, selector in paths:
        violations = _visit(page, f"{live_server.url}{path}", wait_for=selector)
        if violations:
            found[path] = violations
    page.context.close()
    return found


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_storefront_admin_portal_and_api_docs_run_under_the_policy(chromium, live_server, password):
    world, owner, statement = _statement_world()
    staff = UserFactory(is_staff=True, is_superuser=True)

    product = world.ebook.product
    problems = _browse(
        chromium,
        live_server,
        password,
        None,
        [
            ("/", None),
            (product.get_absolute_url(), None),
            ("/search/?q=%E5%BF%83%E7%90%86", None),
            ("/api/docs/", ".swagger-ui .info"),
        ],
        "",
    )
    problems |= _browse(
        chromium,
        live_server,
        password,
        owner,
        [
            (reverse("users:portal-partner", args=[world.partner.slug]), None),
            (reverse("settlements:portal-statement", args=[world.partner.slug, statement.pk]), None),
        ],
        reverse("users:login"),
    )
    problems |= _browse(
        chromium,
        live_server,
        password,
        staff,
        [("/admin/", None), ("/admin/catalog/product/add/", None)],
        "/admin/login/",
    )
    assert not problems, problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_choosing_a_statement_line_kind_runs_under_the_policy(chromium, live_server, password):
    world, owner, statement = _statement_world()
    url = reverse("settlements:portal-statement", args=[world.partner.slug, statement.pk])
    problems = _browse(chromium, live_server, password, owner, [(url, "select#kind")], reverse("users:login"))
    assert not problems, problems
