"""The recommender's view of the database: interactions, user features and product features.

Interactions come from four places, each with its kind's weight
(``RECOMMENDER["KIND_WEIGHTS"]``) and time decay (``HALF_LIFE_DAYS``):

- paid order lines (``purchase``), and each item of a bought bundle;
  a line refunded in full no longer counts;
- reviews (``rating``), scaled by the stars: 5 counts fully, 3 a third,
  2 or fewer not at all (a low rating is no reason to recommend similar things);
- behaviour events of logged-in users: ``view``, ``click``, ``add_to_cart``,
  ``preview``, and ``lesson_completed`` for a course event whose context says
  ``completed: true`` or ``progress`` ≥ 0.9 (as ``insights.profiles`` counts it);
  purchase and rating events are skipped, orders and reviews already count.

A :class:`Snapshot` is the data's watermark (largest ids and latest changes of
every source). Reading "up to a snapshot" takes only rows with ids at or below
its watermark, so the same snapshot always gives the same matrix.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from catalog.models import Product, ProductContributor, Review, Topic, Variant
from catalog.selectors import product_list_sellable
from commerce.models import Entitlement, Order, OrderLine, OrderLineItem
from insights.models import Event
from recommendations.conf import recsys_setting
from recommendations.ml.interactions import IdMap, InteractionMatrix, WeightScheme, interactions_build
from users.models import Profile, User

PAID_STATUSES = (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED)
EVENT_KINDS = (Event.Kind.VIEW, Event.Kind.CLICK, Event.Kind.ADD_TO_CART, Event.Kind.PREVIEW)
LESSON_COMPLETED = "lesson_completed"
PRICE_BANDS = (Decimal("50"), Decimal("100"), Decimal("200"), Decimal("500"))
READ_CHUNK = 20_000


# --- Snapshot ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    watermark: dict[str, Any]
    digest: str

    @property
    def max_order_line(self) -> int:
        return int(self.watermark["order_lines"]["max_id"] or 0)

    @property
    def max_review(self) -> int:
        return int(self.watermark["reviews"]["max_id"] or 0)

    @property
    def max_event(self) -> int:
        return int(self.watermark["events"]["max_id"] or 0)


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def snapshot_take() -> Snapshot:
    """The watermark of everything the recommender reads, and its digest (a few aggregate queries)."""
    lines = OrderLine.objects.filter(order__status__in=PAID_STATUSES).aggregate(max_id=Max("pk"), n=Count("pk"))
    orders = Order.objects.aggregate(changed=Max("updated_at"))
    reviews = Review.objects.aggregate(max_id=Max("pk"), n=Count("pk"), changed=Max("updated_at"))
    events = Event.objects.filter(user__isnull=False, kind__in=EVENT_KINDS).aggregate(max_id=Max("pk"), n=Count("pk"))
    products = Product.objects.aggregate(n=Count("pk"), changed=Max("updated_at"))
    profiles = Profile.objects.aggregate(changed=Max("updated_at"))
    revoked = Entitlement.objects.filter(revoked_at__isnull=False).count()
    watermark = {
        "order_lines": {"max_id": lines["max_id"], "n": lines["n"], "orders_changed": _stamp(orders["changed"])},
        "reviews": {"max_id": reviews["max_id"], "n": reviews["n"], "changed": _stamp(reviews["changed"])},
        "events": {"max_id": events["max_id"], "n": events["n"]},
        "products": {"n": products["n"], "changed": _stamp(products["changed"])},
        "profiles": {"changed": _stamp(profiles["changed"])},
        "entitlements_revoked": revoked,
    }
    text = json.dumps(watermark, sort_keys=True, separators=(",", ":"))
    return Snapshot(watermark=watermark, digest=hashlib.sha256(text.encode()).hexdigest())


# --- Interactions --------------------------------------------------------------------------------------


@dataclass
class Records:
    """Parallel columns of interaction records."""

    users: list[int]
    items: list[int]
    weights: list[float]
    kinds: list[str]
    stamps: list[float]

    @classmethod
    def empty(cls) -> Records:
        return cls([], [], [], [], [])

    def add(self, user: int, item: int, weight: float, kind: str, at: datetime | None) -> None:
        self.users.append(user)
        self.items.append(item)
        self.weights.append(weight)
        self.kinds.append(kind)
        self.stamps.append(at.timestamp() if at else 0.0)

    def __len__(self) -> int:
        return len(self.users)


def _rating_weight(stars: int) -> float:
    return max(stars - 2, 0) / 3.0


def _is_completion(context: Any) -> bool:
    if not isinstance(context, dict):
        return False
    if context.get("completed") is True:
        return True
    progress = context.get("progress")
    return isinstance(progress, int | float) and progress >= 0.9


def interaction_records(*, snapshot: Snapshot | None = None, user_ids: Iterable[int] | None = None) -> Records:
    """Every interaction up to ``snapshot`` (all when ``None``), of ``user_ids`` only when given."""
    records = Records.empty()
    users_q = Q() if user_ids is None else Q(pk__in=list(user_ids))
    line_filter = Q(order__status__in=PAID_STATUSES, order__user__in=User.objects.filter(users_q).values("pk"))
    if snapshot is not None:
        line_filter &= Q(pk__lte=snapshot.max_order_line)
    lines = (
        OrderLine.objects.filter(line_filter)
        .values_list("pk", "order__user_id", "product_id", "order__paid_at", "price_paid", "refunded_amount")
        .order_by()
    )
    kept_lines: list[int] = []
    for pk, user_id, product_id, paid_at, paid, refunded in lines.iterator(chunk_size=READ_CHUNK):
        if paid > 0 and refunded >= paid:
            continue
        kept_lines.append(pk)
        records.add(user_id, product_id, 1.0, Event.Kind.PURCHASE, paid_at)
    if kept_lines:
        items = OrderLineItem.objects.filter(line_id__in=kept_lines).values_list(
            "line__order__user_id", "product_id", "line__order__paid_at", "share", "refunded_amount"
        )
        for user_id, product_id, paid_at, share, refunded in items.iterator(chunk_size=READ_CHUNK):
            if share > 0 and refunded >= share:
                continue
            records.add(user_id, product_id, 1.0, Event.Kind.PURCHASE, paid_at)

    review_filter = Q(user__in=User.objects.filter(users_q).values("pk")) if user_ids is not None else Q()
    if snapshot is not None:
        review_filter &= Q(pk__lte=snapshot.max_review)
    for user_id, product_id, stars, at in (
        Review.objects.filter(review_filter).values_list("user_id", "product_id", "rating", "updated_at").order_by()
    ).iterator(chunk_size=READ_CHUNK):
        weight = _rating_weight(stars)
        if weight > 0:
            records.add(user_id, product_id, weight, Event.Kind.RATING, at)

    event_filter = Q(user__isnull=False, product__isnull=False, kind__in=EVENT_KINDS)
    if user_ids is not None:
        event_filter &= Q(user_id__in=list(user_ids))
    if snapshot is not None:
        event_filter &= Q(pk__lte=snapshot.max_event)
    events = (
        Event.objects.filter(event_filter)
        .values_list("user_id", "product_id", "kind", "occurred_at", "context", "product__kind")
        .order_by()
    )
    for user_id, product_id, kind, at, context, product_kind in events.iterator(chunk_size=READ_CHUNK):
        if product_kind == Product.Kind.COURSE and _is_completion(context):
            kind = LESSON_COMPLETED
        records.add(user_id, product_id, 1.0, kind, at)
    return records


def weight_scheme() -> WeightScheme:
    half_life = recsys_setting("HALF_LIFE_DAYS")
    return WeightScheme(
        kind_weights=dict(recsys_setting("KIND_WEIGHTS")),
        default_kind_weight=None,
        half_life_days=float(half_life) if half_life else None,
        cap=float(recsys_setting("CELL_CAP")) if recsys_setting("CELL_CAP") else None,
    )


def interactions_from_records(
    records: Records, *, user_ids: IdMap | None = None, item_ids: IdMap | None = None, now: float | None = None
) -> InteractionMatrix:
    """The weighted users × products matrix of ``records``.

    With fixed ``item_ids`` (a trained model's columns) records of other
    products are dropped, so new products do not break scoring. Decay is
    measured back from ``now`` (seconds; default: the newest record)."""
    users = np.asarray(records.users, dtype=np.int64)
    items = np.asarray(records.items, dtype=np.int64)
    weights = np.asarray(records.weights, dtype=np.float64)
    kinds = np.asarray(records.kinds if records.kinds else [], dtype=str)
    stamps = np.asarray(records.stamps, dtype=np.float64)
    keep = np.ones(len(users), dtype=bool)
    if item_ids is not None:
        keep &= np.fromiter((v in item_ids for v in items.tolist()), dtype=bool, count=len(items))
    if user_ids is not None:
        keep &= np.fromiter((v in user_ids for v in users.tolist()), dtype=bool, count=len(users))
    if not keep.any():
        # The core's builder needs at least one record when it keeps timestamps.
        user_map = user_ids or IdMap(np.asarray([], dtype=np.int64))
        item_map = item_ids or IdMap(np.asarray([], dtype=np.int64))
        empty = sp.csr_matrix((len(user_map), len(item_map)), dtype=np.float32)
        return InteractionMatrix(matrix=empty, users=user_map, items=item_map)
    scheme = weight_scheme()
    if now is not None:
        scheme = WeightScheme(
            kind_weights=scheme.kind_weights,
            default_kind_weight=scheme.default_kind_weight,
            half_life_days=scheme.half_life_days,
            cap=scheme.cap,
            now=now,
        )
    return interactions_build(
        users=users[keep],
        items=items[keep],
        weights=weights[keep],
        kinds=kinds[keep] if len(kinds) else np.asarray([], dtype=str),
        timestamps=stamps[keep],
        scheme=scheme,
        user_ids=user_ids,
        item_ids=item_ids,
    )


# --- Features ----------------------------------------------------------------------------------------


def _price_band(price: Decimal | None) -> str:
    if price is None:
        return "none"
    for i, bound in enumerate(PRICE_BANDS):
        if price < bound:
            return str(i)
    return str(len(PRICE_BANDS))


def _topic_ancestors() -> dict[int, list[str]]:
    """Each topic's slug with the slugs of every topic above it."""
    rows = {pk: (slug, parent) for pk, slug, parent in Topic.objects.values_list("pk", "slug", "parent_id")}
    out: dict[int, list[str]] = {}
    for pk in rows:
        chain, seen, current = [], set(), pk
        while current is not None and current in rows and current not in seen:
            seen.add(current)
            slug, parent = rows[current]
            chain.append(slug)
            current = parent
        out[pk] = chain
    return out


def product_tokens(product_ids: Sequence[int]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Per product: its feature tokens (kind, formats, topics, owner, contributors, language,
    price band) and its topic slugs (with ancestors)."""
    ids = list(product_ids)
    tokens: dict[int, list[str]] = defaultdict(list)
    topics: dict[int, list[str]] = defaultdict(list)
    for pk, kind, owner, language in Product.objects.filter(pk__in=ids).values_list(
        "pk", "kind", "owner_id", "language"
    ):
        tokens[pk] += [f"kind:{kind}", f"owner:{owner}", f"language:{language}"]
    prices = dict(
        Variant.objects.filter(product_id__in=ids, is_active=True)
        .values("product_id")
        .annotate(low=Min("price"))
        .values_list("product_id", "low")
    )
    for pk in ids:
        tokens[pk].append(f"price:{_price_band(prices.get(pk))}")
    for pk, fmt in Variant.objects.filter(product_id__in=ids, is_active=True).values_list("product_id", "format"):
        tokens[pk].append(f"format:{fmt}")
    ancestors = _topic_ancestors()
    for pk, topic_id in Product.topics.through.objects.filter(product_id__in=ids).values_list("product_id", "topic_id"):
        for slug in ancestors.get(topic_id, []):
            if slug not in topics[pk]:
                topics[pk].append(slug)
                tokens[pk].append(f"topic:{slug}")
    for pk, contributor in ProductContributor.objects.filter(product_id__in=ids).values_list(
        "product_id", "contributor_id"
    ):
        tokens[pk].append(f"contributor:{contributor}")
    return tokens, topics


def user_tokens(user_ids: Sequence[int]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Per user: profile tokens (age band, gender, region, occupation, declared and inferred
    interests) and interest topic slugs (declared, plus the insight profile's top topics)."""
    from insights.privacy_models import UserInsightProfile, age_band_for

    ids = list(user_ids)
    tokens: dict[int, list[str]] = defaultdict(list)
    interests: dict[int, list[str]] = defaultdict(list)
    for user_id, birth_year, gender, region, occupation, declared in Profile.objects.filter(
        user_id__in=ids
    ).values_list("user_id", "birth_year", "gender", "region", "occupation", "declared_interests"):
        band = age_band_for(birth_year=birth_year)
        for name, value in (("age", band), ("gender", gender), ("region", region), ("occupation", occupation)):
            if value:
                tokens[user_id].append(f"{name}:{str(value).strip().lower()[:40]}")
        for slug in declared if isinstance(declared, list) else []:
            if isinstance(slug, str) and slug not in interests[user_id]:
                interests[user_id].append(slug)
    for user_id, top in UserInsightProfile.objects.filter(user_id__in=ids).values_list("user_id", "top_topics"):
        for entry in top if isinstance(top, list) else []:
            slug = entry.get("slug") if isinstance(entry, dict) else None
            if isinstance(slug, str) and slug not in interests[user_id]:
                interests[user_id].append(slug)
    for user_id, slugs in interests.items():
        tokens[user_id] += [f"interest:{slug}" for slug in slugs]
    return tokens, interests


def one_hot(rows: Sequence[int], tokens: dict[int, list[str]], vocabulary: dict[str, int]) -> sp.csr_matrix:
    """A ``len(rows) × len(vocabulary)`` 0/1 matrix; tokens outside the vocabulary are ignored."""
    indptr, indices = [0], []
    for row in rows:
        columns = sorted({vocabulary[t] for t in tokens.get(row, []) if t in vocabulary})
        indices.extend(columns)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sp.csr_matrix((data, np.asarray(indices, dtype=np.int64), indptr), shape=(len(rows), len(vocabulary)))


def vocabulary_of(tokens: dict[int, list[str]]) -> dict[str, int]:
    return {token: i for i, token in enumerate(sorted({t for values in tokens.values() for t in values}))}


# --- The training dataset ----------------------------------------------------------------------------


@dataclass
class Dataset:
    """Everything a training run fits on, rows and columns aligned with ``interactions``."""

    interactions: InteractionMatrix
    item_features: sp.csr_matrix
    item_vocabulary: dict[str, int]
    user_features: sp.csr_matrix
    user_vocabulary: dict[str, int]
    topic_vocabulary: dict[str, int]
    item_topics: sp.csr_matrix
    user_topics: sp.csr_matrix
    newest: float

    @property
    def n_users(self) -> int:
        return self.interactions.shape[0]

    @property
    def n_items(self) -> int:
        return self.interactions.shape[1]


def dataset_build(*, snapshot: Snapshot | None = None, territory: str | None = None) -> Dataset:
    """The interaction matrix of every user with an interaction, over every product that has one
    or can be sold now, with their features."""
    records = interaction_records(snapshot=snapshot)
    territory = territory or recsys_setting("TERRITORY")
    sellable = set(product_list_sellable(territory=territory).values_list("pk", flat=True))
    item_ids = IdMap(np.asarray(sorted(set(records.items) | sellable), dtype=np.int64))
    user_ids = IdMap(np.asarray(sorted(set(records.users)), dtype=np.int64))
    newest = max(records.stamps, default=timezone.now().timestamp())
    interactions = interactions_from_records(records, user_ids=user_ids, item_ids=item_ids, now=newest)

    items = [int(v) for v in item_ids.ids.tolist()]
    users = [int(v) for v in user_ids.ids.tolist()]
    item_tok, item_topic_slugs = product_tokens(items)
    user_tok, user_interest_slugs = user_tokens(users)
    item_vocabulary = vocabulary_of(item_tok)
    user_vocabulary = vocabulary_of(user_tok)
    topic_vocabulary = vocabulary_of({**{-1: []}, **item_topic_slugs})
    return Dataset(
        interactions=interactions,
        item_features=one_hot(items, item_tok, item_vocabulary),
        item_vocabulary=item_vocabulary,
        user_features=one_hot(users, user_tok, user_vocabulary),
        user_vocabulary=user_vocabulary,
        topic_vocabulary=topic_vocabulary,
        item_topics=one_hot(items, item_topic_slugs, topic_vocabulary),
        user_topics=one_hot(users, user_interest_slugs, topic_vocabulary),
        newest=float(newest),
    )
