from collections.abc import Iterator

import pytest
from django.core.cache import cache

from tests.factories.storefront import ShopWorld, shop_world


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts from an empty cache: the storefront caches listings under the catalogue
    version, and a rolled-back test leaves entries that name rows which no longer exist."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db: None) -> ShopWorld:
    return shop_world()
