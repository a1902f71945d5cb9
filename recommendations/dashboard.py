"""The model dashboard's figures: offline metrics over versions (drawn as SVG by matplotlib) and
online click-through and conversion per model version, from the logged impressions and the
order lines attributed to each version.

Online figures per version (over ``days``): impressions (``recommendation_impression``
events whose context names the version), clicks (``click`` events with the same
``model_version`` in their context, as the storefront's beacon sends them),
click-through rate = clicks / impressions, attributed order lines on paid orders
and their revenue, and conversion = attributed lines / impressions.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")  # No display: render to strings only.

from django.db.models import Count, Sum
from django.db.models.fields.json import KT
from django.utils import timezone
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from commerce.models import OrderLine
from insights.models import Event
from recommendations.data import PAID_STATUSES
from recommendations.models import ModelVersion

NDCG_COLOUR = "#12827d"
RECALL_COLOUR = "#e8792b"
COVERAGE_COLOUR = "#6c5ce7"
BASELINE_COLOUR = "#9aa5b1"


def metrics_chart_svg(*, versions: list[ModelVersion]) -> str:
    """NDCG@K, recall@K and coverage of each version in training order; rejected ones hollow,
    the baseline each was compared with dashed. Only numbers and version tags are drawn (no CJK font)."""
    figure = Figure(figsize=(9, 3.4), dpi=100)
    FigureCanvasSVG(figure)
    axes = figure.add_subplot(1, 1, 1)
    ordered = sorted(versions, key=lambda v: (v.created_at, v.pk))
    x = list(range(len(ordered)))
    labels = [v.tag for v in ordered]
    if ordered:
        ndcg = [v.ndcg for v in ordered]
        axes.plot(x, ndcg, color=NDCG_COLOUR, linewidth=2, label="NDCG@K")
        promoted = [i for i, v in enumerate(ordered) if v.decision == ModelVersion.Decision.PROMOTED]
        rejected = [i for i, v in enumerate(ordered) if v.decision != ModelVersion.Decision.PROMOTED]
        axes.scatter(promoted, [ndcg[i] for i in promoted], color=NDCG_COLOUR, zorder=3)
        axes.scatter(rejected, [ndcg[i] for i in rejected], facecolors="white", edgecolors=NDCG_COLOUR, zorder=3)
        axes.plot(
            x,
            [v.baseline_ndcg if v.baseline_ndcg is not None else float("nan") for v in ordered],
            color=BASELINE_COLOUR,
            linestyle="--",
            linewidth=1,
            label="baseline NDCG@K",
        )
        axes.plot(x, [float(v.metrics.get("recall", 0.0)) for v in ordered], color=RECALL_COLOUR, label="Recall@K")
        axes.plot(x, [float(v.metrics.get("coverage", 0.0)) for v in ordered], color=COVERAGE_COLOUR, label="coverage")
        for i, v in enumerate(ordered):
            if v.is_active:
                axes.axvline(i, color=NDCG_COLOUR, alpha=0.15, linewidth=8)
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", color="#e3e7ec")
    axes.spines[["top", "right"]].set_visible(False)
    step = max(1, len(labels) // 12)
    axes.set_xticks(x[::step], labels[::step], rotation=30, ha="right", fontsize=8)
    if ordered:
        axes.legend(loc="upper left", fontsize=8, frameon=False, ncols=4)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


@dataclass
class OnlineFigures:
    model_version: str
    impressions: int = 0
    clicks: int = 0
    orders: int = 0
    revenue: Decimal = Decimal("0")

    @property
    def click_through_percent(self) -> Decimal | None:
        if not self.impressions:
            return None
        return (Decimal(self.clicks) * 100 / self.impressions).quantize(Decimal("0.01"))

    @property
    def conversion_percent(self) -> Decimal | None:
        if not self.impressions:
            return None
        return (Decimal(self.orders) * 100 / self.impressions).quantize(Decimal("0.01"))


def online_figures(*, days: int = 30) -> list[OnlineFigures]:
    """Per model version (and the popularity fallback) over the last ``days``, most impressions first."""
    since = timezone.now() - timedelta(days=days)
    rows: dict[str, OnlineFigures] = {}

    def row(key: str | None) -> OnlineFigures | None:
        if not key:
            return None
        return rows.setdefault(key, OnlineFigures(model_version=key))

    events = (
        Event.objects.filter(
            kind__in=[Event.Kind.RECOMMENDATION_IMPRESSION, Event.Kind.CLICK],
            occurred_at__gte=since,
            context__has_key="model_version",
        )
        .annotate(version=KT("context__model_version"))
        .values("version", "kind")
        .annotate(n=Count("pk"))
    )
    for item in events:
        figures = row(item["version"])
        if figures is None:
            continue
        if item["kind"] == Event.Kind.RECOMMENDATION_IMPRESSION:
            figures.impressions += item["n"]
        else:
            figures.clicks += item["n"]
    lines = (
        OrderLine.objects.filter(
            recommendation_model_version__isnull=False,
            order__status__in=PAID_STATUSES,
            order__paid_at__gte=since,
        )
        .values("recommendation_model_version")
        .annotate(n=Count("pk"), revenue=Sum("price_paid"))
    )
    for item in lines:
        figures = row(item["recommendation_model_version"])
        if figures is not None:
            figures.orders += item["n"]
            figures.revenue += item["revenue"] or Decimal("0")
    return sorted(rows.values(), key=lambda f: (-f.impressions, f.model_version))
