"""Catalogue API at 100 and 1,000 products: listing, search and a product page; time and SQL queries.

Each size is generated into a fresh, migrated SQLite database in a temporary
folder (the configured database is left alone when it is SQLite; otherwise
the configured database is used and the generated rows stay until it is
reset). Every product has a contributor, topics and, for courses, 12 lessons;
books have 10 chapters. The reference is the same request at 100 products,
measured in the same run: the ratio shows how a request grows with the
catalogue, and the query count (in each figure's name) must not grow at all.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import Figure, median_time

SIZES = (100, 1_000)
REQUESTS = {
    "list (page of 100)": "/api/v1/catalog/products/?page_size=100",
    "list filtered and ordered by price": "/api/v1/catalog/products/?page_size=100&kind=book&ordering=price",
    "search q=Product": "/api/v1/catalog/products/?page_size=100&q=Product",
    "product page (course, 12 lessons)": "/api/v1/catalog/products/{course}/",
}


@contextlib.contextmanager
def _fresh_database(folder: Path, name: str) -> Iterator[None]:
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "sqlite":
        yield
        return
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = str(folder / f"{name}.sqlite3")
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


def _catalogue(size: int) -> str:
    """``size`` sellable products, half books and half courses; returns a course's slug."""
    from django.db import transaction

    from tests.factories.catalog import rich_book, rich_course

    course_slug = ""
    with transaction.atomic():
        course_slug = _generate(size, rich_book, rich_course)
    return course_slug


def _generate(size: int, rich_book: Any, rich_course: Any) -> str:
    course_slug = ""
    for i in range(size // 2):
        rich_book(chapters=10, topics=2)
        course_slug = rich_course(lessons=12).product.slug
        if i % 100 == 99:
            print(f"   … {2 * (i + 1)} of {size} products", flush=True)
    return course_slug


def _measure(size: int) -> dict[str, tuple[float, int]]:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    course = _catalogue(size)
    client = Client(SERVER_NAME="localhost")
    results: dict[str, tuple[float, int]] = {}
    for label, url in REQUESTS.items():
        path = url.format(course=course)

        def get(path: str = path) -> None:
            response = client.get(path)
            assert response.status_code == 200, response.content[:200]

        get()
        # The query log is a bounded deque that generating the catalogue has filled.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            get()
        results[label] = (median_time(get, repeats=9), len(queries.captured_queries))
    return results


def run() -> list[Figure]:
    measured: dict[int, dict[str, tuple[float, int]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            with _fresh_database(Path(folder), f"catalog_api_{size}"):
                measured[size] = _measure(size)
    small, large = SIZES
    figures = []
    for label in REQUESTS:
        reference, reference_queries = measured[small][label]
        seconds, queries = measured[large][label]
        figures.append(Figure(f"{label} at {small} products ({reference_queries} queries; reference)", reference))
        figures.append(Figure(f"{label} at {large} products ({queries} queries)", seconds, reference_s=reference))
    return figures
