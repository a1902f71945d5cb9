from collections.abc import Iterator

import pytest
from django.core.cache import cache

from storefront.cache import cache_state_reset
from tests.factories.storefront import ShopWorld, shop_world


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts from an empty cache: the storefront caches listings under the catalogue
    version, and a rolled-back test leaves entries that name rows which no longer exist."""
    cache_state_reset()
    cache.clear()
    yield
    cache.clear()
    cache_state_reset()


@pytest.fixture
def world(db: None) -> ShopWorld:
    return shop_world()
