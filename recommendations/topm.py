"""Every user's top-m list: computed in batches from the active model and written to the store.

For each chunk of users the current interactions are read (so activity since
training counts), scored in one batched matrix product, and the best ``m``
products kept, excluding what the user owns (entitlements), has bought or
reviewed, and anything that cannot be sold in the territory now (rights,
withdrawn). Users without any interaction get popularity within their declared
interests. Each product carries a reason: the product in the user's history it
is most similar to ("because you bought X"), else a topic the user follows,
else popularity.

A full refresh (after a promotion) splits users into id ranges of
``TOPM_CHUNK_USERS`` run as a Celery group; an incremental refresh recomputes
only the users with activity since the version's watermark.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from django.db.models import Q
from django.utils import timezone

from catalog.models import Review
from catalog.selectors import product_list_sellable
from commerce.models import Entitlement, OrderLine
from insights.models import Event
from recommendations.artifacts import ServingModel, serving_model_load
from recommendations.conf import recsys_setting
from recommendations.data import (
    LESSON_COMPLETED,
    PAID_STATUSES,
    interaction_records,
    interactions_from_records,
    one_hot,
    user_tokens,
)
from recommendations.ml.interactions import IdMap
from recommendations.models import ModelVersion
from recommendations.store import StoredItem, StoredList, topm_store
from users.models import User

logger = logging.getLogger("recommendations.topm")

# Which interaction names the reason, strongest first.
KIND_PRIORITY = (
    Event.Kind.PURCHASE,
    Event.Kind.RATING,
    LESSON_COMPLETED,
    Event.Kind.ADD_TO_CART,
    Event.Kind.PREVIEW,
    Event.Kind.CLICK,
    Event.Kind.VIEW,
)
REASON_FOR_KIND = {
    Event.Kind.PURCHASE: "because_bought",
    Event.Kind.RATING: "because_rated",
    LESSON_COMPLETED: "because_studied",
    Event.Kind.ADD_TO_CART: "because_carted",
    Event.Kind.PREVIEW: "because_previewed",
    Event.Kind.CLICK: "because_viewed",
    Event.Kind.VIEW: "because_viewed",
}


def user_exclusions(user_ids: Sequence[int]) -> dict[int, set[int]]:
    """Products each user must not be recommended: owned, bought (any paid line, print too) or reviewed."""
    out: dict[int, set[int]] = defaultdict(set)
    ids = list(user_ids)
    for user_id, product_id in Entitlement.objects.filter(user_id__in=ids, revoked_at__isnull=True).values_list(
        "user_id", "product_id"
    ):
        out[user_id].add(product_id)
    for user_id, product_id in OrderLine.objects.filter(
        order__user_id__in=ids, order__status__in=PAID_STATUSES
    ).values_list("order__user_id", "product_id"):
        out[user_id].add(product_id)
    for user_id, product_id in Review.objects.filter(user_id__in=ids).values_list("user_id", "product_id"):
        out[user_id].add(product_id)
    return out


def sellable_mask(items: IdMap, *, territory: str) -> np.ndarray:
    """True for every column whose product cannot be sold in ``territory`` now."""
    sellable = set(product_list_sellable(territory=territory).values_list("pk", flat=True))
    return np.fromiter((int(v) not in sellable for v in items.ids.tolist()), dtype=bool, count=len(items))


def _exclusion_matrix(users: Sequence[int], excluded: dict[int, set[int]], items: IdMap) -> sp.csr_matrix:
    rows, cols = [], []
    for row, user_id in enumerate(users):
        for product_id in excluded.get(user_id, ()):
            if product_id in items:
                rows.append(row)
                cols.append(items.index_of(product_id))
    data = np.ones(len(rows), dtype=np.float32)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(users), len(items)))


@dataclass(frozen=True)
class ChunkResult:
    users: int


def _strongest_kinds(
    records_users: list[int], records_items: list[int], kinds: list[str]
) -> dict[tuple[int, int], str]:
    rank = {kind: i for i, kind in enumerate(KIND_PRIORITY)}
    best: dict[tuple[int, int], str] = {}
    for user_id, product_id, kind in zip(records_users, records_items, kinds, strict=True):
        key = (user_id, product_id)
        if key not in best or rank.get(kind, 99) < rank.get(best[key], 99):
            best[key] = kind
    return best


def topm_compute(
    *, serving: ServingModel, user_ids: Sequence[int], m: int, territory: str, now: datetime | None = None
) -> list[StoredList]:
    """The top-``m`` lists of ``user_ids`` from ``serving`` (no store is touched)."""
    users = sorted({int(u) for u in user_ids})
    if not users:
        return []
    now = now or timezone.now()
    user_map = IdMap(np.asarray(users, dtype=np.int64))
    records = interaction_records(user_ids=users)
    rows = interactions_from_records(records, user_ids=user_map, item_ids=serving.items, now=now.timestamp()).matrix
    tokens, interests = user_tokens(users)
    vocabulary = serving.user_vocabulary
    user_features = one_hot(users, tokens, vocabulary) if vocabulary else None
    user_topics = one_hot(users, interests, serving.topic_vocabulary)
    excluded = user_exclusions(users)
    exclude = _exclusion_matrix(users, excluded, serving.items)
    blocked_items = sellable_mask(serving.items, territory=territory)
    strongest = _strongest_kinds(records.users, records.items, records.kinds)

    warm = np.flatnonzero(np.diff(rows.indptr) > 0)
    cold = np.flatnonzero(np.diff(rows.indptr) == 0)
    chosen: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if len(warm):
        top = serving.model.recommend(
            rows[warm],
            m,
            exclude=exclude[warm],
            exclude_items=blocked_items,
            exclude_seen=False,
            user_features=None if user_features is None else user_features[warm],
        )
        for i, row_index in enumerate(warm.tolist()):
            chosen[row_index] = (top.items[i], top.scores[i])
    if len(cold):
        top = serving.popularity.recommend(
            rows[cold],
            m,
            exclude=exclude[cold],
            exclude_items=blocked_items,
            exclude_seen=False,
            user_features=user_topics[cold],
        )
        for i, row_index in enumerate(cold.tolist()):
            chosen[row_index] = (top.items[i], top.scores[i])

    topic_slugs = serving.topic_slugs
    item_topics = serving.popularity.item_interests
    neighbours_t = sp.csr_matrix(serving.neighbours.T)  # row j: what j is similar to
    product_ids = serving.items.ids
    lists: list[StoredList] = []
    for row, user_id in enumerate(users):
        items, scores = chosen[row]
        history = rows.indices[rows.indptr[row] : rows.indptr[row + 1]]
        history_weights = rows.data[rows.indptr[row] : rows.indptr[row + 1]]
        interest_cols = set(user_topics.indices[user_topics.indptr[row] : user_topics.indptr[row + 1]].tolist())
        stored: list[StoredItem] = []
        for item, score in zip(items.tolist(), scores.tolist(), strict=True):
            if item < 0 or not np.isfinite(score):
                continue
            reason = _reason(
                item=item,
                history=history,
                history_weights=history_weights,
                neighbours_t=neighbours_t,
                product_ids=product_ids,
                user_id=user_id,
                strongest=strongest,
                interest_cols=interest_cols,
                item_topics=item_topics,
                topic_slugs=topic_slugs,
            )
            stored.append(StoredItem(product_id=int(product_ids[item]), score=float(score), reason=reason))
        lists.append(StoredList(user_id=user_id, model_version=serving.tag, items=stored, computed_at=now))
    return lists


def _reason(
    *,
    item: int,
    history: np.ndarray,
    history_weights: np.ndarray,
    neighbours_t: sp.csr_matrix,
    product_ids: np.ndarray,
    user_id: int,
    strongest: dict[tuple[int, int], str],
    interest_cols: set[int],
    item_topics: sp.csr_matrix | None,
    topic_slugs: list[str],
) -> dict[str, object]:
    if len(history):
        similar = neighbours_t[item]
        best, best_value = -1, 0.0
        lookup = dict(zip(similar.indices.tolist(), similar.data.tolist(), strict=True))
        for h, weight in zip(history.tolist(), history_weights.tolist(), strict=True):
            value = lookup.get(h, 0.0) * weight
            if value > best_value:
                best, best_value = h, value
        if best >= 0:
            source = int(product_ids[best])
            kind = strongest.get((user_id, source), Event.Kind.VIEW)
            return {"code": REASON_FOR_KIND.get(kind, "because_viewed"), "product": source}
    if item_topics is not None and item_topics.shape[0] > item:
        topics = item_topics.indices[item_topics.indptr[item] : item_topics.indptr[item + 1]].tolist()
        matched = [t for t in topics if t in interest_cols]
        if matched:
            return {"code": "popular_in_topic", "topic": topic_slugs[matched[-1]]}
        if not len(history) and topics:
            return {"code": "popular_in_topic", "topic": topic_slugs[topics[-1]]}
    return {"code": "similar_taste" if len(history) else "popular"}


# --- Refresh --------------------------------------------------------------------------------------------


def topm_user_ranges(*, chunk_size: int | None = None) -> list[tuple[int, int]]:
    """Inclusive user id ranges of at most ``chunk_size`` active users each, in id order."""
    size = int(chunk_size or recsys_setting("TOPM_CHUNK_USERS"))
    ids = list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


def topm_refresh_users(*, version: ModelVersion, user_ids: Sequence[int], now: datetime | None = None) -> ChunkResult:
    """Compute and store the lists of ``user_ids`` with ``version`` (idempotent: same input, same lists)."""
    serving = serving_model_load(version.artifact_path)
    territory = recsys_setting("TERRITORY")
    m = int(recsys_setting("TOPM_SIZE"))
    active_ids = list(User.objects.filter(pk__in=list(user_ids), is_active=True).values_list("pk", flat=True))
    lists = topm_compute(serving=serving, user_ids=active_ids, m=m, territory=territory, now=now)
    topm_store().write_many(lists)
    gone = sorted({int(u) for u in user_ids} - set(active_ids))
    if gone:
        topm_store().delete(gone)
    return ChunkResult(users=len(lists))


def topm_refresh_range(*, version: ModelVersion, first_user_id: int, last_user_id: int) -> ChunkResult:
    ids = list(
        User.objects.filter(pk__gte=first_user_id, pk__lte=last_user_id, is_active=True).values_list("pk", flat=True)
    )
    return topm_refresh_users(version=version, user_ids=ids)


def topm_refresh_finish(*, version: ModelVersion, started_at: datetime, users: int) -> None:
    """Record that every list of ``version`` is current up to ``started_at`` (the incremental watermark)."""
    ModelVersion.objects.filter(pk=version.pk).update(topm_refreshed_at=started_at, topm_users=users)


def topm_users_changed(*, since: datetime, until: datetime) -> set[int]:
    """Users with anything the lists are computed from recorded in [since, until)."""
    from insights.profiles import users_changed_between

    return users_changed_between(since=since, until=until)


def topm_refresh_incremental(*, version: ModelVersion, now: datetime | None = None) -> int:
    """Recompute the lists of users with activity since the version's watermark; returns how many.

    The watermark moves with a conditional update, so two overlapping sweeps
    do not both move it (the later one recomputes a few users again, harmlessly)."""
    since = version.topm_refreshed_at
    if since is None:
        return 0
    until = now or timezone.now()
    users = sorted(topm_users_changed(since=since, until=until))
    size = int(recsys_setting("TOPM_CHUNK_USERS"))
    for start in range(0, len(users), size):
        topm_refresh_users(version=version, user_ids=users[start : start + size], now=until)
    ModelVersion.objects.filter(Q(pk=version.pk), Q(topm_refreshed_at=since)).update(topm_refreshed_at=until)
    return len(users)
