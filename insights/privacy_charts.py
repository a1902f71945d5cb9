"""Server-rendered charts for the funnel report: SVG drawn by matplotlib, no JavaScript.

Text inside the chart is only numbers and dates (no CJK font needed); the page
around it carries the translated legend and the data table.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # No display: render to files only.

from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from insights.funnels import FunnelRow

REVENUE_COLOUR = "#12827d"
CONVERSION_COLOUR = "#e8792b"
REFUND_COLOUR = "#c0392b"


def funnel_chart_svg(*, series: list[FunnelRow]) -> str:
    """Revenue per bucket (bars), conversion and refund rates (lines, right axis)."""
    figure = Figure(figsize=(9, 3.2), dpi=100)
    FigureCanvasSVG(figure)
    axes = figure.add_subplot(1, 1, 1)
    labels = [row.key for row in series]
    positions = list(range(len(series)))
    axes.bar(positions, [float(row.revenue) for row in series], color=REVENUE_COLOUR, width=0.8)  # float: drawing only
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", color="#e3e7ec")
    axes.spines[["top", "right"]].set_visible(False)
    step = max(1, len(labels) // 12)
    axes.set_xticks(positions[::step], labels[::step], rotation=30, ha="right", fontsize=8)
    rates = axes.twinx()
    rates.plot(
        positions,
        [float(row.conversion_rate or 0) * 100 for row in series],
        color=CONVERSION_COLOUR,
        linewidth=2,
        marker="o",
        markersize=3,
    )
    rates.plot(
        positions,
        [float(row.refund_rate or 0) * 100 for row in series],
        color=REFUND_COLOUR,
        linewidth=1,
        linestyle="--",
    )
    rates.set_ylim(bottom=0)
    rates.yaxis.set_major_formatter("{x:.0f}%")
    rates.spines[["top"]].set_visible(False)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def funnel_chart_data_uri(*, series: list[FunnelRow]) -> str:
    svg = funnel_chart_svg(series=series).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
