"""Hooks that higher apps fill from their ``AppConfig.ready()``; promotions never imports them.

``first_order_resolver_register(fn)``: commerce registers ``fn(user) -> bool``,
true when the user has no paid order yet. Without one, nobody counts as a
first-time buyer (a first-order coupon is never granted by mistake).
"""

from __future__ import annotations

from collections.abc import Callable

from users.models import User

FirstOrderResolver = Callable[[User], bool]
_first_order: list[FirstOrderResolver] = []


def first_order_resolver_register(resolver: FirstOrderResolver) -> None:
    _first_order[:] = [resolver]


def user_is_first_order(user: User | None) -> bool:
    if user is None or not user.is_authenticated or not _first_order:
        return False
    return bool(_first_order[0](user))
