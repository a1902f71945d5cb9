"""The partner portal's statements: a list with charts of earnings by month and by format,
each statement with its lines, and CSV and PDF downloads. Members see only their partner's."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from settlements import selectors
from settlements.charts import bar_chart_svg
from settlements.exports import statement_csv, statement_pdf
from settlements.models import FORMAT_LABELS, Statement, StatementLine
from users.models import Partner, User
from users.selectors import membership_role


def _partner(request: HttpRequest, slug: str) -> tuple[Partner, bool]:
    """The partner, if the user is one of its members or platform staff (who also see drafts); 404 otherwise."""
    partner = get_object_or_404(Partner, slug=slug)
    user = request.user
    assert isinstance(user, User)
    if user.is_staff:
        return partner, True
    if membership_role(user=user, partner=partner) is None:
        raise Http404
    return partner, False


def _statement(request: HttpRequest, slug: str, statement_id: int) -> Statement:
    partner, staff = _partner(request, slug)
    statements = selectors.statement_list_for_partner(partner=partner, include_unapproved=staff)
    return get_object_or_404(statements, pk=statement_id)


@login_required
def statement_list(request: HttpRequest, slug: str) -> HttpResponse:
    partner, staff = _partner(request, slug)
    statements = selectors.statement_list_for_partner(partner=partner, include_unapproved=staff)
    page = Paginator(statements, 24).get_page(request.GET.get("page"))
    by_month = selectors.earnings_by_month(partner=partner, include_unapproved=staff)
    by_format = selectors.earnings_by_format(partner=partner, include_unapproved=staff)
    currencies = sorted({c for _m, c, _v in by_month} | {c for _f, c, _v in by_format})
    charts = [
        {
            "currency": currency,
            "by_month": bar_chart_svg(
                rows=[(m, v) for m, c, v in by_month if c == currency][-12:],
                title=_("Earnings by month (%(currency)s)") % {"currency": currency},
                currency=currency,
            ),
            "by_format": bar_chart_svg(
                rows=[(str(FORMAT_LABELS.get(f, f)), v) for f, c, v in by_format if c == currency],
                title=_("Earnings by format (%(currency)s)") % {"currency": currency},
                currency=currency,
            ),
        }
        for currency in currencies
    ]
    return render(
        request,
        "settlements/statement_list.html",
        {"partner": partner, "page": page, "charts": charts, "staff": staff},
    )


@login_required
def statement_detail(request: HttpRequest, slug: str, statement_id: int) -> HttpResponse:
    statement = _statement(request, slug, statement_id)
    kind = request.GET.get("kind") or None
    if kind not in StatementLine.Kind.values:
        kind = None
    lines = selectors.statement_lines(statement=statement, kind=kind)
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "settlements/statement_detail.html",
        {
            "partner": statement.partner,
            "statement": statement,
            "summary": selectors.statement_summary(statement=statement),
            "page": page,
            "kinds": StatementLine.Kind.choices,
            "kind": kind,
        },
    )


def _filename(statement: Statement, ext: str) -> str:
    number = statement.contract.number if statement.contract else "promoter"
    return f"statement-{number}-{statement.period_start:%Y-%m}-{statement.pk}.{ext}"


@login_required
def statement_csv_download(request: HttpRequest, slug: str, statement_id: int) -> HttpResponse:
    statement = _statement(request, slug, statement_id)
    body = statement_csv(statement=statement, lines=list(selectors.statement_lines(statement=statement)))
    response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(statement, "csv")}"'
    return response


@login_required
def statement_pdf_download(request: HttpRequest, slug: str, statement_id: int) -> HttpResponse:
    statement = _statement(request, slug, statement_id)
    pdf = statement_pdf(statement=statement, lines=list(selectors.statement_lines(statement=statement)))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(statement, "pdf")}"'
    return response
