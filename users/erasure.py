"""Erasing a person from the account tables.

The account row itself stays, stripped of everything personal, because orders,
refunds and settlement lines refer to it and must stay correct: it becomes a
pseudonymous reference (``erased-<digest>@erased.invalid``), inactive, with an
unusable password (which also ends every session it had). The declared profile
and memberships are deleted; active consents are withdrawn (the consent history
itself is kept: it proves what was agreed, and names no one any more).

Data other apps hold about the person (events, reviews, carts, insight
profiles) is theirs to erase: see ``insights.user_rights.account_erase``, which
calls this inside its transaction.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from users.models import Consent, Membership, PartnerApiKey, Profile, User

ERASED_DOMAIN = "erased.invalid"


def erased_reference(*, user_id: int) -> str:
    """A stable pseudonymous reference for an erased account, derived from its id and the site secret."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"erased-user:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"erased-{digest[:24]}"


def user_is_erased(user: User) -> bool:
    return user.email.endswith(f"@{ERASED_DOMAIN}")


@transaction.atomic
def user_erase(*, user: User) -> str:
    """Anonymise ``user`` in place; returns the pseudonymous reference. Erasing twice changes nothing more.

    Locks the account row for the duration of the caller's transaction."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    reference = erased_reference(user_id=locked.pk)
    Consent.objects.filter(user=locked).update(revoked_at=timezone.now())
    Profile.objects.filter(user=locked).delete()
    Membership.objects.filter(user=locked).delete()
    PartnerApiKey.objects.filter(created_by=locked).update(created_by=None)
    locked.groups.clear()
    locked.user_permissions.clear()
    locked.email = f"{reference}@{ERASED_DOMAIN}"
    locked.display_name = ""
    locked.preferred_language = settings.LANGUAGE_CODE
    locked.is_active = False
    locked.is_staff = False
    locked.is_superuser = False
    locked.last_login = None
    locked.set_unusable_password()
    locked.save()
    user.refresh_from_db()
    return reference
