"""User profiles, computed set-based from events, orders, entitlements and reviews.

A run (``ProfileRun``) covers all users (``full``), the users with activity
recorded since the last successful run (``incremental``), or chosen users
(``users``, e.g. "recompute mine now"). Users are taken in chunks of
``CHUNK_SIZE``; each chunk is a handful of ``GROUP BY user`` queries (never one
query per user) and one upsert, and the run's ``processed`` counter moves after
each chunk, so its progress can be watched. Computing a user twice gives the
same row: a task that is delivered twice does no harm.

What the numbers mean:

* declared: age band (from the birth year), gender, region, occupation, copied
  from ``users.Profile``;
* behaviour: last activity, actions and active days in the last 90 days, paid
  orders, spend net of refunds (orders in ``DEFAULT_CURRENCY`` only), formats
  bought, and lessons opened / completed in the courses the user owns (a lesson
  counts as completed when an event for it says ``completed: true`` or
  ``progress`` ≥ 0.9);
* preferences: top topics, contributors and partners, scored by what the user
  did with their products (``KIND_WEIGHTS``), their reviews (rating − 2) and,
  for topics, what they declared (``DECLARED_TOPIC_WEIGHT``); each list holds at
  most ``TOP_N`` entries with a weight relative to the strongest (1.0).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Max, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from catalog.models import Lesson, Product, Review, Topic
from commerce.models import Entitlement, Order, OrderLine, OrderLineItem
from core.money import DEFAULT_CURRENCY, money_quantize
from insights.models import Event
from insights.privacy_models import ProfileRun, UserInsightProfile, age_band_for
from users.models import Profile, User

logger = logging.getLogger("insights.profiles")

CHUNK_SIZE = 5000
TOP_N = 5
RECENT_WINDOW = timedelta(days=90)
DECLARED_TOPIC_WEIGHT = 3
KIND_WEIGHTS: dict[str, int] = {
    Event.Kind.PURCHASE: 5,
    Event.Kind.ADD_TO_CART: 3,
    Event.Kind.PREVIEW: 2,
    Event.Kind.RATING: 1,
    Event.Kind.VIEW: 1,
    Event.Kind.CLICK: 1,
}
PAID_STATUSES = (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED, Order.Status.REFUNDED)
PROFILE_FIELDS = [
    "age_band",
    "gender",
    "region",
    "occupation",
    "last_active_at",
    "events_90d",
    "active_days_90d",
    "orders_count",
    "spend",
    "currency",
    "formats",
    "lessons_total",
    "lessons_opened",
    "lessons_completed",
    "top_topics",
    "top_contributors",
    "top_partners",
    "computed_at",
]


# --- Starting and running ------------------------------------------------------------------------


def profile_run_start(*, mode: str, user_ids: Iterable[int] = (), requested_by: User | None = None) -> ProfileRun:
    """Queue a run; the task starts once the caller's transaction has committed."""
    from insights.privacy_tasks import profiles_compute

    ids = sorted({int(i) for i in user_ids})
    if mode == ProfileRun.Mode.USERS and not ids:
        raise ValueError("a run for chosen users needs at least one user id")
    run = ProfileRun.objects.create(mode=mode, user_ids=ids, requested_by=requested_by)
    transaction.on_commit(lambda: profiles_compute.delay(run.pk))
    return run


def _user_chunks(run: ProfileRun) -> tuple[int, Iterator[list[int]]]:
    """How many users the run covers, and the users in chunks (ascending ids)."""
    if run.mode == ProfileRun.Mode.FULL:
        ids = User.objects.order_by("pk").values_list("pk", flat=True)
        total = ids.count()

        def full() -> Iterator[list[int]]:
            last = 0
            while True:
                chunk = list(ids.filter(pk__gt=last)[:CHUNK_SIZE])
                if not chunk:
                    return
                last = chunk[-1]
                yield chunk

        return total, full()
    if run.mode == ProfileRun.Mode.INCREMENTAL:
        assert run.since is not None
        assert run.until is not None
        chosen = sorted(users_changed_between(since=run.since, until=run.until))
    else:
        chosen = sorted(run.user_ids)
    return len(chosen), (chosen[i : i + CHUNK_SIZE] for i in range(0, len(chosen), CHUNK_SIZE))


def users_changed_between(*, since: datetime, until: datetime) -> set[int]:
    """Users with anything recorded in [since, until) that a profile is computed from."""
    window = {"gte": since, "lt": until}
    found: set[int] = set()
    sources: list[tuple[Any, str, str]] = [
        (Event.objects.filter(user__isnull=False), "received_at", "user_id"),
        (Order.objects.all(), "updated_at", "user_id"),
        (Review.objects.all(), "updated_at", "user_id"),
        (Profile.objects.all(), "updated_at", "user_id"),
        (Entitlement.objects.all(), "granted_at", "user_id"),
        (Entitlement.objects.filter(revoked_at__isnull=False), "revoked_at", "user_id"),
    ]
    for queryset, stamp, column in sources:
        lookups = {f"{stamp}__{op}": value for op, value in window.items()}
        found.update(queryset.filter(**lookups).values_list(column, flat=True).distinct())
    return found


def profile_run_execute(*, run_id: int, now: datetime | None = None) -> ProfileRun:
    """Compute the profiles of a queued run, moving ``processed`` after each chunk.

    Safe to call twice: a finished run is returned as it is; a run left
    ``running`` by a lost worker is computed again (the upsert is idempotent)."""
    now = now or timezone.now()
    run = ProfileRun.objects.get(pk=run_id)
    if run.status in (ProfileRun.Status.SUCCEEDED, ProfileRun.Status.FAILED):
        return run
    if run.mode == ProfileRun.Mode.INCREMENTAL and run.until is None:
        previous = (
            ProfileRun.objects.filter(status=ProfileRun.Status.SUCCEEDED, until__isnull=False)
            .exclude(pk=run.pk)
            .order_by("-until")
            .values_list("until", flat=True)
            .first()
        )
        # The first incremental run, with no run before it, looks at the last day.
        run.since = previous or (now - timedelta(days=1))
        run.until = now
    if run.mode == ProfileRun.Mode.FULL and run.until is None:
        # The next incremental run starts where this one looked.
        run.until = now
    run.status = ProfileRun.Status.RUNNING
    run.started_at = now
    run.processed = 0
    run.save(update_fields=["status", "started_at", "processed", "since", "until"])
    try:
        total, chunks = _user_chunks(run)
        ProfileRun.objects.filter(pk=run.pk).update(total=total)
        done = 0
        for chunk in chunks:
            profiles_compute_for(user_ids=chunk, now=now)
            done += len(chunk)
            ProfileRun.objects.filter(pk=run.pk).update(processed=min(done, total))
            logger.info("profile run %s: %d/%d users", run.pk, done, total)
    except Exception as exc:
        logger.exception("profile run %s failed", run.pk)
        ProfileRun.objects.filter(pk=run.pk).update(
            status=ProfileRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    ProfileRun.objects.filter(pk=run.pk).update(status=ProfileRun.Status.SUCCEEDED, finished_at=timezone.now())
    run.refresh_from_db()
    return run


# --- One chunk -----------------------------------------------------------------------------------


def _kind_weight() -> Case:
    return Case(
        *[When(kind=kind, then=Value(weight)) for kind, weight in KIND_WEIGHTS.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def _top(scores: dict[Any, float], label: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
    positive = sorted(((s, k) for k, s in scores.items() if s > 0), key=lambda pair: (-pair[0], str(pair[1])))[:TOP_N]
    if not positive:
        return []
    best = positive[0][0]
    return [{**label(key), "weight": round(score / best, 3)} for score, key in positive]


def _scores_by_user(rows: Iterable[tuple[int, Any, Any]]) -> dict[int, dict[Any, float]]:
    scores: dict[int, dict[Any, float]] = defaultdict(lambda: defaultdict(float))
    for user_id, key, weight in rows:
        if key is not None and weight:
            scores[user_id][key] += float(weight)
    return scores


def profiles_compute_for(*, user_ids: list[int], now: datetime | None = None) -> int:
    """Compute and store the profiles of ``user_ids`` (one chunk); returns how many were written.

    Inactive accounts (deleted ones among them) get no profile: theirs is removed."""
    now = now or timezone.now()
    if not user_ids:
        return 0
    active_ids = list(User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True))
    UserInsightProfile.objects.filter(user_id__in=set(user_ids) - set(active_ids)).delete()
    if not active_ids:
        return 0
    ids = active_ids
    recent = now - RECENT_WINDOW

    declared: dict[int, dict[str, Any]] = {
        row["user_id"]: dict(row)
        for row in Profile.objects.filter(user_id__in=ids).values(
            "user_id", "birth_year", "gender", "region", "occupation", "declared_interests"
        )
    }

    events = Event.objects.filter(user_id__in=ids)
    activity: dict[int, dict[str, Any]] = {
        row["user_id"]: row
        for row in events.values("user_id").annotate(
            last=Max("occurred_at"),
            recent=Count("pk", filter=Q(occurred_at__gte=recent)),
            days=Count(TruncDate("occurred_at"), filter=Q(occurred_at__gte=recent), distinct=True),
        )
    }

    paid = Order.objects.filter(user_id__in=ids, status__in=PAID_STATUSES, currency=DEFAULT_CURRENCY)
    orders: dict[int, dict[str, Any]] = {
        row["user_id"]: row
        for row in paid.values("user_id").annotate(
            n=Count("pk", filter=~Q(status=Order.Status.REFUNDED)), spend=Sum(F("total") - F("refunded_total"))
        )
    }

    formats: dict[int, set[str]] = defaultdict(set)
    for user_id, fmt in (
        OrderLine.objects.filter(order__user_id__in=ids, order__status__in=PAID_STATUSES)
        .values_list("order__user_id", "format")
        .distinct()
    ):
        formats[user_id].add(fmt)
    for user_id, fmt in (
        OrderLineItem.objects.filter(line__order__user_id__in=ids, line__order__status__in=PAID_STATUSES)
        .values_list("line__order__user_id", "format")
        .distinct()
    ):
        formats[user_id].add(fmt)

    owned_courses = Entitlement.objects.filter(
        user_id__in=ids, revoked_at__isnull=True, product__kind=Product.Kind.COURSE
    )
    lesson_counts = dict(
        Lesson.objects.filter(course__product__in=owned_courses.values("product_id"))
        .values("course__product_id")
        .annotate(n=Count("pk"))
        .values_list("course__product_id", "n")
    )
    lessons_total: dict[int, int] = defaultdict(int)
    for user_id, product_id in owned_courses.values_list("user_id", "product_id").distinct():
        lessons_total[user_id] += lesson_counts.get(product_id, 0)
    lesson_events = events.filter(product__kind=Product.Kind.COURSE, context__has_key="lesson")
    opened: dict[int, int] = defaultdict(int)
    for lesson in lesson_events.values("user_id", "product_id", "context__lesson").distinct():
        opened[lesson["user_id"]] += 1
    completed: dict[int, int] = defaultdict(int)
    for lesson in (
        lesson_events.filter(Q(context__completed=True) | Q(context__progress__gte=0.9))
        .values("user_id", "product_id", "context__lesson")
        .distinct()
    ):
        completed[lesson["user_id"]] += 1

    weighted = events.filter(product__isnull=False, kind__in=list(KIND_WEIGHTS)).annotate(w=_kind_weight())
    reviews = Review.objects.filter(user_id__in=ids).annotate(w=F("rating") - 2)
    topic_scores = _scores_by_user(
        [
            *weighted.values("user_id", "product__topics")
            .annotate(s=Sum("w"))
            .values_list("user_id", "product__topics", "s"),
            *reviews.values("user_id", "product__topics")
            .annotate(s=Sum("w"))
            .values_list("user_id", "product__topics", "s"),
        ]
    )
    declared_slugs = {slug for values in declared.values() for slug in (values["declared_interests"] or [])}
    topic_by_slug = dict(Topic.objects.filter(slug__in=declared_slugs).values_list("slug", "pk"))
    for user_id, values in declared.items():
        for slug in values["declared_interests"] or []:
            if slug in topic_by_slug:
                topic_scores[user_id][topic_by_slug[slug]] += DECLARED_TOPIC_WEIGHT
    contributor_scores = _scores_by_user(
        [
            *weighted.values("user_id", "product__credits__contributor")
            .annotate(s=Sum("w"))
            .values_list("user_id", "product__credits__contributor", "s"),
            *reviews.values("user_id", "product__credits__contributor")
            .annotate(s=Sum("w"))
            .values_list("user_id", "product__credits__contributor", "s"),
        ]
    )
    partner_scores = _scores_by_user(
        [
            *weighted.values("user_id", "product__owner")
            .annotate(s=Sum("w"))
            .values_list("user_id", "product__owner", "s"),
            *reviews.values("user_id", "product__owner")
            .annotate(s=Sum("w"))
            .values_list("user_id", "product__owner", "s"),
        ]
    )
    labels = _labels(topic_scores, contributor_scores, partner_scores)

    today = timezone.localdate()
    rows = []
    for user_id in ids:
        d = declared.get(user_id, {})
        a = activity.get(user_id, {})
        o = orders.get(user_id, {})
        n_opened = opened.get(user_id, 0)
        rows.append(
            UserInsightProfile(
                user_id=user_id,
                age_band=age_band_for(birth_year=d.get("birth_year"), today=today),
                gender=d.get("gender") or "",
                region=d.get("region") or "",
                occupation=d.get("occupation") or "",
                last_active_at=a.get("last"),
                events_90d=a.get("recent", 0),
                active_days_90d=a.get("days", 0),
                orders_count=o.get("n", 0),
                spend=money_quantize(max(o.get("spend") or Decimal("0"), Decimal("0"))),
                currency=DEFAULT_CURRENCY,
                formats=sorted(formats.get(user_id, ())),
                lessons_total=lessons_total.get(user_id, 0),
                lessons_opened=n_opened,
                lessons_completed=min(completed.get(user_id, 0), n_opened),
                top_topics=_top(topic_scores.get(user_id, {}), labels["topic"]),
                top_contributors=_top(contributor_scores.get(user_id, {}), labels["contributor"]),
                top_partners=_top(partner_scores.get(user_id, {}), labels["partner"]),
                computed_at=now,
            )
        )
    UserInsightProfile.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=["user"], update_fields=PROFILE_FIELDS
    )
    return len(rows)


def _labels(
    topics: dict[int, dict[Any, float]],
    contributors: dict[int, dict[Any, float]],
    partners: dict[int, dict[Any, float]],
) -> dict[str, Callable[[Any], dict[str, Any]]]:
    """How each top entry names its thing (looked up once per chunk)."""
    from catalog.models import Contributor
    from users.models import Partner

    topic_ids = {k for scores in topics.values() for k in scores}
    contributor_ids = {k for scores in contributors.values() for k in scores}
    partner_ids = {k for scores in partners.values() for k in scores}
    topic_rows = {
        pk: {"id": pk, "slug": slug, "name": name, "name_en": name_en}
        for pk, slug, name, name_en in Topic.objects.filter(pk__in=topic_ids).values_list(
            "pk", "slug", "name", "name_en"
        )
    }
    contributor_rows = {
        pk: {"id": pk, "slug": slug, "name": name}
        for pk, slug, name in Contributor.objects.filter(pk__in=contributor_ids).values_list("pk", "slug", "name")
    }
    partner_rows = {
        pk: {"id": pk, "slug": slug, "name": name}
        for pk, slug, name in Partner.objects.filter(pk__in=partner_ids).values_list("pk", "slug", "name")
    }
    return {
        "topic": lambda key: topic_rows.get(key, {"id": key}),
        "contributor": lambda key: contributor_rows.get(key, {"id": key}),
        "partner": lambda key: partner_rows.get(key, {"id": key}),
    }


def profile_for_user(*, user: User) -> UserInsightProfile | None:
    return UserInsightProfile.objects.filter(user=user).first()


def profile_run_latest(*, user: User | None = None) -> ProfileRun | None:
    runs = ProfileRun.objects.order_by("-created_at", "-pk")
    if user is not None:
        runs = runs.filter(requested_by=user)
    return runs.first()
