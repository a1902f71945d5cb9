"""Every operation of the API, fuzzed from its own OpenAPI document by schemathesis, as an
anonymous visitor, a logged-in shopper (session and CSRF token) and a partner system whose
key holds every scope. No answer may be a server error or differ from what the document
promises. Bounded here (``FUZZ_EXAMPLES``, derandomised); ``make fuzz`` runs it long."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.quality.conftest import Side, World, session_credentials
from tests.quality.fuzzing import (
    FUZZ_EXAMPLES,
    LONG_RUN_FROM,
    openapi_document,
    requests_inside_the_test_transaction,
    wsgi_application,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

schema = schemathesis.openapi.from_dict(openapi_document())
schema.app = wsgi_application

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

# Hypothesis's explicit phase carries schemathesis's coverage cases (every boundary of every
# parameter: hundreds of requests for a large body); only the long run affords them.
PHASES = [Phase.explicit, Phase.generate] if FUZZ_EXAMPLES > LONG_RUN_FROM else [Phase.generate]

fuzz_settings = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=PHASES,
    suppress_health_check=list(HealthCheck),
)


def _aim_at_real_objects(case: Any, side: Side) -> None:
    """Random slugs only ever find nothing; point half the cases at the caller's own
    partner and product so that the fuzzed bodies reach the code behind the lookup."""
    params = case.path_parameters or {}
    if not params or hash(repr(sorted(params.items()))) % 2:
        return
    path = case.operation.path
    if "slug" in params:
        if path.startswith("/api/v1/partners/{slug}"):
            params["slug"] = side.partner.slug
        elif path.startswith("/api/v1/catalog/products/{slug}"):
            params["slug"] = side.product.slug
    if "product_slug" in params:
        params["product_slug"] = side.product.slug
    if "product_id" in params:
        params["product_id"] = side.product.pk


def _call(case: Any, **kwargs: Any) -> None:
    with requests_inside_the_test_transaction():
        case.call_and_validate(checks=CHECKS, **kwargs)


@schema.parametrize()
@fuzz_settings
def test_anonymous_visitor_never_gets_a_server_error_or_an_undocumented_answer(case: Any, world: World) -> None:
    _call(case)


@schema.parametrize()
@fuzz_settings
def test_logged_in_shopper_never_gets_a_server_error_or_an_undocumented_answer(case: Any, world: World) -> None:
    cookies, headers = session_credentials(world.shopper)
    _aim_at_real_objects(case, world.a)
    _call(case, headers=headers, cookies=cookies)


@schema.parametrize()
@fuzz_settings
def test_partner_key_never_gets_a_server_error_or_an_undocumented_answer(case: Any, world: World) -> None:
    _aim_at_real_objects(case, world.a)
    _call(case, headers=world.a.key_header)
