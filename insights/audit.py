"""The audit log of everything insights shares or answers, and the user's view of it.

Every aggregate query, row-level share and advertising-audience export writes
one ``AuditEntry`` (refusals too), in the same transaction as the work it
records: if the entry cannot be written, nothing was shared. Entries are kept
for at least three years (``AUDIT_RETENTION``) and are never changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from insights.privacy_models import AUDIT_RETENTION, AuditEntry, DataDisclosure
from users.models import Partner, User


@dataclass(frozen=True)
class Actor:
    """Who asked: a person (portal, admin, their own account) or a partner's API key."""

    user: User | None = None
    api_key_prefix: str = ""
    channel_name: str = "session"

    @property
    def channel(self) -> str:
        return f"api-key:{self.api_key_prefix}" if self.api_key_prefix else self.channel_name


def audit_record(
    *,
    kind: str,
    actor: Actor,
    partner: Partner | None = None,
    purpose: str = "",
    data_categories: Iterable[str] = (),
    row_count: int = 0,
    parameters: dict[str, Any] | None = None,
    outcome: str = AuditEntry.Outcome.DONE,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry. Call inside the transaction of the work it records."""
    at = at or timezone.now()
    return AuditEntry.objects.create(
        kind=kind,
        outcome=outcome,
        partner=partner,
        actor=actor.user if actor.user is not None and actor.user.pk else None,
        channel=actor.channel[:40],
        purpose=purpose,
        data_categories=sorted(set(data_categories)),
        row_count=row_count,
        parameters=parameters or {},
        at=at,
        retain_until=(at + AUDIT_RETENTION).date(),
    )


def disclosures_record(
    *, audit: AuditEntry, partner: Partner, purpose: str, categories_by_user: dict[int, list[str]]
) -> int:
    """One ``DataDisclosure`` per user whose data the share carried, in one insert."""
    rows = [
        DataDisclosure(
            audit=audit, user_id=user_id, partner=partner, purpose=purpose, data_categories=categories, at=audit.at
        )
        for user_id, categories in categories_by_user.items()
    ]
    DataDisclosure.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def audit_purge_expired(*, today: date | None = None) -> int:
    """Delete entries whose retention has passed; returns how many. The only deletion there is."""
    return AuditEntry.objects.all()._purge_past_retention(today=today or timezone.localdate())


def audit_list(*, partner: Partner | None = None, kind: str | None = None) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.select_related("partner", "actor").order_by("-at", "-pk")
    if partner is not None:
        entries = entries.filter(partner=partner)
    if kind:
        entries = entries.filter(kind=kind)
    return entries


@dataclass(frozen=True)
class RecipientSummary:
    partner_name: str
    purpose: str
    purpose_label: str
    data_categories: list[str]
    times: int
    last_at: datetime


def recipients_for_user(*, user: User) -> list[RecipientSummary]:
    """Who received the user's data, for what, which categories, how often and when last."""
    from users.models import Consent

    purposes = dict(Consent.Purpose.choices)
    grouped = (
        DataDisclosure.objects.filter(user=user)
        .values("partner__name", "purpose")
        .annotate(times=Count("pk"), last_at=Max("at"))
        .order_by("-last_at")
    )
    categories: dict[tuple[str, str], set[str]] = {}
    for name, purpose, cats in DataDisclosure.objects.filter(user=user).values_list(
        "partner__name", "purpose", "data_categories"
    ):
        categories.setdefault((name, purpose), set()).update(cats)
    return [
        RecipientSummary(
            partner_name=row["partner__name"],
            purpose=row["purpose"],
            purpose_label=str(purposes.get(row["purpose"], row["purpose"])),
            data_categories=sorted(categories.get((row["partner__name"], row["purpose"]), set())),
            times=row["times"],
            last_at=row["last_at"],
        )
        for row in grouped
    ]
