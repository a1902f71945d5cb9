"""The partner portal's sections and the shopper's account menu.

Apps above ``users`` own the portal pages for their data (catalogue uploads,
statements, audiences) and register a link here from ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

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


@dataclass(frozen=True)
class AccountLink:
    """A page in the shopper's account menu, owned by an app above ``users``."""

    key: str
    title: str | Promise
    url_name: str


_ACCOUNT_LINKS: list[AccountLink] = [
    AccountLink(key="profile", title=_("Profile"), url_name="users:profile"),
    AccountLink(key="consents", title=_("Data sharing"), url_name="users:consents"),
]


def account_link_register(link: AccountLink) -> None:
    if all(existing.key != link.key for existing in _ACCOUNT_LINKS):
        _ACCOUNT_LINKS.append(link)


def account_links() -> list[tuple[str, str | Promise, str]]:
    """(key, title, url) of every account page, in registration order."""
    return [(link.key, link.title, reverse(link.url_name)) for link in _ACCOUNT_LINKS]
