"""Reads for accounts, partners and consent."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from users.models import Consent, Membership, Partner, PartnerApiKey, User


def partner_list_for_user(*, user: User) -> QuerySet[Partner]:
    """Partners the user is a member of (platform staff see all)."""
    if user.is_staff:
        return Partner.objects.all()
    return Partner.objects.filter(memberships__user=user).distinct()


def membership_role(*, user: User, partner: Partner) -> str | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, partner=partner).values_list("role", flat=True).first()


def consent_history(*, user: User) -> QuerySet[Consent]:
    return Consent.objects.filter(user=user).select_related("partner").order_by("-granted_at", "-pk")


def consent_active_q(*, at: datetime | None = None) -> Q:
    """The filter for consents in force at ``at`` (now by default), usable across relations."""
    at = at or timezone.now()
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=at))


def consent_is_active(*, user: User, partner: Partner, purpose: str, data_category: str | None = None) -> bool:
    consent = Consent.objects.filter(consent_active_q(), user=user, partner=partner, purpose=purpose).first()
    if consent is None:
        return False
    return data_category is None or data_category in consent.data_categories


def consenting_user_ids(*, partner: Partner, purpose: str, data_category: str) -> list[int]:
    """User ids whose active consent for ``partner`` and ``purpose`` covers ``data_category``."""
    active = Consent.objects.filter(consent_active_q(), partner=partner, purpose=purpose)
    if connection.features.supports_json_field_contains:
        return list(active.filter(data_categories__contains=[data_category]).values_list("user_id", flat=True))
    # SQLite (the embedded default) cannot look inside JSON arrays.
    return [uid for uid, cats in active.values_list("user_id", "data_categories") if data_category in cats]


def api_key_list(*, partner: Partner) -> QuerySet[PartnerApiKey]:
    return PartnerApiKey.objects.filter(partner=partner).order_by("-created_at")
