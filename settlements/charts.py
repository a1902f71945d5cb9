"""Small server-rendered SVG bar charts for the statements page (no script, no build step)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, BAR_HEIGHT, GAP, LABEL_WIDTH = 560, 22, 8, 110


def bar_chart_svg(*, rows: Sequence[tuple[str, Decimal]], title: str, currency: str = "") -> SafeString:
    """Horizontal bars, one per (label, value); negative values are drawn to the left of zero."""
    if not rows:
        return mark_safe("")
    values = [v for _label, v in rows]
    low, high = min(Decimal(0), *values), max(Decimal(0), *values)
    span = (high - low) or Decimal(1)
    plot = WIDTH - LABEL_WIDTH - 90
    zero_x = LABEL_WIDTH + float((0 - low) / span) * plot
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        length = float(abs(value) / span) * plot
        x = zero_x if value >= 0 else zero_x - length
        colour = "#2f6f4f" if value >= 0 else "#b03a2e"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" font-size="12">'
            f"{escape(label)}</text>"
            f'<rect x="{x:.1f}" y="{y}" width="{max(length, 1):.1f}" height="{BAR_HEIGHT}" fill="{colour}"/>'
            f'<text x="{zero_x + (length if value >= 0 else 0) + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}" '
            f'font-size="12">{escape(f"{value:,.2f} {currency}".strip())}</text>'
        )
    parts.append(f'<line x1="{zero_x:.1f}" y1="0" x2="{zero_x:.1f}" y2="{height}" stroke="#888"/></svg>')
    return mark_safe("".join(parts))  # noqa: S308 -- every text is escaped above
