"""Conversion funnels for platform staff: what each campaign, partner, channel,
recommendation model and product turned into.

Per group, over a period: people who reached it (distinct accounts and
anonymous visitors with a view — for a recommendation model, an impression or
click carrying its version), people who added to cart, paid orders and their
revenue, refunds; from these the conversion rate (orders per person reached),
the average order value (revenue per order) and the refund rate (refunded per
revenue). Orders are read from order lines, which carry their attribution, so
nothing is guessed. A time series (per day or week) feeds the chart.

These figures are for platform staff only (not anonymised: never show them to partners).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from commerce.models import OrderLine
from core.errors import DomainError
from insights.models import Event
from insights.profiles import PAID_STATUSES
from promotions.models import Campaign
from users.models import Partner

DIMENSIONS = ("campaign", "partner", "channel", "model", "product")
GRANULARITIES = ("day", "week")
NONE_KEY = ""
MAX_PERIOD = timedelta(days=366)


@dataclass
class FunnelRow:
    key: str
    label: str
    reached: int = 0
    carted: int = 0
    orders: int = 0
    revenue: Decimal = Decimal("0")
    refunded: Decimal = Decimal("0")

    @property
    def conversion_rate(self) -> Decimal | None:
        return (Decimal(self.orders) / self.reached).quantize(Decimal("0.0001")) if self.reached else None

    @property
    def average_order_value(self) -> Decimal | None:
        return (self.revenue / self.orders).quantize(Decimal("0.01")) if self.orders else None

    @property
    def refund_rate(self) -> Decimal | None:
        return (self.refunded / self.revenue).quantize(Decimal("0.0001")) if self.revenue else None

    @property
    def conversion_percent(self) -> Decimal | None:
        rate = self.conversion_rate
        return None if rate is None else (rate * 100).quantize(Decimal("0.1"))

    @property
    def refund_percent(self) -> Decimal | None:
        rate = self.refund_rate
        return None if rate is None else (rate * 100).quantize(Decimal("0.1"))

    def as_dict(self) -> dict[str, Any]:
        def text(v: Decimal | None) -> str | None:
            return None if v is None else str(v)

        return {
            "key": self.key,
            "label": self.label,
            "reached": self.reached,
            "added_to_cart": self.carted,
            "orders": self.orders,
            "revenue": str(self.revenue),
            "refunded": str(self.refunded),
            "conversion_rate": text(self.conversion_rate),
            "average_order_value": text(self.average_order_value),
            "refund_rate": text(self.refund_rate),
        }


@dataclass
class FunnelReport:
    dimension: str
    date_from: date
    date_to: date
    granularity: str
    key: str | None
    rows: list[FunnelRow]
    series: list[FunnelRow] = field(default_factory=list)  # one per bucket; ``key`` is the bucket's date


def _window(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(date_from, time.min, tzinfo=tz),
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz),
    )


def _event_key(dimension: str) -> Any:
    return {
        "campaign": KT("context__utm_campaign"),
        "partner": F("product__owner_id"),
        "channel": KT("context__utm_source"),
        "model": KT("context__model_version"),
        "product": F("product_id"),
    }[dimension]


EVENT_KEY_LOOKUPS = {
    "campaign": "context__utm_campaign",
    "partner": "product__owner_id",
    "channel": "context__utm_source",
    "model": "context__model_version",
    "product": "product_id",
}


def _event_key_filter(dimension: str, key: str) -> Q:
    """Events of one group (a JSON key is compared as JSON, so through its lookup, not the annotation)."""
    lookup = EVENT_KEY_LOOKUPS[dimension]
    if key == NONE_KEY:
        return Q(**{f"{lookup}__isnull": True}) | Q(**{lookup: ""})
    if lookup.endswith("_id"):
        return Q(**{lookup: int(key)}) if key.isdigit() else Q(pk__in=[])
    return Q(**{lookup: key})


def _line_keys(dimension: str) -> dict[str, Any]:
    keys: dict[str, dict[str, Any]] = {
        "campaign": {"k": KT("attribution__utm__utm_campaign"), "k2": KT("attribution__campaign_id")},
        "partner": {"k": F("owner_id")},
        "channel": {"k": KT("attribution__utm__utm_source")},
        "model": {"k": F("recommendation_model_version")},
        "product": {"k": F("product_id")},
    }
    return keys[dimension]


def _labels(dimension: str, keys: set[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k and str(k).isdigit()]
    if dimension == "partner":
        return {str(pk): name for pk, name in Partner.objects.filter(pk__in=ids).values_list("pk", "name")}
    if dimension == "product":
        return {str(pk): title for pk, title in Product.objects.filter(pk__in=ids).values_list("pk", "title")}
    if dimension == "campaign":
        return {c.slug: str(c) for c in Campaign.objects.filter(slug__in=keys)}
    return {}


def _bucket(granularity: str, column: str) -> Any:
    return TruncWeek(column) if granularity == "week" else TruncDate(column)


def funnel_report(
    *,
    dimension: str,
    date_from: date,
    date_to: date,
    granularity: str = "day",
    key: str | None = None,
    limit: int = 50,
) -> FunnelReport:
    """The funnel per group of ``dimension`` and, for ``key`` (or all groups), over time."""
    if dimension not in DIMENSIONS:
        raise DomainError(_("Choose one of: %(d)s.") % {"d": ", ".join(DIMENSIONS)})
    if granularity not in GRANULARITIES:
        raise DomainError(_("Choose a day or week granularity."))
    if date_from > date_to or date_to - date_from > MAX_PERIOD:
        raise DomainError(_("Choose a period of at most one year that starts before it ends."))
    start, end = _window(date_from, date_to)
    reach_kinds: list[str] = (
        [Event.Kind.RECOMMENDATION_IMPRESSION, Event.Kind.CLICK] if dimension == "model" else [Event.Kind.VIEW]
    )
    events = Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end).annotate(k=_event_key(dimension))
    lines: QuerySet[OrderLine] = OrderLine.objects.filter(
        order__status__in=PAID_STATUSES, order__paid_at__gte=start, order__paid_at__lt=end
    ).annotate(**_line_keys(dimension))
    if dimension == "campaign":
        # A line attributed by campaign id but without a UTM campaign is grouped under the campaign's slug.
        slugs = dict(Campaign.objects.values_list("pk", "slug"))

        def line_key(row: dict[str, Any]) -> str:
            if row.get("k"):
                return str(row["k"])
            return slugs.get(int(row["k2"]), NONE_KEY) if row.get("k2") else NONE_KEY

    else:

        def line_key(row: dict[str, Any]) -> str:
            return str(row["k"]) if row.get("k") not in (None, "") else NONE_KEY

    rows: dict[str, FunnelRow] = {}

    def row_for(k: str) -> FunnelRow:
        if k not in rows:
            rows[k] = FunnelRow(key=k, label=k)
        return rows[k]

    people = {
        "users": Count("user_id", distinct=True),
        "visitors": Count("anonymous_id", distinct=True, filter=Q(user__isnull=True)),
    }
    for stage, kinds in (("reached", reach_kinds), ("carted", [Event.Kind.ADD_TO_CART])):
        for row in events.filter(kind__in=kinds).values("k").annotate(**people):
            target = row_for(str(row["k"]) if row["k"] not in (None, "") else NONE_KEY)
            setattr(target, stage, getattr(target, stage) + row["users"] + row["visitors"])
    value_fields = ["k", "k2"] if dimension == "campaign" else ["k"]
    orders_by_key: dict[str, set[int]] = defaultdict(set)
    for row in lines.values(*value_fields, "order_id").annotate(
        revenue=Sum("price_paid"), refunded=Sum("refunded_amount")
    ):
        k = line_key(row)
        target = row_for(k)
        orders_by_key[k].add(row["order_id"])
        target.revenue += row["revenue"] or Decimal("0")
        target.refunded += row["refunded"] or Decimal("0")
    for k, orders in orders_by_key.items():
        rows[k].orders = len(orders)
    labels = _labels(dimension, set(rows))
    for k, funnel_row in rows.items():
        funnel_row.label = labels.get(k, k) if k != NONE_KEY else _("(none)")
    ordered = sorted(rows.values(), key=lambda r: (-r.revenue, -r.reached, r.key))[:limit]

    series = _series(
        events=events,
        lines=lines,
        reach_kinds=reach_kinds,
        granularity=granularity,
        key=key,
        line_key=line_key,
        dimension=dimension,
    )
    return FunnelReport(
        dimension=dimension,
        date_from=date_from,
        date_to=date_to,
        granularity=granularity,
        key=key,
        rows=ordered,
        series=series,
    )


def _series(
    *,
    events: QuerySet[Event],
    lines: QuerySet[OrderLine],
    reach_kinds: list[str],
    granularity: str,
    key: str | None,
    line_key: Any,
    dimension: str,
) -> list[FunnelRow]:
    buckets: dict[str, FunnelRow] = {}

    def bucket(day: Any) -> FunnelRow:
        label = day.date().isoformat() if isinstance(day, datetime) else day.isoformat()
        if label not in buckets:
            buckets[label] = FunnelRow(key=label, label=label)
        return buckets[label]

    if key is not None:
        events = events.filter(_event_key_filter(dimension, key))
    people = {
        "users": Count("user_id", distinct=True),
        "visitors": Count("anonymous_id", distinct=True, filter=Q(user__isnull=True)),
    }
    for stage, kinds in (("reached", reach_kinds), ("carted", [Event.Kind.ADD_TO_CART])):
        for row in (
            events.filter(kind__in=kinds).annotate(b=_bucket(granularity, "occurred_at")).values("b").annotate(**people)
        ):
            target = bucket(row["b"])
            setattr(target, stage, getattr(target, stage) + row["users"] + row["visitors"])
    value_fields = ["k", "k2"] if dimension == "campaign" else ["k"]
    orders: dict[str, set[int]] = defaultdict(set)
    for row in (
        lines.annotate(b=_bucket(granularity, "order__paid_at"))
        .values("b", *value_fields, "order_id")
        .annotate(revenue=Sum("price_paid"), refunded=Sum("refunded_amount"))
    ):
        if key is not None and line_key(row) != key:
            continue
        target = bucket(row["b"])
        orders[target.key].add(row["order_id"])
        target.revenue += row["revenue"] or Decimal("0")
        target.refunded += row["refunded"] or Decimal("0")
    for label, ids in orders.items():
        buckets[label].orders = len(ids)
    return [buckets[label] for label in sorted(buckets)]
