from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    """Service errors are read in English here; the Chinese catalogue has tests of its own."""
    with translation.override("en"):
        yield
