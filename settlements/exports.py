"""A statement as CSV and as PDF (reportlab, with its built-in CJK font STSong-Light for Chinese)."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from settlements.models import Statement, StatementLine
from settlements.selectors import statement_summary

CSV_HEADER = (
    gettext_lazy("Kind"),
    gettext_lazy("Order"),
    gettext_lazy("Product"),
    gettext_lazy("Format"),
    gettext_lazy("Channel"),
    gettext_lazy("Units"),
    gettext_lazy("Basis"),
    gettext_lazy("Rate %"),
    gettext_lazy("Tier from"),
    gettext_lazy("Amount"),
    gettext_lazy("Date"),
    gettext_lazy("Note"),
)


def statement_csv(*, statement: Statement, lines: list[StatementLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Statement"), statement.party_name, statement.contract.number if statement.contract else ""])
    writer.writerow(
        [_("Period"), statement.period_start.isoformat(), statement.period_end.isoformat(), statement.currency]
    )
    writer.writerow([])
    writer.writerow([str(h) for h in CSV_HEADER])
    for line in lines:
        writer.writerow(
            [
                line.get_kind_display(),
                line.order_line.order.number if line.order_line_id and line.order_line else "",
                _safe(line.product.title if line.product_id and line.product else ""),
                line.format,
                line.channel,
                line.quantity,
                line.basis,
                line.rate if line.rate is not None else "",
                line.tier.threshold if line.tier_id and line.tier else "",
                line.amount,
                line.occurred_at.date().isoformat() if line.occurred_at else "",
                _safe(line.description),
            ]
        )
    return out.getvalue()


def _safe(text: str) -> str:
    """Cells that a spreadsheet would run as a formula are quoted."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def statement_pdf(*, statement: Statement, lines: list[StatementLine]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=20)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=_("Statement"))
    story: list[object] = [
        Paragraph(_("Revenue-share statement · %(party)s") % {"party": statement.party_name}, title),
        Paragraph(
            _("Period %(start)s – %(end)s · contract %(contract)s · %(currency)s")
            % {
                "start": statement.period_start,
                "end": statement.period_end,
                "contract": statement.contract.number if statement.contract else "—",
                "currency": statement.currency,
            },
            body,
        ),
        Spacer(1, 6 * mm),
    ]
    table = Table(
        [[label, f"{value:,.2f}"] for label, value, _total in statement_summary(statement=statement)],
        colWidths=[70 * mm, 35 * mm],
    )
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 9), ("ALIGN", (1, 0), (1, -1), "RIGHT")]))
    story += [table, Spacer(1, 6 * mm)]
    rows = [[_("Kind"), _("Product"), _("Units"), _("Basis"), _("Rate %"), _("Amount")]]
    for line in lines:
        if line.kind == StatementLine.Kind.PAYABLE:
            continue
        rows.append(
            [
                line.get_kind_display(),
                Paragraph((line.product.title if line.product_id and line.product else line.description)[:80], body),
                str(line.quantity or ""),
                f"{line.basis:,.2f}" if line.basis else "",
                f"{line.rate.normalize():f}" if line.rate is not None else "",
                f"{line.amount:,.2f}",
            ]
        )
    detail = Table(rows, repeatRows=1, colWidths=[32 * mm, 70 * mm, 14 * mm, 24 * mm, 16 * mm, 24 * mm])
    detail.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8efe9")),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
            ]
        )
    )
    story.append(detail)
    doc.build(story)
    return buffer.getvalue()
