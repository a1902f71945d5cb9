"""The partner portal's sections.

Apps above ``users`` own the portal pages for their data (catalogue uploads,
statements, audiences) and register a link here from ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

from users.models import Partner


@dataclass(frozen=True)
class PortalSection:
    title: str | Promise
    url_name: str
    applies_to: Callable[[Partner], bool] = lambda partner: True


_SECTIONS: list[PortalSection] = []


def portal_section_register(section: PortalSection) -> None:
    if all(s.url_name != section.url_name for s in _SECTIONS):
        _SECTIONS.append(section)


def sections_for(*, partner: Partner) -> list[tuple[str | Promise, str]]:
    return [(s.title, reverse(s.url_name, kwargs={"slug": partner.slug})) for s in _SECTIONS if s.applies_to(partner)]
