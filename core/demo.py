"""A registry of demo-data loaders, one per app, run in the order of the apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

DemoLoader = Callable[..., Any]
_LOADERS: dict[str, DemoLoader] = {}


def demo_loader_register(*, app_label: str, loader: DemoLoader) -> None:
    _LOADERS[app_label] = loader


def demo_loaders() -> list[tuple[str, DemoLoader]]:
    order = {label: i for i, label in enumerate(settings.DOMAIN_APPS)}
    return sorted(_LOADERS.items(), key=lambda item: order.get(item[0], len(order)))
