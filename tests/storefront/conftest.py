import pytest

from tests.factories.storefront import ShopWorld, shop_world


@pytest.fixture
def world(db: None) -> ShopWorld:
    return shop_world()
