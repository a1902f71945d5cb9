"""Server-rendered charts for campaign reports: SVG drawn by matplotlib, no JavaScript, no build step.

Text inside the chart is only numbers and dates, so no CJK font is needed;
the page around it carries the translated legend and a data table.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # No display: render to files only.

from matplotlib import dates as mdates
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from promotions.selectors import CampaignReport

REVENUE_COLOUR = "#12827d"
SPEND_COLOUR = "#e8792b"
REDEMPTION_COLOUR = "#1c2430"


def campaign_chart_svg(*, report: CampaignReport) -> str:
    """Revenue (bars) and spend (line) per day, with redemptions on a second axis, as SVG text."""
    figure = Figure(figsize=(9, 3.2), dpi=100)
    FigureCanvasSVG(figure)
    axes = figure.add_subplot(1, 1, 1)
    days = mdates.date2num([d.day for d in report.days])
    axes.bar(days, [float(d.revenue) for d in report.days], color=REVENUE_COLOUR, width=0.8)  # float: drawing only
    axes.plot(days, [float(d.spend) for d in report.days], color=SPEND_COLOUR, linewidth=2, marker="o", markersize=3)
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", color="#e3e7ec")
    axes.spines[["top", "right"]].set_visible(False)
    second = axes.twinx()
    second.plot(
        days, [d.redemptions for d in report.days], color=REDEMPTION_COLOUR, linewidth=1, linestyle="--", marker="."
    )
    second.set_ylim(bottom=0)
    second.spines[["top"]].set_visible(False)
    axes.xaxis_date()
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def campaign_chart_data_uri(*, report: CampaignReport) -> str:
    """The chart as an ``<img src>`` data URI (keeps the SVG out of the page's DOM)."""
    svg = campaign_chart_svg(report=report).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
