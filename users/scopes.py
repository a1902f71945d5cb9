"""The scopes a partner API key can carry.

Apps above ``users`` register the scopes their endpoints require from their
``AppConfig.ready()``; this module never imports them.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_SCOPES: dict[str, str | Promise] = {
    "partner:read": _("Read the partner's own organisation and members"),
}


def scope_register(*, name: str, description: str | Promise) -> None:
    if ":" not in name:
        raise ValueError(f"scope {name!r} must look like 'resource:action'")
    _SCOPES[name] = description


def scope_choices() -> list[tuple[str, str | Promise]]:
    return sorted(_SCOPES.items())


def scope_is_known(name: str) -> bool:
    return name in _SCOPES
