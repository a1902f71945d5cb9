"""Writes for accounts, partners, consent and API keys."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, NotAllowed
from users.models import Consent, Membership, Partner, PartnerApiKey, Profile, User
from users.scopes import scope_is_known

API_KEY_PREFIX = "zq"


class EmailAlreadyRegistered(DomainError):
    code = "email_taken"


def user_register(*, email: str, password: str, display_name: str = "", preferred_language: str = "zh-hans") -> User:
    """Create an account with an empty profile. Raises ``ValidationError`` on a weak password."""
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email=email).exists():
        raise EmailAlreadyRegistered(_("An account with this email already exists. Log in or reset your password."))
    candidate = User(email=email, display_name=display_name)
    validate_password(password, user=candidate)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, display_name=display_name, preferred_language=preferred_language
            )
            Profile.objects.create(user=user)
    except IntegrityError as exc:  # a concurrent registration with the same email
        raise EmailAlreadyRegistered(
            _("An account with this email already exists. Log in or reset your password.")
        ) from exc
    return user


def profile_update(*, user: User, **fields: object) -> Profile:
    allowed = {"birth_year", "gender", "region", "occupation", "declared_interests"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    profile, _created = Profile.objects.get_or_create(user=user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    return profile


def membership_set(*, partner: Partner, user: User, role: str) -> Membership:
    membership, _created = Membership.objects.update_or_create(partner=partner, user=user, defaults={"role": role})
    return membership


@transaction.atomic
def consent_grant(
    *,
    user: User,
    partner: Partner,
    purpose: str,
    data_categories: Iterable[str],
    notice_version: str,
    expires_at: datetime | None = None,
    source: str = "web",
) -> Consent:
    """Record a grant. A grant identical to the active one returns it unchanged;
    a different one revokes the active row and appends a new one, so the
    history shows exactly what was agreed to, under which notice, when.

    Locks the user's active consent rows for this partner and purpose."""
    categories = sorted(set(data_categories))
    valid_categories = set(Consent.DataCategory.values)
    if not categories or set(categories) - valid_categories:
        raise DomainError(
            _("Choose at least one data category from: %(c)s.") % {"c": ", ".join(sorted(valid_categories))}
        )
    if purpose not in Consent.Purpose.values:
        raise DomainError(_("Unknown consent purpose: %(p)s.") % {"p": purpose})
    if not notice_version:
        raise DomainError(_("The privacy notice version the user saw is required."))
    now = timezone.now()
    active = (
        Consent.objects.select_for_update()
        .filter(user=user, partner=partner, purpose=purpose, revoked_at__isnull=True)
        .first()
    )
    if active is not None:
        same = (
            active.data_categories == categories
            and active.notice_version == notice_version
            and active.expires_at == expires_at
            and active.is_active
        )
        if same:
            return active
        Consent.objects.filter(pk=active.pk).update(revoked_at=now)
    return Consent.objects.create(
        user=user,
        partner=partner,
        purpose=purpose,
        data_categories=categories,
        notice_version=notice_version,
        granted_at=now,
        expires_at=expires_at,
        source=source,
    )


@transaction.atomic
def consent_revoke(*, user: User, partner: Partner, purpose: str) -> Consent | None:
    """Revoke the active consent, if any; returns the revoked row. Revoking twice is harmless."""
    active = (
        Consent.objects.select_for_update()
        .filter(user=user, partner=partner, purpose=purpose, revoked_at__isnull=True)
        .first()
    )
    if active is None:
        return None
    active.revoked_at = timezone.now()
    active.save(update_fields=["revoked_at"])
    return active


def consent_expiry_sweep(*, now: datetime | None = None) -> int:
    """Close consents whose term has passed, so that every reader sees them as revoked."""
    now = now or timezone.now()
    return Consent.objects.filter(revoked_at__isnull=True, expires_at__lte=now).update(revoked_at=now)


def api_key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(
    *, partner: Partner, name: str, scopes: Iterable[str], created_by: User | None, expires_at: datetime | None = None
) -> tuple[PartnerApiKey, str]:
    """Create a key; returns the row and the raw key, which is never stored and never shown again."""
    scope_list = sorted(set(scopes))
    unknown = [s for s in scope_list if not scope_is_known(s)]
    if unknown:
        raise DomainError(_("Unknown scopes: %(s)s.") % {"s": ", ".join(unknown)})
    if not scope_list:
        raise DomainError(_("Give the key at least one scope."))
    if created_by is not None and not created_by.is_staff:
        role = Membership.objects.filter(user=created_by, partner=partner).values_list("role", flat=True).first()
        if role not in (Membership.Role.OWNER, Membership.Role.MANAGER):
            raise NotAllowed(_("Only the partner's owners and managers can create API keys."))
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    raw = f"{API_KEY_PREFIX}_{prefix}_{secret}"
    key = PartnerApiKey.objects.create(
        partner=partner,
        name=name,
        prefix=prefix,
        key_hash=api_key_hash(raw),
        scopes=scope_list,
        created_by=created_by,
        expires_at=expires_at,
    )
    return key, raw


def api_key_revoke(*, key: PartnerApiKey, by: User | None) -> PartnerApiKey:
    if by is not None and not by.is_staff:
        role = Membership.objects.filter(user=by, partner=key.partner).values_list("role", flat=True).first()
        if role not in (Membership.Role.OWNER, Membership.Role.MANAGER):
            raise NotAllowed(_("Only the partner's owners and managers can revoke API keys."))
    PartnerApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def password_is_valid_for(*, user: User, password: str) -> list[str]:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        return list(exc.messages)
    return []
