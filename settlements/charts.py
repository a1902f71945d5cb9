"""Small server-rendered SVG bar charts for the statements page (no script, no build step)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Drawn 400 units wide and scaled to the page: legible on a phone, and no larger than 440 px wide on
# a desktop (site.css), so its 14-unit text stays close to the page's own.
WIDTH, BAR_HEIGHT, GAP, FONT = 400, 22, 8, 14
MIN_PLOT = 120


def _text_width(text: str) -> float:
    """Roughly how wide ``text`` is drawn: a CJK character is square, a Latin one about half that."""
    return sum(FONT if ord(ch) >= 0x2E80 else FONT * 0.6 for ch in text)


def bar_chart_svg(*, rows: Sequence[tuple[str, Decimal]], title: str, currency: str = "") -> SafeString:
    """Horizontal bars, one per (label, value); negative values are drawn to the left of zero."""
    if not rows:
        return mark_safe("")
    values = [v for _label, v in rows]
    texts = [f"{v:,.2f} {currency}".strip() for v in values]
    low, high = min(Decimal(0), *values), max(Decimal(0), *values)
    span = (high - low) or Decimal(1)
    # Room for the longest label on the left and the longest figure on the right; the bars get the rest.
    value_width = max(map(_text_width, texts)) + 10
    label_width = min(max(_text_width(label) for label, _v in rows) + 12, WIDTH - value_width - MIN_PLOT)
    plot = WIDTH - label_width - value_width
    zero_x = label_width + float((0 - low) / span) * plot
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, ((label, value), text) in enumerate(zip(rows, texts, strict=True)):
        y = GAP + i * (BAR_HEIGHT + GAP)
        length = float(abs(value) / span) * plot
        x = zero_x if value >= 0 else zero_x - length
        colour = "#2f6f4f" if value >= 0 else "#b03a2e"
        parts.append(
            f'<text x="{label_width - 8:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}" text-anchor="end" font-size="{FONT}">'
            f"{escape(label)}</text>"
            f'<rect x="{x:.1f}" y="{y}" width="{max(length, 1):.1f}" height="{BAR_HEIGHT}" fill="{colour}"/>'
            f'<text x="{zero_x + (length if value >= 0 else 0) + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:.1f}" '
            f'font-size="{FONT}">{escape(text)}</text>'
        )
    parts.append(f'<line x1="{zero_x:.1f}" y1="0" x2="{zero_x:.1f}" y2="{height}" stroke="#888"/></svg>')
    return mark_safe("".join(parts))  # noqa: S308 -- every text is escaped above
