"""The partner isolation matrix.

Every page of the partner portal and every API operation a partner user or a partner key can
reach is tried against partner B's objects with partner A's credentials (A's owner in a browser
session, A's key with every scope) and with no credentials at all. Each must refuse (401, 403 or
404; a browser without a session is sent to the login page) and no answer may carry B's
identifiers. The table is checked against the URL resolver and the OpenAPI document: an endpoint
that is added without a row here fails ``test_every_partner_endpoint_has_a_row_in_the_matrix``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from catalog.ingest.services import import_job_create
from insights.ad_audiences import ad_audience_save, criteria_build
from settlements.models import Contract, Statement
from settlements.services.runs import settlement_run_create, settlement_run_transition
from tests.factories.privacy import consenting_user
from tests.factories.promotions import CampaignFactory, CampaignPartnerFactory
from tests.factories.settlements import at, contract_for, paid_order, rule
from tests.quality.conftest import World
from tests.quality.fuzzing import openapi_document
from users.models import Consent

pytestmark = pytest.mark.django_db

PARTNER_PREFIXES = ("/partner/", "/api/v1/partners/", "/api/v1/partner/")
REFUSED = {401, 403, 404}


@dataclass
class Victim:
    """Partner B's objects, by the path parameter that names them, and what must never leak."""

    params: dict[str, Any]
    secrets: list[str]


# Each row: the path (path parameters as ``{name}``), the methods to try, and whether the
# address names one of B's objects (then A must be refused) or only ever shows the caller's
# own partner (then A may be answered, but never with B's data).
@dataclass(frozen=True)
class Row:
    methods: tuple[str, ...]
    names_victim: bool = True


HTML_ROWS: dict[str, Row] = {
    "/partner/": Row(("GET",), names_victim=False),
    "/partner/catalog/": Row(("GET",), names_victim=False),
    "/partner/{slug}/": Row(("GET",)),
    "/partner/{slug}/api-keys/": Row(("POST",)),
    "/partner/{slug}/api-keys/{key_id}/revoke/": Row(("POST",)),
    "/partner/{slug}/catalog/": Row(("GET", "POST")),
    "/partner/{slug}/catalog/imports/{job_id}/": Row(("GET",)),
    "/partner/{slug}/catalog/imports/{job_id}/progress/": Row(("GET",)),
    "/partner/{slug}/catalog/imports/{job_id}/errors.csv": Row(("GET",)),
    "/partner/{slug}/catalog/export.csv": Row(("GET",)),
    "/partner/{slug}/catalog/template.csv": Row(("GET",)),
    "/partner/{slug}/statements/": Row(("GET",)),
    "/partner/{slug}/statements/{statement_id}/": Row(("GET",)),
    "/partner/{slug}/statements/{statement_id}/csv/": Row(("GET",)),
    "/partner/{slug}/statements/{statement_id}/pdf/": Row(("GET",)),
    "/partner/{slug}/audience/": Row(("GET", "POST")),
    "/partner/{slug}/audience/share/": Row(("GET", "POST")),
    "/partner/{slug}/audience/share/notices/": Row(("POST",)),
    "/partner/{slug}/audience/ads/": Row(("GET", "POST")),
    "/partner/{slug}/audience/ads/{audience_id}/export/": Row(("POST",)),
    "/partner/{slug}/campaigns/": Row(("GET",)),
    "/partner/{slug}/campaigns/{campaign_slug}/": Row(("GET",)),
}

# API rows: the methods come from the OpenAPI document.
API_ROWS: dict[str, Row] = {
    "/api/v1/partners/": Row((), names_victim=False),
    "/api/v1/partners/{slug}/": Row(()),
    "/api/v1/partners/{slug}/members/": Row(()),
    "/api/v1/partners/{slug}/api-keys/": Row(()),
    "/api/v1/partners/{slug}/api-keys/{key_id}/revoke/": Row(()),
    "/api/v1/partners/{slug}/catalog/products/": Row(()),
    "/api/v1/partners/{slug}/catalog/products/{product_slug}/": Row(()),
    "/api/v1/partners/{slug}/catalog/products/{product_slug}/publish/": Row(()),
    "/api/v1/partners/{slug}/catalog/products/{product_slug}/withdraw/": Row(()),
    "/api/v1/partner/catalog/imports/": Row((), names_victim=False),
    "/api/v1/partner/catalog/imports/{job_id}/": Row(()),
    "/api/v1/partner/catalog/imports/{job_id}/errors.csv": Row(()),
    "/api/v1/partners/{slug}/audience-insights/": Row(()),
    "/api/v1/partners/{slug}/audience-insights/budget/": Row(()),
    "/api/v1/partners/{slug}/shares/": Row(()),
    "/api/v1/partners/{slug}/deletion-notices/": Row(()),
    "/api/v1/partners/{slug}/deletion-notices/acknowledge/": Row(()),
    "/api/v1/partners/{slug}/ad-audiences/": Row(()),
    "/api/v1/partners/{slug}/ad-audiences/{audience_id}/export/": Row(()),
    "/api/v1/partners/{slug}/campaigns/": Row(()),
    "/api/v1/partners/{slug}/campaigns/{campaign_slug}/": Row(()),
    "/api/v1/partners/{slug}/campaigns/{campaign_slug}/report/": Row(()),
    "/api/v1/partners/{slug}/contracts/": Row(()),
    "/api/v1/partners/{slug}/contracts/{number}/": Row(()),
    "/api/v1/partners/{slug}/contracts/{number}/versions/": Row(()),
    "/api/v1/partners/{slug}/statements/": Row(()),
    "/api/v1/partners/{slug}/statements/{statement_id}/": Row(()),
    "/api/v1/partners/{slug}/statements/{statement_id}/lines/": Row(()),
    # Operations outside the partner prefixes that partner keys reach (they name required_scopes).
    "/api/v1/events/": Row((), names_victim=False),
    "/api/v1/recommendations/users/{user_id}": Row(()),
}


# --- Enumerating what exists -----------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _as_template(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def _view_class(pattern: URLPattern) -> type | None:
    callback = pattern.callback
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def partner_reachable_routes() -> dict[str, URLPattern]:
    """Every resolver path under the partner prefixes, and every view that names the scopes a
    partner key needs (wherever it is mounted)."""
    found = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        path = _as_template(route)
        view = _view_class(pattern)
        if path.startswith(PARTNER_PREFIXES) or (view is not None and hasattr(view, "required_scopes")):
            found[path] = pattern
    return found


def partner_reachable_operations() -> dict[str, list[str]]:
    document = openapi_document()
    api_paths = {p for p in partner_reachable_routes() if p.startswith("/api/")}
    return {
        path: sorted(m.upper() for m in operations if m in {"get", "post", "put", "patch", "delete"})
        for path, operations in document["paths"].items()
        if path.startswith(PARTNER_PREFIXES) or path in api_paths
    }


def test_every_partner_endpoint_has_a_row_in_the_matrix() -> None:
    routes = partner_reachable_routes()
    operations = partner_reachable_operations()
    table = set(HTML_ROWS) | set(API_ROWS)
    missing = sorted((set(routes) | set(operations)) - table)
    assert not missing, f"partner endpoints with no row in the isolation matrix: {missing}"
    stale = sorted(table - set(routes))
    assert not stale, f"rows for addresses that no longer exist: {stale}"
    assert not set(operations) - set(API_ROWS), "API operations must be API rows"


# --- B's world -----------------------------------------------------------------------------------


@pytest.fixture
def victim(world: World) -> Victim:
    b = world.b
    job, _created = import_job_create(
        partner=b.partner,
        upload=SimpleUploadedFile("borealis-spring-list.csv", b"title\nx\n", content_type="text/csv"),
        file_format="csv",
        valid_only=False,
        source="api",
        created_by=b.owner,
        enqueue=False,
    )
    campaign = CampaignFactory(name="北极光秘密活动", name_en="Borealis secret campaign", slug="borealis-secret")
    CampaignPartnerFactory(campaign=campaign, partner=b.partner)
    audience = ad_audience_save(
        partner=b.partner,
        name="Borealis lookalike seed",
        criteria=criteria_build(partner=b.partner, data={"purchased_products": [b.product.slug]}),
        user=b.owner,
    )
    for side in (world.a, world.b):
        contract_for(side.partner, rule("ebook", 70), basis="list")
        paid_order(side.variant, paid_at=at(date(2025, 1, 9)))
    run = settlement_run_create(period_start=date(2025, 1, 1), period_end=date(2025, 1, 31))
    for state in ("reviewed", "approved"):
        settlement_run_transition(run=run, to_state=state)
    contract = Contract.objects.get(partner=b.partner)
    statement = Statement.objects.get(partner=b.partner)
    fan = consenting_user(b.partner, purpose=Consent.Purpose.PERSONAL_DATA_TRANSFER)
    return Victim(
        params={
            "slug": b.partner.slug,
            "key_id": b.key.pk,
            "product_slug": b.product.slug,
            "job_id": job.pk,
            "campaign_slug": campaign.slug,
            "audience_id": audience.pk,
            "number": contract.number,
            "statement_id": statement.pk,
            "user_id": fan.pk,
        },
        secrets=[
            b.partner.name,
            b.owner.email,
            b.product.title,
            b.key.prefix,
            campaign.name,
            campaign.name_en,
            audience.name,
            job.original_name,
            contract.title,
            fan.email,
        ],
    )


def _fill(path: str, params: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), path)


def _login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("users:login"))


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _cases() -> list[tuple[str, str, bool, bool]]:
    operations = partner_reachable_operations()
    cases = [(path, method, False, row.names_victim) for path, row in HTML_ROWS.items() for method in row.methods]
    cases += [
        (path, method, True, row.names_victim) for path, row in API_ROWS.items() for method in operations.get(path, [])
    ]
    return cases


Caller = Callable[[World], Client]
CALLERS: dict[str, Caller] = {
    "other-partner-owner": lambda w: _logged_in(w),
    "other-partner-key": lambda w: Client(HTTP_AUTHORIZATION=f"Api-Key {w.a.raw_key}"),
    "no-credentials": lambda w: Client(),
}


def _logged_in(world: World) -> Client:
    client = Client()
    client.force_login(world.a.owner)
    return client


@pytest.mark.parametrize("caller", list(CALLERS))
def test_partner_b_is_invisible_to_partner_a_and_to_strangers(world: World, victim: Victim, caller: str) -> None:
    client = CALLERS[caller](world)
    problems = []
    for path, method, is_api, names_victim in _cases():
        url = _fill(path, victim.params)
        kwargs: dict[str, Any] = {"content_type": "application/json", "data": "{}"} if method != "GET" else {}
        response = getattr(client, method.lower())(url, **kwargs)
        status = response.status_code
        body = _body(response)
        leaked = [s for s in victim.secrets if s and s in body]
        if leaked:
            problems.append(f"{method} {url}: {status} leaks {leaked}")
        refused = status in REFUSED or (not is_api and _login_redirect(response))
        if caller == "no-credentials" or names_victim:
            if not refused:
                problems.append(f"{method} {url}: answered {status}, expected 401/403/404")
        elif status >= 500:
            problems.append(f"{method} {url}: server error {status}")
    assert not problems, "\n".join(problems)
