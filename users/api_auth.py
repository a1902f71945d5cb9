"""Authentication and permissions for partner systems.

A partner system sends ``Authorization: Api-Key zq_<prefix>_<secret>``. The
request's ``user`` is then a :class:`PartnerPrincipal` (not a person) and
``request.auth`` the :class:`PartnerApiKey`. Views state the scopes they need
in ``required_scopes``; :class:`HasScopes` checks them.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from users.models import Partner, PartnerApiKey
from users.services import api_key_hash

HEADER_KEYWORD = "Api-Key"


class PartnerPrincipal(AnonymousUser):
    """The acting identity of a request made with a partner API key."""

    def __init__(self, key: PartnerApiKey) -> None:
        super().__init__()
        self.api_key = key
        self.partner: Partner = key.partner
        # Throttles and logs identify the caller by pk; keep keys apart.
        self.pk = self.id = f"apikey:{key.prefix}"  # type: ignore[assignment]

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class PartnerApiKeyAuthentication:
    def authenticate_header(self, request: Request) -> str:
        return HEADER_KEYWORD

    def authenticate(self, request: Request) -> tuple[PartnerPrincipal, PartnerApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _sep, raw = header.partition(" ")
        if keyword != HEADER_KEYWORD:
            return None
        raw = raw.strip()
        parts = raw.split("_", 2)
        if len(parts) != 3 or parts[0] != "zq":
            raise exceptions.AuthenticationFailed(_("Malformed API key."))
        key = PartnerApiKey.objects.select_related("partner").filter(prefix=parts[1]).first()
        if key is None or not hmac.compare_digest(key.key_hash, api_key_hash(raw)):
            raise exceptions.AuthenticationFailed(_("Invalid API key."))
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        if key.expires_at is not None and key.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        if not key.partner.is_active:
            raise exceptions.AuthenticationFailed(_("The partner of this API key is not active."))
        # Cheap enough; a coarse stamp is all anyone needs.
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            PartnerApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return PartnerPrincipal(key), key


def request_partner_key(request: Request) -> PartnerApiKey | None:
    return request.auth if isinstance(request.auth, PartnerApiKey) else None


class HasScopes(permissions.BasePermission):
    """Partner keys need every scope in the view's ``required_scopes``; people pass through
    (their access is checked against their memberships by the view's selector)."""

    message = _("This API key lacks the scope this operation needs.")

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request_partner_key(request)
        if key is None:
            return bool(request.user and request.user.is_authenticated)
        required = set(getattr(view, "required_scopes", ()))
        if not required:
            # An operation that names no scope is not open to partner keys.
            return False
        return required.issubset(set(key.scopes))


class PeopleOnly(permissions.BasePermission):
    """For operations a person does for themselves, never a partner system."""

    message = _("This operation is not available to API keys.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_partner_key(request) is None and bool(request.user and request.user.is_authenticated)


class PartnerApiKeyRateThrottle(SimpleRateThrottle):
    scope = "partner_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = request_partner_key(request)
        if key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.prefix}


class AuthRateThrottle(SimpleRateThrottle):
    """Limits login, registration and password-reset attempts per client address."""

    scope = "auth"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PartnerApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "users.api_auth.PartnerApiKeyAuthentication"
    name = "partnerApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key zq_<prefix>_<secret>`, issued to a partner with scopes.",
        }
