"""What the API fuzz tests share: the project's own OpenAPI document, the application
as a WSGI callable inside the test's transaction, and real path parameters."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

# Examples per operation and context: small in ``make test``, large in ``make fuzz``
# (API_FUZZ_EXAMPLES there; FUZZ_EXAMPLES, which the property tests read, is also honoured).
FUZZ_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES") or os.environ.get("FUZZ_EXAMPLES") or "8")
LONG_RUN_FROM = 50


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The document ``/api/schema/`` serves, built without a request (no database needed
    while tests are being collected). Built once per test run; callers must not change it."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


@contextmanager
def requests_inside_the_test_transaction() -> Iterator[None]:
    """A real WSGI server closes stale connections around every request; inside a test that
    would close the connection holding the test's transaction, as Django's test client knows."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


wsgi_application = WSGIHandler()
