"""Aggregate audience insights for a partner's own products and campaigns.

Only aggregates leave this module, and only after two protections:

1. **k-anonymity.** Every group (an age band, a region, an interest, a funnel
   stage) that holds fewer than k distinct people — k from the partner's
   ``PartnerPrivacy``, 50 by default, never below 10 — is merged into an
   "other" group. If "other" is itself below k, the smallest shown groups are
   merged into it until it is not (otherwise its size could be worked out by
   subtraction); if even that fails, the whole breakdown is withheld. A group is
   shown only when both its true and its published (noisy) size are at least k.
2. **Differential privacy.** Counts get discrete Laplace noise calibrated by
   OpenDP (``insights.noise``). Each query costs ``epsilon_per_query``, split
   evenly over the breakdowns asked for, from the partner's monthly budget; a
   query the budget cannot pay for is refused. Asking the very same question
   again in the same month returns the first answer (``InsightRelease``) at no
   cost, so that averaging repeated answers cannot strip the noise.

Because what is released is anonymised in this way, the breakdowns count every
shopper who interacted with the partner's products; row-level data about a
person goes only to partners the person consented to (``insights.sharing``).

Every answer and every refusal is written to the audit log. The answer says
which k applied, the noise scale of each breakdown, and what was merged or withheld.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product, Topic
from insights.audit import Actor, audit_record
from insights.models import Event
from insights.noise import counts_noisy
from insights.privacy_errors import NotFoundForPartner, PrivacyBudgetExhausted
from insights.privacy_models import (
    DEFAULT_K,
    K_FLOOR,
    AgeBand,
    AuditEntry,
    InsightRelease,
    PartnerPrivacy,
    PrivacyBudget,
)
from promotions.models import Campaign
from users.models import Partner, Profile

PARTITION_DIMENSIONS = ("age_band", "gender", "region", "occupation")
DIMENSIONS = (*PARTITION_DIMENSIONS, "co_interests", "funnel")
AUDIENCE_KINDS = (
    Event.Kind.VIEW,
    Event.Kind.CLICK,
    Event.Kind.PREVIEW,
    Event.Kind.ADD_TO_CART,
    Event.Kind.PURCHASE,
    Event.Kind.RATING,
)
FUNNEL_STAGES = (Event.Kind.VIEW, Event.Kind.ADD_TO_CART, Event.Kind.PURCHASE)
# Each person adds to at most this many interests (their strongest), which bounds the sensitivity.
INTERESTS_PER_PERSON = 3
MAX_PERIOD = timedelta(days=366)
DEFAULT_PERIOD = timedelta(days=90)
UNKNOWN = ""


# --- Settings and budget -------------------------------------------------------------------------


def partner_privacy_get(*, partner: Partner) -> PartnerPrivacy:
    """The partner's privacy settings, created with the defaults on first use."""
    privacy, _created = PartnerPrivacy.objects.get_or_create(partner=partner)
    return privacy


def effective_k(privacy: PartnerPrivacy) -> int:
    # The database holds k ≥ 10 too; this guards rows written before a migration or by raw SQL.
    return max(int(privacy.k_threshold or DEFAULT_K), K_FLOOR)


def budget_period_start(at: datetime | None = None) -> date:
    return timezone.localdate(at or timezone.now()).replace(day=1)


def budget_next_period(start: date) -> date:
    return (start + timedelta(days=32)).replace(day=1)


def budget_get(*, partner: Partner, at: datetime | None = None) -> PrivacyBudget:
    privacy = partner_privacy_get(partner=partner)
    start = budget_period_start(at)
    try:
        with transaction.atomic():
            budget, _created = PrivacyBudget.objects.get_or_create(
                partner=partner, period_start=start, defaults={"epsilon_limit": privacy.epsilon_per_period}
            )
    except IntegrityError:  # created concurrently
        budget = PrivacyBudget.objects.get(partner=partner, period_start=start)
    return budget


def budget_spend(*, budget: PrivacyBudget, epsilon: Decimal) -> bool:
    """Spend ``epsilon`` with one conditional update; False when the budget cannot pay for it."""
    spent = PrivacyBudget.objects.filter(pk=budget.pk, epsilon_spent__lte=F("epsilon_limit") - epsilon).update(
        epsilon_spent=F("epsilon_spent") + epsilon, queries=F("queries") + 1
    )
    return spent == 1


# --- The question ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudienceQuestion:
    """What a partner asks: whose audience (all its products, one product, one campaign), when, which breakdowns."""

    scope: str  # "all" | "product" | "campaign"
    reference: str  # the product's or campaign's slug; "" for all
    date_from: date
    date_to: date
    dimensions: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "reference": self.reference,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "dimensions": list(self.dimensions),
        }

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()


def audience_question_build(
    *,
    scope: str = "all",
    reference: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
) -> AudienceQuestion:
    """A checked question; raises ``DomainError`` naming what is wrong."""
    from core.errors import DomainError

    today = timezone.localdate()
    date_to = date_to or today
    date_from = date_from or (date_to - DEFAULT_PERIOD)
    if scope not in ("all", "product", "campaign"):
        raise DomainError(_("Choose the audience of all your products, one product or one campaign."))
    if scope != "all" and not reference:
        raise DomainError(_("Name the product or campaign whose audience you want."))
    if date_from > date_to:
        raise DomainError(_("The period must start on or before the day it ends."))
    if date_to - date_from > MAX_PERIOD:
        raise DomainError(_("The period can be at most one year long."))
    unknown = [d for d in dimensions if d not in DIMENSIONS]
    if unknown or not dimensions:
        raise DomainError(_("Choose breakdowns from: %(d)s.") % {"d": ", ".join(DIMENSIONS)})
    ordered = tuple(d for d in DIMENSIONS if d in set(dimensions))
    return AudienceQuestion(
        scope=scope,
        reference=reference if scope != "all" else "",
        date_from=date_from,
        date_to=date_to,
        dimensions=ordered,
    )


@dataclass(frozen=True)
class Scope:
    products: QuerySet[Product]
    label: str


def audience_scope_resolve(*, partner: Partner, question: AudienceQuestion) -> Scope:
    """The products whose audience is asked for. Another partner's product or a campaign
    the partner is not part of does not exist for it (``NotFoundForPartner``)."""
    if question.scope == "product":
        product = Product.objects.filter(owner=partner, slug=question.reference).first()
        if product is None:
            raise NotFoundForPartner(_("You have no product “%(s)s”.") % {"s": question.reference})
        return Scope(products=Product.objects.filter(pk=product.pk), label=product.title)
    if question.scope == "campaign":
        campaign = Campaign.objects.filter(slug=question.reference, shares__partner=partner).first()
        if campaign is None:
            raise NotFoundForPartner(_("You take part in no campaign “%(s)s”.") % {"s": question.reference})
        return Scope(products=campaign.products.all(), label=campaign.display_name)
    return Scope(products=Product.objects.filter(owner=partner), label=partner.name)


def audience_events(*, scope: Scope, question: AudienceQuestion) -> QuerySet[Event]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(question.date_from, time.min, tzinfo=tz)
    end = datetime.combine(question.date_to + timedelta(days=1), time.min, tzinfo=tz)
    return Event.objects.filter(product_id__in=scope.products.values("pk"), occurred_at__gte=start, occurred_at__lt=end)


def audience_user_ids(*, scope: Scope, question: AudienceQuestion) -> QuerySet[Event, Any]:
    """The people in the audience (logged-in users only), as a subquery."""
    return (
        audience_events(scope=scope, question=question)
        .filter(kind__in=AUDIENCE_KINDS, user__isnull=False)
        .values("user_id")
    )


# --- True counts (the bare aggregates) -----------------------------------------------------------


def partition_counts(*, scope: Scope, question: AudienceQuestion, dimension: str) -> dict[str, int]:
    """Distinct people per value of ``dimension`` (one value each, "" when unknown): sensitivity 1."""
    from users.models import User

    column = {
        "age_band": "insight_profile__age_band",
        "gender": "profile__gender",
        "region": "profile__region",
        "occupation": "profile__occupation",
    }[dimension]
    rows = (
        User.objects.filter(pk__in=audience_user_ids(scope=scope, question=question))
        .values(value=F(column))
        .annotate(n=Count("pk"))
        .values_list("value", "n")
    )
    counts: Counter[str] = Counter()
    for value, n in rows:
        counts[(value or UNKNOWN).strip()] += n
    return dict(counts)


def interest_counts(*, scope: Scope, question: AudienceQuestion) -> dict[str, int]:
    """People per interest among each person's ``INTERESTS_PER_PERSON`` strongest topics
    outside the scope's own topics: sensitivity ``INTERESTS_PER_PERSON``."""
    from insights.privacy_models import UserInsightProfile

    own_topics = set(Topic.objects.filter(products__in=scope.products).values_list("pk", flat=True))
    counts: Counter[str] = Counter()
    for top in UserInsightProfile.objects.filter(
        user_id__in=audience_user_ids(scope=scope, question=question)
    ).values_list("top_topics", flat=True):
        chosen = [t["slug"] for t in top or [] if t.get("slug") and t.get("id") not in own_topics]
        counts.update(set(chosen[:INTERESTS_PER_PERSON]))
    return dict(counts)


def funnel_counts(*, scope: Scope, question: AudienceQuestion) -> dict[str, int]:
    """Distinct people (accounts and anonymous visitors) at each stage: sensitivity 3 (one per stage)."""
    rows = (
        audience_events(scope=scope, question=question)
        .filter(kind__in=FUNNEL_STAGES)
        .values("kind")
        .annotate(
            users=Count("user_id", distinct=True),
            visitors=Count("anonymous_id", distinct=True, filter=Q(user__isnull=True)),
        )
    )
    counts: dict[str, int] = dict.fromkeys([str(stage) for stage in FUNNEL_STAGES], 0)
    for row in rows:
        counts[row["kind"]] = row["users"] + row["visitors"]
    return counts


# --- Suppression and noise ----------------------------------------------------------------------


def _label(dimension: str, key: str) -> str:
    if key == UNKNOWN:
        return _("Not stated")
    if dimension == "age_band":
        return str(dict(AgeBand.choices).get(key, key))
    if dimension == "gender":
        return str(dict(Profile.Gender.choices).get(key, key))
    if dimension == "funnel":
        return str(dict(Event.Kind.choices).get(key, key))
    return key


def breakdown_release(
    *, dimension: str, true_counts: dict[str, int], k: int, epsilon: Decimal, sensitivity: int
) -> dict[str, Any]:
    """Noise every group, then show only groups with at least k people (true and published),
    folding the rest into "other" as described in the module docstring."""
    keys = sorted(true_counts, key=lambda key: (-true_counts[key], key))
    noisy = counts_noisy(counts=[true_counts[key] for key in keys], epsilon=epsilon, sensitivity=sensitivity)
    published = dict(zip(keys, noisy.values, strict=True))
    shown = [key for key in keys if true_counts[key] >= k and published[key] >= k]
    merged = [key for key in keys if key not in shown]

    def other_sizes() -> tuple[int, int]:
        return sum(true_counts[key] for key in merged), sum(published[key] for key in merged)

    while merged and shown and min(other_sizes()) < k:
        smallest = min(shown, key=lambda key: (published[key], key))
        shown.remove(smallest)
        merged.append(smallest)
    other_true, other_published = other_sizes()
    withheld = bool(merged) and min(other_true, other_published) < k
    cells = [
        {"key": key, "label": _label(dimension, key), "count": published[key]}
        for key in sorted(shown, key=lambda key: (-published[key], key))
    ]
    return {
        "cells": cells,
        "other": None if not merged or withheld else {"label": _("Other"), "count": other_published},
        "suppression": {
            "k": k,
            "groups_merged_into_other": len(merged) if not withheld else 0,
            "groups_withheld": len(merged) if withheld else 0,
        },
        "noise": noisy.describe(),
    }


def funnel_release(*, true_counts: dict[str, int], k: int, epsilon: Decimal) -> dict[str, Any]:
    stages = list(FUNNEL_STAGES)
    noisy = counts_noisy(counts=[true_counts[s] for s in stages], epsilon=epsilon, sensitivity=len(stages))
    published = dict(zip(stages, noisy.values, strict=True))
    cells = []
    withheld = 0
    previous: int | None = None
    for stage in stages:
        shown = true_counts[stage] >= k and published[stage] >= k
        withheld += 0 if shown else 1
        count = published[stage] if shown else None
        rate = None
        if count is not None and previous:
            rate = str((Decimal(count) / Decimal(previous)).quantize(Decimal("0.001")))
        cells.append({"key": stage, "label": _label("funnel", stage), "count": count, "rate_from_previous": rate})
        previous = count
    return {
        "cells": cells,
        "other": None,
        "suppression": {"k": k, "groups_merged_into_other": 0, "groups_withheld": withheld},
        "noise": noisy.describe(),
    }


# --- The query ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InsightAnswer:
    release: InsightRelease
    replayed: bool
    budget: PrivacyBudget

    @property
    def body(self) -> dict[str, Any]:
        return {
            **self.release.result,
            "released_at": self.release.created_at.isoformat(),
            "replayed": self.replayed,
            "budget": {
                "period_start": self.budget.period_start.isoformat(),
                "epsilon_limit": str(self.budget.epsilon_limit),
                "epsilon_spent": str(self.budget.epsilon_spent),
                "epsilon_left": str(self.budget.epsilon_left),
            },
        }


def _compute(*, partner: Partner, question: AudienceQuestion, scope: Scope, epsilon: Decimal, k: int) -> dict[str, Any]:
    share = (epsilon / len(question.dimensions)).quantize(Decimal("0.000001"))
    breakdowns: dict[str, Any] = {}
    for dimension in question.dimensions:
        if dimension in PARTITION_DIMENSIONS:
            counts = partition_counts(scope=scope, question=question, dimension=dimension)
            breakdowns[dimension] = breakdown_release(
                dimension=dimension, true_counts=counts, k=k, epsilon=share, sensitivity=1
            )
        elif dimension == "co_interests":
            counts = interest_counts(scope=scope, question=question)
            breakdowns[dimension] = breakdown_release(
                dimension=dimension, true_counts=counts, k=k, epsilon=share, sensitivity=INTERESTS_PER_PERSON
            )
        else:
            breakdowns[dimension] = funnel_release(
                true_counts=funnel_counts(scope=scope, question=question), k=k, epsilon=share
            )
    return {
        "partner": partner.slug,
        "question": question.as_dict(),
        "scope_label": scope.label,
        "k": k,
        "epsilon": str(epsilon),
        "breakdowns": breakdowns,
    }


def audience_insight_query(*, partner: Partner, question: AudienceQuestion, actor: Actor) -> InsightAnswer:
    """Answer ``question`` for ``partner``: a stored answer if it was asked this month,
    otherwise a fresh one paid for from the budget. Audited either way; a refusal
    (budget spent) is audited and raises ``PrivacyBudgetExhausted``."""
    scope = audience_scope_resolve(partner=partner, question=question)
    privacy = partner_privacy_get(partner=partner)
    k = effective_k(privacy)
    epsilon = Decimal(privacy.epsilon_per_query)
    budget = budget_get(partner=partner)
    fingerprint = question.fingerprint()
    audit_fields: dict[str, Any] = {
        "kind": AuditEntry.Kind.INSIGHT_QUERY,
        "actor": actor,
        "partner": partner,
        "purpose": "aggregate_insight",
        "data_categories": ["demographics", "interests", "behaviour"],
    }
    refused = False
    with transaction.atomic():
        existing = InsightRelease.objects.filter(
            partner=partner, period_start=budget.period_start, fingerprint=fingerprint
        ).first()
        if existing is not None:
            audit_record(**audit_fields, parameters={**question.as_dict(), "replayed": True, "epsilon": "0"})
            budget.refresh_from_db()
            return InsightAnswer(release=existing, replayed=True, budget=budget)
        if not budget_spend(budget=budget, epsilon=epsilon):
            refused = True
            audit_record(
                **audit_fields,
                outcome=AuditEntry.Outcome.REFUSED,
                parameters={**question.as_dict(), "reason": "privacy_budget_exhausted"},
            )
        else:
            result = _compute(partner=partner, question=question, scope=scope, epsilon=epsilon, k=k)
            release = InsightRelease.objects.create(
                partner=partner,
                period_start=budget.period_start,
                fingerprint=fingerprint,
                parameters=question.as_dict(),
                result=result,
                epsilon=epsilon,
                created_by=actor.user if actor.user is not None and actor.user.pk else None,
            )
            cells = sum(len(b["cells"]) + (1 if b["other"] else 0) for b in result["breakdowns"].values())
            audit_record(**audit_fields, row_count=cells, parameters={**question.as_dict(), "epsilon": str(epsilon)})
    if refused:
        renews = budget_next_period(budget.period_start)
        raise PrivacyBudgetExhausted(
            _(
                "This month's privacy budget is spent (ε %(limit)s). Answers you already received stay "
                "available; new questions can be asked from %(renews)s."
            )
            % {"limit": budget.epsilon_limit, "renews": renews.isoformat()}
        )
    budget.refresh_from_db()
    return InsightAnswer(release=release, replayed=False, budget=budget)


def insight_release_list(*, partner: Partner, limit: int = 20) -> list[InsightRelease]:
    return list(InsightRelease.objects.filter(partner=partner).order_by("-created_at", "-pk")[:limit])
