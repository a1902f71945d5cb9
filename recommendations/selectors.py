"""Reads for serving recommendations: a user's list, similar products, companions, and the fallback.

What the storefront calls: :func:`recommendations_for_user` for its rows (home,
product, cart), :func:`similar_products` and :func:`companions_for_product` on a
product page. None of them records impressions (the storefront's rows do,
through the browser beacon, with ``model`` and ``slot``; the API records its own
with ``services_serving.recommendation_impressions_record``). None of them
raises when the top-m store is down: the list comes from the popularity
fallback instead, with ``source == "fallback"``.

A list's ``rec_param`` is what the storefront appends to each product link
(``?rec=<model version>:<slot>``) so that a purchase can be attributed to it
(see ``recommendations.attribution``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import BundleItem, Product, Topic
from catalog.selectors import product_list_public, topic_descendant_ids
from commerce.models import Entitlement, OrderLine
from commerce.selectors import entitlement_product_ids
from recommendations.artifacts import ItemNeighbours, item_neighbours_load
from recommendations.attribution import rec_param_format
from recommendations.conf import recsys_setting
from recommendations.data import PAID_STATUSES
from recommendations.errors import TopMStoreUnavailable
from recommendations.models import ModelVersion, TrainingRun
from recommendations.store import StoredItem, topm_store
from users.models import Profile, User

logger = logging.getLogger("recommendations.serving")

FALLBACK_VERSION = "popularity"
POPULAR_WINDOW = timedelta(days=90)
MAX_M = 50


@dataclass(frozen=True)
class Recommendation:
    product: Product
    position: int
    score: float
    reason_code: str
    reason: str


@dataclass(frozen=True)
class RecommendationList:
    items: list[Recommendation]
    model_version: str
    slot: str
    # "model" when read from the top-m store or the active model; "fallback" for popularity.
    source: str
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def products(self) -> list[Product]:
        return [item.product for item in self.items]

    @property
    def product_ids(self) -> list[int]:
        return [item.product.pk for item in self.items]

    @property
    def rec_param(self) -> str:
        return rec_param_format(model_version=self.model_version, slot=self.slot)

    @property
    def is_fallback(self) -> bool:
        return self.source == "fallback"


def m_clean(m: int | None) -> int:
    size = min(MAX_M, int(recsys_setting("TOPM_SIZE")))
    return max(1, min(int(m or 10), size))


def model_version_active() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).first()


# --- Reasons ---------------------------------------------------------------------------------------------


def reason_text(reason: dict[str, object], *, titles: dict[int, str], topics: dict[str, str]) -> str:
    """The short, translated sentence that says why a product is recommended."""
    code = str(reason.get("code", "popular"))
    product = reason.get("product")
    title = titles.get(int(product), "") if isinstance(product, int) else ""
    topic = topics.get(str(reason.get("topic", "")), "")
    count = reason.get("count")
    if title:
        messages = {
            "because_bought": _("Because you bought «%(title)s»"),
            "because_rated": _("Because you rated «%(title)s» highly"),
            "because_studied": _("Because you studied «%(title)s»"),
            "because_carted": _("Because you put «%(title)s» in your cart"),
            "because_previewed": _("Because you previewed «%(title)s»"),
            "because_viewed": _("Because you looked at «%(title)s»"),
            "similar_to": _("Often chosen with «%(title)s»"),
            "companion": _("Goes well with «%(title)s»"),
        }
        if code == "bought_together" and isinstance(count, int):
            return _("Learners who bought «%(title)s» also bought this (%(count)d)") % {"title": title, "count": count}
        if code in messages:
            return messages[code] % {"title": title}
    if code == "popular_in_topic" and topic:
        return _("Popular in %(topic)s") % {"topic": topic}
    if code == "similar_taste":
        return _("Chosen by learners with tastes like yours")
    return _("Popular on Zhiqiao")


def _reason_lookups(reasons: Iterable[dict[str, object]]) -> tuple[dict[int, str], dict[str, str]]:
    reasons = list(reasons)
    product_ids = {r["product"] for r in reasons if isinstance(r.get("product"), int)}
    slugs = {str(r["topic"]) for r in reasons if r.get("topic")}
    titles = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "title")) if product_ids else {}
    topics = {t.slug: t.display_name for t in Topic.objects.filter(slug__in=slugs)} if slugs else {}
    return titles, topics


def _products_in_order(ids: Sequence[int], *, territory: str) -> dict[int, Product]:
    """Sellable products among ``ids``, ready for cards (price, owner, credits, topics)."""
    return {p.pk: p for p in product_list_public(territory=territory).filter(pk__in=list(ids))}


def _build(
    stored: Sequence[StoredItem], *, territory: str, excluded: set[int], m: int
) -> list[tuple[Product, StoredItem]]:
    products = _products_in_order([s.product_id for s in stored], territory=territory)
    kept: list[tuple[Product, StoredItem]] = []
    for item in stored:
        product = products.get(item.product_id)
        if product is None or item.product_id in excluded:
            continue
        kept.append((product, item))
        if len(kept) == m:
            break
    return kept


def _as_list(
    pairs: Sequence[tuple[Product, StoredItem]], *, model_version: str, slot: str, source: str
) -> RecommendationList:
    titles, topics = _reason_lookups([item.reason for _p, item in pairs])
    return RecommendationList(
        items=[
            Recommendation(
                product=product,
                position=i,
                score=item.score,
                reason_code=str(item.reason.get("code", "popular")),
                reason=reason_text(item.reason, titles=titles, topics=topics),
            )
            for i, (product, item) in enumerate(pairs, start=1)
        ],
        model_version=model_version,
        slot=slot,
        source=source,
    )


# --- Popularity fallback ------------------------------------------------------------------------------


def user_interest_slugs(user: User | None) -> list[str]:
    if user is None or not user.is_authenticated:
        return []
    declared = Profile.objects.filter(user=user).values_list("declared_interests", flat=True).first() or []
    return [s for s in declared if isinstance(s, str)]


def product_list_popular(*, territory: str, interests: Sequence[str] = ()) -> QuerySet[Product]:
    """Sellable products, the user's interests first (with every topic below them), then by sales
    in the last 90 days, then by ratings."""
    since = timezone.now() - POPULAR_WINDOW
    sales = (
        OrderLine.objects.filter(product=OuterRef("pk"), order__status__in=PAID_STATUSES, order__paid_at__gte=since)
        .values("product")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = product_list_public(territory=territory).annotate(
        recent_sales=Coalesce(Subquery(sales, output_field=IntegerField()), Value(0))
    )
    topic_ids = [pk for slug in interests for pk in topic_descendant_ids(slug=slug)]
    if topic_ids:
        matching = Product.topics.through.objects.filter(product_id=OuterRef("pk"), topic_id__in=topic_ids)
        queryset = queryset.annotate(interest_match=Exists(matching))
        return queryset.order_by("-interest_match", "-recent_sales", "-rating_count", "-rating_average", "-pk")
    return queryset.order_by("-recent_sales", "-rating_count", "-rating_average", "-pk")


def _fallback_items(
    *, user: User | None, territory: str, excluded: set[int], m: int
) -> list[tuple[Product, StoredItem]]:
    interests = user_interest_slugs(user)
    topic_of: dict[int, str] = {}
    candidates = list(product_list_popular(territory=territory, interests=interests).exclude(pk__in=excluded)[:m])
    if interests:
        wanted = {pk: slug for slug in interests for pk in topic_descendant_ids(slug=slug)}
        for product in candidates:
            for topic in product.topics.all():
                if topic.pk in wanted and product.pk not in topic_of:
                    topic_of[product.pk] = topic.slug
    out = []
    for product in candidates:
        reason: dict[str, object] = {"code": "popular"}
        if product.pk in topic_of:
            reason = {"code": "popular_in_topic", "topic": topic_of[product.pk]}
        out.append((product, StoredItem(product_id=product.pk, score=0.0, reason=reason)))
    return out


# --- A user's list -----------------------------------------------------------------------------------


def recommendations_for_user(
    *, user: User | None, m: int = 10, slot: str = "home", territory: str | None = None
) -> RecommendationList:
    """Up to ``m`` products for ``user`` from their stored list, sellable in ``territory`` now and not
    owned; topped up, or replaced when there is no list or the store is down, by popularity within
    their declared interests. Never raises for a store failure. Anonymous visitors get popularity."""
    m = m_clean(m)
    territory = territory or recsys_setting("TERRITORY")
    excluded = entitlement_product_ids(user) if user is not None and user.is_authenticated else set()
    stored = None
    if user is not None and user.is_authenticated:
        try:
            stored = topm_store().read(user.pk)
        except TopMStoreUnavailable as exc:
            logger.warning("top-m store unavailable, serving popularity: %s", exc)
    if stored is not None and stored.items:
        pairs = _build(stored.items, territory=territory, excluded=excluded, m=m)
        if len(pairs) < m:
            have = excluded | {p.pk for p, _i in pairs}
            pairs += _fallback_items(user=user, territory=territory, excluded=have, m=m - len(pairs))
        return _as_list(pairs, model_version=stored.model_version, slot=slot, source="model")
    pairs = _fallback_items(user=user, territory=territory, excluded=excluded, m=m)
    return _as_list(pairs, model_version=FALLBACK_VERSION, slot=slot, source="fallback")


# --- Similar products and companions ----------------------------------------------------------------


def _neighbours() -> tuple[ItemNeighbours | None, str]:
    version = model_version_active()
    if version is None:
        return None, FALLBACK_VERSION
    try:
        return item_neighbours_load(version.artifact_path), version.tag
    except (OSError, ValueError, KeyError) as exc:
        logger.warning("artifact of %s unreadable, similar items fall back to topics: %s", version.tag, exc)
        return None, FALLBACK_VERSION


def _similar_scores(product: Product, neighbours: ItemNeighbours | None) -> dict[int, float]:
    if neighbours is None or product.pk not in neighbours.items:
        return {}
    column = neighbours.neighbours[:, neighbours.items.index_of(product.pk)]
    column = column.tocoo()
    ids = neighbours.items.ids
    return {int(ids[row]): float(value) for row, value in zip(column.row, column.data, strict=True) if value > 0}


def _same_topic(product: Product, *, territory: str, excluded: set[int], m: int) -> list[Product]:
    topic_ids = list(product.topics.values_list("pk", flat=True))
    if not topic_ids:
        return []
    return list(
        product_list_popular(territory=territory)
        .filter(topics__in=topic_ids)
        .exclude(pk__in=excluded | {product.pk})
        .distinct()[:m]
    )


def similar_products(
    *,
    product: Product,
    m: int = 10,
    slot: str = "product_similar",
    territory: str | None = None,
    user: User | None = None,
) -> RecommendationList:
    """Products most like ``product`` (item–item similarity of the active model), sellable and not
    owned by ``user``; topped up by popular products sharing a topic."""
    m = m_clean(m)
    territory = territory or recsys_setting("TERRITORY")
    excluded = (entitlement_product_ids(user) if user is not None else set()) | {product.pk}
    neighbours, version = _neighbours()
    scores = _similar_scores(product, neighbours)
    ranked = sorted((pid for pid in scores if pid not in excluded), key=lambda pid: (-scores[pid], pid))
    available = _products_in_order(ranked[: m * 3], territory=territory)
    pairs = [
        (available[pid], StoredItem(pid, scores[pid], {"code": "similar_to", "product": product.pk}))
        for pid in ranked
        if pid in available
    ][:m]
    source = "model" if pairs else "fallback"
    if len(pairs) < m:
        have = excluded | {p.pk for p, _i in pairs}
        for other in _same_topic(product, territory=territory, excluded=have, m=m - len(pairs)):
            slug = next((t.slug for t in other.topics.all()), "")
            pairs.append((other, StoredItem(other.pk, 0.0, {"code": "popular_in_topic", "topic": slug})))
    return _as_list(pairs, model_version=version if source == "model" else FALLBACK_VERSION, slot=slot, source=source)


@dataclass(frozen=True)
class Companion:
    product: Product
    position: int
    score: float
    reason: str
    bought_together: int
    # A sellable bundle that holds both products, when the catalogue has one.
    bundle: Product | None


@dataclass(frozen=True)
class CompanionList:
    product: Product
    items: list[Companion]
    model_version: str
    slot: str

    @property
    def rec_param(self) -> str:
        return rec_param_format(model_version=self.model_version, slot=self.slot)


def companion_kind(product: Product) -> str | None:
    """Courses are completed with books, books with courses; bundles are complete already."""
    return {Product.Kind.COURSE: Product.Kind.BOOK, Product.Kind.BOOK: Product.Kind.COURSE}.get(
        Product.Kind(product.kind)
    )


def companions_for_product(
    *,
    product: Product,
    m: int = 3,
    slot: str = "product_complete",
    territory: str | None = None,
    user: User | None = None,
) -> CompanionList:
    """ "Complete it with": the best companions of the other kind (a course's books, a book's courses).

    Scored by how many learners own both (co-purchase), plus the active model's
    item–item similarity, with shared topics breaking ties; each with an existing
    bundle that holds both when there is one."""
    m = max(1, min(int(m or 3), 10))
    territory = territory or recsys_setting("TERRITORY")
    kind = companion_kind(product)
    neighbours, version = _neighbours()
    if kind is None:
        return CompanionList(product=product, items=[], model_version=version, slot=slot)
    excluded = (entitlement_product_ids(user) if user is not None else set()) | {product.pk}
    owners = Entitlement.objects.filter(product=product, revoked_at__isnull=True).values("user_id")
    together = dict(
        Entitlement.objects.filter(user_id__in=owners, revoked_at__isnull=True, product__kind=kind)
        .exclude(product=product)
        .values("product_id")
        .annotate(n=Count("user_id", distinct=True))
        .values_list("product_id", "n")
    )
    similarity = _similar_scores(product, neighbours)
    topic_ids = set(product.topics.values_list("pk", flat=True))
    candidates = product_list_public(territory=territory).filter(kind=kind).exclude(pk__in=excluded)
    candidates = candidates.filter(
        Q(pk__in=list(together)) | Q(pk__in=list(similarity)) | Q(topics__in=topic_ids)
    ).distinct()
    most = max(together.values(), default=0)
    scored: list[tuple[float, int, Product]] = []
    for candidate in candidates:
        shared = len(topic_ids & {t.pk for t in candidate.topics.all()})
        score = (together.get(candidate.pk, 0) / most if most else 0.0) + similarity.get(candidate.pk, 0.0)
        score += 0.01 * shared
        scored.append((score, candidate.pk, candidate))
    scored.sort(key=lambda row: (-row[0], row[1]))
    chosen = scored[:m]
    bundles = _bundles_holding(product, [c.pk for _s, _pk, c in chosen], territory=territory)
    titles = {product.pk: product.title}
    items = []
    for i, (score, pk, candidate) in enumerate(chosen, start=1):
        count = together.get(pk, 0)
        reason: dict[str, object] = (
            {"code": "bought_together", "product": product.pk, "count": count}
            if count
            else {"code": "companion", "product": product.pk}
        )
        items.append(
            Companion(
                product=candidate,
                position=i,
                score=round(score, 6),
                reason=reason_text(reason, titles=titles, topics={}),
                bought_together=count,
                bundle=bundles.get(pk),
            )
        )
    source_version = version if (together or similarity) and items else FALLBACK_VERSION
    return CompanionList(product=product, items=items, model_version=source_version, slot=slot)


def _bundles_holding(product: Product, others: Sequence[int], *, territory: str) -> dict[int, Product]:
    """For each of ``others``, a sellable bundle containing both it and ``product``."""
    if not others:
        return {}
    with_product = BundleItem.objects.filter(variant__product=product).values("bundle_id")
    rows = BundleItem.objects.filter(bundle_id__in=with_product, variant__product_id__in=list(others)).values_list(
        "variant__product_id", "bundle_id"
    )
    bundle_ids = {b for _o, b in rows}
    sellable = {p.pk: p for p in product_list_public(territory=territory).filter(pk__in=bundle_ids)}
    found: dict[int, Product] = {}
    for other, bundle_id in rows:
        if bundle_id in sellable and other not in found:
            found[other] = sellable[bundle_id]
    return found


# --- Dashboard reads -------------------------------------------------------------------------------


def training_run_list() -> QuerySet[TrainingRun]:
    return TrainingRun.objects.select_related("requested_by", "model_version").order_by("-created_at", "-pk")


def model_version_list() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("run").order_by("-created_at", "-pk")
