"""Row-level sharing of pseudonymised user data with a partner, under consent.

A share carries a row for a user only if, at the moment it is built, the user
holds an active consent (``users.selectors.consent_active_q``) for this
partner and this purpose, and the row carries only the data categories the
user consented to (the others are empty). Users are named by a pseudonymous id,
HMAC-SHA256 of the user id under the partner's own secret: two partners'
files cannot be joined on it, and the platform can recompute it.

Every share is audited with one ``DataDisclosure`` per user in it, in the same
transaction as the rows are read. When a user who was shared leaves (consent
withdrawn or expired, account deleted), the partner gets a ``DeletionNotice``
naming the pseudonymous id it knows; notices are issued before each share,
when a consent is withdrawn, and by a periodic sweep.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commerce.models import OrderLine, OrderLineItem
from core.errors import DomainError
from insights.audiences import partner_privacy_get
from insights.audit import Actor, audit_record, disclosures_record
from insights.privacy_errors import NoConsentedCategories
from insights.privacy_models import AuditEntry, DataDisclosure, DeletionNotice, UserInsightProfile
from insights.profiles import PAID_STATUSES
from users.models import Consent, Partner, Profile, User
from users.selectors import consent_active_q

C = Consent.DataCategory
# The columns each data category adds to a share, in order.
CATEGORY_COLUMNS: dict[str, tuple[str, ...]] = {
    C.DEMOGRAPHICS: ("age_band", "gender", "region", "occupation"),
    C.INTERESTS: ("top_topics", "declared_interests"),
    C.PURCHASES: ("products_bought", "orders_with_partner", "spend_with_partner"),
    C.BEHAVIOUR: ("last_active_date", "actions_90d", "active_days_90d", "formats", "lesson_completion"),
    C.CONTACT: ("email",),
}
# What each category means to a user reading the consent page.
CATEGORY_EXPLAINED: dict[str, tuple[Any, ...]] = {
    C.DEMOGRAPHICS: (
        gettext_lazy("age band"),
        gettext_lazy("gender"),
        gettext_lazy("region"),
        gettext_lazy("occupation"),
    ),
    C.INTERESTS: (gettext_lazy("your strongest topics"), gettext_lazy("the interests you declared")),
    C.PURCHASES: (gettext_lazy("which of this partner's products you bought"), gettext_lazy("how often and how much")),
    C.BEHAVIOUR: (
        gettext_lazy("when you were last active"),
        gettext_lazy("how active you are"),
        gettext_lazy("the formats you use"),
        gettext_lazy("lesson completion"),
    ),
    C.CONTACT: (gettext_lazy("your email address"),),
}
ROW_SHARE_PURPOSES = (
    Consent.Purpose.AUDIENCE_INSIGHTS,
    Consent.Purpose.PERSONAL_DATA_TRANSFER,
    Consent.Purpose.MARKETING,
)
FORMATS = ("csv", "parquet", "json")
LIST_SEPARATOR = ";"


def pseudonymous_id(*, secret: str, user_id: int) -> str:
    return hmac.new(secret.encode(), f"zq-user:{user_id}".encode(), hashlib.sha256).hexdigest()


def pseudonymous_ids(*, partner: Partner, user_ids: Iterable[int]) -> dict[int, str]:
    secret = partner_privacy_get(partner=partner).pseudonym_secret
    return {uid: pseudonymous_id(secret=secret, user_id=uid) for uid in user_ids}


def consented_categories(*, partner: Partner, purpose: str) -> dict[int, set[str]]:
    """Users with an active consent for ``partner`` and ``purpose`` now, and the categories it covers."""
    rows = Consent.objects.filter(
        consent_active_q(), partner=partner, purpose=purpose, user__is_active=True
    ).values_list("user_id", "data_categories")
    return {user_id: set(categories or []) for user_id, categories in rows}


# --- Building a share ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    columns: list[str]
    rows: list[dict[str, Any]]
    audit: AuditEntry

    @property
    def row_count(self) -> int:
        return len(self.rows)


def _check_request(*, purpose: str, categories: Iterable[str], fmt: str) -> list[str]:
    if purpose not in ROW_SHARE_PURPOSES:
        raise DomainError(
            _("Row-level data can be shared for these purposes only: %(p)s.") % {"p": ", ".join(ROW_SHARE_PURPOSES)}
        )
    wanted = sorted(set(categories))
    if not wanted or set(wanted) - set(CATEGORY_COLUMNS):
        raise DomainError(
            _("Choose at least one data category from: %(c)s.") % {"c": ", ".join(sorted(CATEGORY_COLUMNS))}
        )
    if fmt not in FORMATS:
        raise DomainError(_("Choose a file format from: %(f)s.") % {"f": ", ".join(FORMATS)})
    return wanted


def _purchases(*, partner: Partner, user_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What each user bought of ``partner``'s products: whole lines and bundle items it owns."""
    out: dict[int, dict[str, Any]] = defaultdict(lambda: {"products": set(), "orders": set(), "spend": Decimal("0")})
    lines = OrderLine.objects.filter(owner=partner, order__user_id__in=user_ids, order__status__in=PAID_STATUSES)
    for user_id, order_id, slug, paid, refunded in lines.values_list(
        "order__user_id", "order_id", "product__slug", "price_paid", "refunded_amount"
    ):
        out[user_id]["products"].add(slug)
        out[user_id]["orders"].add(order_id)
        out[user_id]["spend"] += paid - refunded
    items = OrderLineItem.objects.filter(
        owner=partner, line__order__user_id__in=user_ids, line__order__status__in=PAID_STATUSES
    ).exclude(line__owner=partner)
    for user_id, order_id, slug, share, refunded in items.values_list(
        "line__order__user_id", "line__order_id", "product__slug", "share", "refunded_amount"
    ):
        out[user_id]["products"].add(slug)
        out[user_id]["orders"].add(order_id)
        out[user_id]["spend"] += share - refunded
    return out


def _values_for(
    *,
    category: str,
    user_id: int,
    profile: UserInsightProfile | None,
    declared: dict[int, list[str]],
    purchases: dict[int, dict[str, Any]],
    emails: dict[int, str],
) -> dict[str, Any]:
    if category == C.CONTACT:
        return {"email": emails.get(user_id, "")}
    if category == C.PURCHASES:
        bought = purchases.get(user_id)
        return {
            "products_bought": sorted(bought["products"]) if bought else [],
            "orders_with_partner": len(bought["orders"]) if bought else 0,
            "spend_with_partner": bought["spend"] if bought else Decimal("0.00"),
        }
    if category == C.INTERESTS:
        return {
            "top_topics": [t["slug"] for t in (profile.top_topics if profile else []) if t.get("slug")],
            "declared_interests": list(declared.get(user_id, [])),
        }
    if profile is None:
        return dict.fromkeys(CATEGORY_COLUMNS[category])
    if category == C.DEMOGRAPHICS:
        return {
            "age_band": profile.age_band,
            "gender": profile.gender,
            "region": profile.region,
            "occupation": profile.occupation,
        }
    completion = profile.lesson_completion
    return {
        "last_active_date": profile.last_active_at.date().isoformat() if profile.last_active_at else None,
        "actions_90d": profile.events_90d,
        "active_days_90d": profile.active_days_90d,
        "formats": list(profile.formats),
        "lesson_completion": str(completion) if completion is not None else None,
    }


def share_build(*, partner: Partner, purpose: str, categories: Iterable[str], actor: Actor, fmt: str = "csv") -> Share:
    """The rows of a share for ``partner``: consent is read at this moment, inside the
    transaction that writes the audit entry and the disclosures."""
    wanted = _check_request(purpose=purpose, categories=categories, fmt=fmt)
    with transaction.atomic():
        deletion_notices_issue(partner=partner, purpose=purpose)
        consents = consented_categories(partner=partner, purpose=purpose)
        allowed = {uid: sorted(cats & set(wanted)) for uid, cats in consents.items() if cats & set(wanted)}
        if not allowed and consents:
            # People consented, but to none of the categories asked for: say so rather than send an empty file.
            raise NoConsentedCategories(
                _("No user consented to share %(c)s with you for this purpose.") % {"c": ", ".join(wanted)}
            )
        user_ids = sorted(allowed)
        ids = pseudonymous_ids(partner=partner, user_ids=user_ids)
        profiles = UserInsightProfile.objects.in_bulk(user_ids)
        declared = dict(Profile.objects.filter(user_id__in=user_ids).values_list("user_id", "declared_interests"))
        emails = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "email")) if C.CONTACT in wanted else {}
        purchases = _purchases(partner=partner, user_ids=user_ids) if C.PURCHASES in wanted else {}
        columns = ["pseudonymous_id", "data_categories"] + [c for cat in wanted for c in CATEGORY_COLUMNS[cat]]
        rows: list[dict[str, Any]] = []
        for uid in user_ids:
            row: dict[str, Any] = dict.fromkeys(columns)
            row["pseudonymous_id"] = ids[uid]
            row["data_categories"] = allowed[uid]
            for category in allowed[uid]:
                row.update(
                    _values_for(
                        category=category,
                        user_id=uid,
                        profile=profiles.get(uid),
                        declared=declared,
                        purchases=purchases,
                        emails=emails,
                    )
                )
            rows.append(row)
        audit = audit_record(
            kind=AuditEntry.Kind.ROW_SHARE,
            actor=actor,
            partner=partner,
            purpose=purpose,
            data_categories=wanted,
            row_count=len(rows),
            parameters={"format": fmt},
        )
        disclosures_record(audit=audit, partner=partner, purpose=purpose, categories_by_user=allowed)
    return Share(columns=columns, rows=rows, audit=audit)


# --- Files -----------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


def share_csv(share: Share) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(share.columns)
    for row in share.rows:
        writer.writerow([_cell(row[c]) for c in share.columns])
    return buffer.getvalue().encode("utf-8")


_ARROW_TYPES: dict[str, pa.DataType] = {
    "data_categories": pa.list_(pa.string()),
    "top_topics": pa.list_(pa.string()),
    "declared_interests": pa.list_(pa.string()),
    "products_bought": pa.list_(pa.string()),
    "formats": pa.list_(pa.string()),
    "orders_with_partner": pa.int64(),
    "actions_90d": pa.int64(),
    "active_days_90d": pa.int64(),
    "spend_with_partner": pa.decimal128(14, 2),
}


def share_parquet(share: Share) -> bytes:
    schema = pa.schema([pa.field(c, _ARROW_TYPES.get(c, pa.string())) for c in share.columns])
    table = pa.Table.from_pylist(share.rows, schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def share_json_rows(share: Share) -> list[dict[str, Any]]:
    return [{c: (str(v) if isinstance(v, Decimal) else v) for c, v in row.items()} for row in share.rows]


# --- Deletion notices ------------------------------------------------------------------------------


def deletion_notices_issue(
    *, partner: Partner | None = None, purpose: str | None = None, user: User | None = None
) -> int:
    """Issue a notice for every user a partner received (for a purpose) who no longer
    has an active consent for it, or whose account is gone; one per share they left.
    Set-based and idempotent; returns how many notices are new."""
    disclosed = DataDisclosure.objects.all()
    if partner is not None:
        disclosed = disclosed.filter(partner=partner)
    if purpose is not None:
        disclosed = disclosed.filter(purpose=purpose)
    if user is not None:
        disclosed = disclosed.filter(user=user)
    still_consenting = Consent.objects.filter(
        consent_active_q(), user_id=OuterRef("user_id"), partner_id=OuterRef("partner_id"), purpose=OuterRef("purpose")
    )
    gone: QuerySet[Any] = (
        disclosed.filter(Q(user__is_active=False) | ~Exists(still_consenting))
        .values("partner_id", "purpose", "user_id", "user__is_active")
        .annotate(last=Max("audit_id"))
    )
    rows = list(gone)
    if not rows:
        return 0
    secrets_by_partner = {
        p.pk: partner_privacy_get(partner=p).pseudonym_secret
        for p in Partner.objects.filter(pk__in={r["partner_id"] for r in rows})
    }
    existing = set(
        DeletionNotice.objects.filter(last_disclosure_id__in={r["last"] for r in rows}).values_list(
            "partner_id", "user_id", "purpose", "last_disclosure_id"
        )
    )
    now = timezone.now()
    notices = [
        DeletionNotice(
            partner_id=r["partner_id"],
            user_id=r["user_id"],
            purpose=r["purpose"],
            pseudonymous_id=pseudonymous_id(secret=secrets_by_partner[r["partner_id"]], user_id=r["user_id"]),
            reason=(
                DeletionNotice.Reason.CONSENT_WITHDRAWN
                if r["user__is_active"]
                else DeletionNotice.Reason.ACCOUNT_DELETED
            ),
            last_disclosure_id=r["last"],
            created_at=now,
        )
        for r in rows
        if (r["partner_id"], r["user_id"], r["purpose"], r["last"]) not in existing
    ]
    DeletionNotice.objects.bulk_create(notices, batch_size=2000, ignore_conflicts=True)
    return len(notices)


def deletion_notice_list(*, partner: Partner, pending_only: bool = True) -> QuerySet[DeletionNotice]:
    notices = DeletionNotice.objects.filter(partner=partner).order_by("created_at", "pk")
    return notices.filter(acknowledged_at__isnull=True) if pending_only else notices


def deletion_notices_acknowledge(*, partner: Partner, ids: Iterable[int]) -> int:
    """Mark the partner's own notices as done; ids of other partners' notices change nothing."""
    return DeletionNotice.objects.filter(partner=partner, pk__in=list(ids), acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now()
    )


def share_totals(*, partner: Partner) -> dict[str, Any]:
    """How many shares and rows the partner received, for its portal page."""
    entries = AuditEntry.objects.filter(partner=partner, kind=AuditEntry.Kind.ROW_SHARE, outcome="done")
    summary = entries.aggregate(rows=Sum("row_count"), last=Max("at"))
    return {"shares": entries.count(), "rows": summary["rows"] or 0, "last": summary["last"]}
