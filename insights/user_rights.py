"""A person's rights over their data: download all of it, delete the account.

``user_data_export`` gathers everything the platform holds about the user, as
JSON-ready data. ``account_erase`` deletes what is only about them (behaviour
events, reviews, cart, insight profile), anonymises the account
(``users.erasure.user_erase``), tells every partner that received their data to
delete it, and leaves orders, refunds, entitlements and settlement lines in
place under the pseudonymous account, so that every total stays as it was.
Both are audited. After the commit, ``account_erased`` is sent
(``sender``: ``User``; ``user_id``: int; ``reference``: str) so that layers
above insights (recommendations, storefront caches) drop what they keep.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Review
from catalog.services import review_delete
from commerce.models import Cart, Entitlement, Order
from insights.audit import Actor, audit_record, recipients_for_user
from insights.models import Event
from insights.privacy_errors import ConfirmationFailed
from insights.privacy_models import AuditEntry, DataDisclosure, UserInsightProfile
from insights.sharing import deletion_notices_issue
from promotions.models import ReferralLink
from users.erasure import user_erase, user_is_erased
from users.models import Consent, Profile, User

account_erased = Signal()

EXPORT_FORMAT_VERSION = 1
EVENTS_IN_EXPORT = 50_000


def _money(value: Decimal) -> str:
    return str(value)


def user_data_export(*, user: User) -> dict[str, Any]:
    """Everything about ``user``, machine-readable. Audited as a data export."""
    profile = Profile.objects.filter(user=user).first()
    insight = UserInsightProfile.objects.filter(user=user).first()
    orders = Order.objects.filter(user=user).prefetch_related("lines").order_by("created_at")
    data: dict[str, Any] = {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "preferred_language": user.preferred_language,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "declared_profile": (
            {
                "birth_year": profile.birth_year,
                "gender": profile.gender,
                "region": profile.region,
                "occupation": profile.occupation,
                "declared_interests": profile.declared_interests,
            }
            if profile
            else None
        ),
        "computed_profile": (
            {
                "age_band": insight.age_band,
                "last_active_at": insight.last_active_at.isoformat() if insight.last_active_at else None,
                "actions_90d": insight.events_90d,
                "active_days_90d": insight.active_days_90d,
                "orders_count": insight.orders_count,
                "spend": _money(insight.spend),
                "currency": insight.currency,
                "formats": insight.formats,
                "lessons_total": insight.lessons_total,
                "lessons_opened": insight.lessons_opened,
                "lessons_completed": insight.lessons_completed,
                "top_topics": insight.top_topics,
                "top_contributors": insight.top_contributors,
                "top_partners": insight.top_partners,
                "computed_at": insight.computed_at.isoformat(),
            }
            if insight
            else None
        ),
        "consents": [
            {
                "partner": c.partner.name,
                "purpose": c.purpose,
                "data_categories": c.data_categories,
                "notice_version": c.notice_version,
                "granted_at": c.granted_at.isoformat(),
                "expires_at": c.expires_at.isoformat() if c.expires_at else None,
                "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
                "source": c.source,
            }
            for c in Consent.objects.filter(user=user).select_related("partner").order_by("granted_at", "pk")
        ],
        "orders": [
            {
                "number": o.number,
                "status": o.status,
                "currency": o.currency,
                "subtotal": _money(o.subtotal),
                "discount": _money(o.discount),
                "total": _money(o.total),
                "refunded": _money(o.refunded_total),
                "created_at": o.created_at.isoformat(),
                "paid_at": o.paid_at.isoformat() if o.paid_at else None,
                "lines": [
                    {
                        "title": line.title,
                        "format": line.format,
                        "sku": line.sku,
                        "quantity": line.quantity,
                        "price_paid": _money(line.price_paid),
                        "refunded": _money(line.refunded_amount),
                        "attribution": line.attribution,
                    }
                    for line in o.lines.all()
                ],
            }
            for o in orders
        ],
        "library": [
            {
                "product": e.product.title,
                "granted_at": e.granted_at.isoformat(),
                "revoked_at": e.revoked_at.isoformat() if e.revoked_at else None,
            }
            for e in Entitlement.objects.filter(user=user).select_related("product").order_by("granted_at", "pk")
        ],
        "reviews": [
            {
                "product": r.product.title,
                "rating": r.rating,
                "title": r.title,
                "body": r.body,
                "created_at": r.created_at.isoformat(),
            }
            for r in Review.objects.filter(user=user).select_related("product").order_by("created_at", "pk")
        ],
        "events": [
            {
                "kind": kind,
                "product": product,
                "context": context,
                "source": source,
                "occurred_at": occurred_at.isoformat(),
            }
            for kind, product, context, source, occurred_at in Event.objects.filter(user=user)
            .order_by("-occurred_at", "-pk")
            .values_list("kind", "product__slug", "context", "source", "occurred_at")[:EVENTS_IN_EXPORT]
        ],
        "data_received_by_partners": [
            {
                "partner": r.partner_name,
                "purpose": r.purpose,
                "data_categories": r.data_categories,
                "times": r.times,
                "last_at": r.last_at.isoformat(),
            }
            for r in recipients_for_user(user=user)
        ],
    }
    audit_record(
        kind=AuditEntry.Kind.DATA_EXPORT,
        actor=Actor(user=user),
        row_count=1,
        parameters={"orders": len(data["orders"]), "events": len(data["events"])},
    )
    return data


def account_erase(*, user: User, password: str) -> str:
    """Delete ``user``'s account after they confirmed with their password; returns the
    pseudonymous reference their orders keep. Raises ``ConfirmationFailed`` on a wrong password."""
    if user_is_erased(user) or not user.is_active:
        raise ConfirmationFailed(_("This account has already been deleted."))
    if not user.check_password(password):
        raise ConfirmationFailed(_("The password is not correct, so the account was not deleted."))
    return account_erase_confirmed(user=user, actor=Actor(user=None, channel_name="self-service"))


@transaction.atomic
def account_erase_confirmed(*, user: User, actor: Actor) -> str:
    """The erasure itself, once the person's identity is confirmed (or by platform staff on request)."""
    user_id = user.pk
    for review in Review.objects.filter(user=user).select_related("product"):
        review_delete(review=review)
    Event.objects.filter(user=user).delete()
    Cart.objects.filter(user=user).delete()
    UserInsightProfile.objects.filter(user=user).delete()
    ReferralLink.objects.filter(promoter=user).update(is_active=False)
    orders_kept = Order.objects.filter(user=user).count()
    reference = user_erase(user=user)
    notices = deletion_notices_issue(user=user)
    audit_record(
        kind=AuditEntry.Kind.ACCOUNT_ERASURE,
        actor=actor,
        row_count=1,
        parameters={
            "reference": reference,
            "orders_kept": orders_kept,
            "deletion_notices": notices,
            "partners_notified": DataDisclosure.objects.filter(user_id=user_id).values("partner_id").distinct().count(),
        },
    )
    transaction.on_commit(lambda: account_erased.send(sender=User, user_id=user_id, reference=reference))
    return reference
