"""Pages: a partner's audience insights, data shares and ad audiences (``/partner/<slug>/audience/``),
a user's own data (``/accounts/my-data/``), and the funnel report for platform staff."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.models import Product, Topic
from core.errors import DomainError
from insights import ad_audiences, audiences, funnels, sharing, user_rights
from insights.audit import Actor, recipients_for_user
from insights.privacy_charts import funnel_chart_data_uri
from insights.privacy_errors import NotFoundForPartner
from insights.privacy_models import AgeBand, InsightRelease, ProfileRun
from insights.profiles import profile_for_user, profile_run_latest, profile_run_start
from promotions.models import Campaign
from users.models import Consent, Membership, Partner, User
from users.selectors import membership_role

MANAGING_ROLES = (Membership.Role.OWNER, Membership.Role.MANAGER)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _partner(request: HttpRequest, slug: str, *, managing: bool = False) -> tuple[Partner, str]:
    """The partner of a portal page, if the user is its member (or staff); 404 otherwise.
    ``managing`` pages (row-level data) are for owners and managers only."""
    partner = get_object_or_404(Partner, slug=slug)
    user = _user(request)
    role = membership_role(user=user, partner=partner)
    if role is None and not user.is_staff:
        raise Http404
    if managing and not user.is_staff and role not in MANAGING_ROLES:
        raise Http404
    return partner, role or "staff"


def _date(value: str | None) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


def _bars(breakdown: dict[str, Any]) -> list[dict[str, Any]]:
    """The breakdown's groups with a bar width (percent of the largest) for the page."""
    cells = [dict(c) for c in breakdown["cells"] if c.get("count") is not None]
    if breakdown.get("other"):
        cells.append({"key": "_other", "label": breakdown["other"]["label"], "count": breakdown["other"]["count"]})
    largest = max((c["count"] for c in cells), default=0) or 1
    for c in cells:
        c["width"] = round(c["count"] * 100 / largest, 1)
    return cells


# --- Partner: audience insights ------------------------------------------------------------------


@login_required
def partner_audience(request: HttpRequest, slug: str) -> HttpResponse:
    partner, role = _partner(request, slug)
    if request.method == "POST":
        try:
            question = audiences.audience_question_build(
                scope=request.POST.get("scope", "all"),
                reference=request.POST.get(f"reference_{request.POST.get('scope', 'all')}", ""),
                date_from=_date(request.POST.get("date_from")),
                date_to=_date(request.POST.get("date_to")),
                dimensions=request.POST.getlist("dimensions") or list(audiences.DIMENSIONS),
            )
            answer = audiences.audience_insight_query(
                partner=partner, question=question, actor=Actor(user=_user(request))
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("privacy:partner-audience", slug=slug)
        if answer.replayed:
            messages.info(request, _("You asked this before this month: here is the same answer, at no cost."))
        return redirect(f"{reverse('privacy:partner-audience', kwargs={'slug': slug})}?release={answer.release.pk}")

    releases = audiences.insight_release_list(partner=partner)
    chosen: InsightRelease | None = None
    if request.GET.get("release", "").isdigit():
        chosen = InsightRelease.objects.filter(partner=partner, pk=int(request.GET["release"])).first()
    elif releases:
        chosen = releases[0]
    breakdowns = []
    if chosen is not None:
        for name, breakdown in chosen.result.get("breakdowns", {}).items():
            breakdowns.append({"name": name, "data": breakdown, "bars": _bars(breakdown)})
    today = timezone.localdate()
    return render(
        request,
        "insights/partner_audience.html",
        {
            "partner": partner,
            "role": role,
            "can_manage": role in (*MANAGING_ROLES, "staff"),
            "budget": audiences.budget_get(partner=partner),
            "privacy": audiences.partner_privacy_get(partner=partner),
            "releases": releases,
            "chosen": chosen,
            "breakdowns": breakdowns,
            "products": Product.objects.filter(owner=partner).order_by("title").only("slug", "title"),
            "campaigns": Campaign.objects.filter(shares__partner=partner).order_by("-starts_at"),
            "dimensions": [(d, _dimension_label(d)) for d in audiences.DIMENSIONS],
            "default_from": (today - audiences.DEFAULT_PERIOD).isoformat(),
            "default_to": today.isoformat(),
        },
    )


def _dimension_label(name: str) -> str:
    return {
        "age_band": _("Age band"),
        "gender": _("Gender"),
        "region": _("Region"),
        "occupation": _("Occupation"),
        "co_interests": _("Other interests"),
        "funnel": _("Funnel: view → add to cart → purchase"),
    }.get(name, name)


# --- Partner: row-level shares and deletion notices ------------------------------------------------


@login_required
def partner_share(request: HttpRequest, slug: str) -> HttpResponse:
    partner, _role = _partner(request, slug, managing=True)
    if request.method == "POST":
        fmt = request.POST.get("format", "csv")
        try:
            share = sharing.share_build(
                partner=partner,
                purpose=request.POST.get("purpose", ""),
                categories=request.POST.getlist("data_categories"),
                actor=Actor(user=_user(request)),
                fmt="csv" if fmt == "json" else fmt,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("privacy:partner-share", slug=slug)
        from insights.privacy_api import share_file_response

        return share_file_response(share=share, fmt="csv" if fmt == "json" else fmt, partner=partner)
    return render(
        request,
        "insights/partner_share.html",
        {
            "partner": partner,
            "purposes": [(p, label) for p, label in Consent.Purpose.choices if p in sharing.ROW_SHARE_PURPOSES],
            "categories": Consent.DataCategory.choices,
            "formats": [("csv", "CSV"), ("parquet", "Parquet")],
            "totals": sharing.share_totals(partner=partner),
            "notices": sharing.deletion_notice_list(partner=partner)[:200],
        },
    )


@login_required
@require_POST
def partner_notices_acknowledge(request: HttpRequest, slug: str) -> HttpResponse:
    partner, _role = _partner(request, slug, managing=True)
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    done = sharing.deletion_notices_acknowledge(partner=partner, ids=ids)
    messages.success(request, _("%(n)d deletion notices marked as done.") % {"n": done})
    return redirect("privacy:partner-share", slug=slug)


# --- Partner: advertising audiences ---------------------------------------------------------------


@login_required
def partner_ad_audiences(request: HttpRequest, slug: str) -> HttpResponse:
    partner, _role = _partner(request, slug, managing=True)
    if request.method == "POST":
        data = {
            "topics": request.POST.getlist("topics"),
            "purchased_products": request.POST.getlist("purchased_products"),
            "purchased_from_partner": request.POST.get("purchased_from_partner") == "on",
            "regions": [r.strip() for r in request.POST.get("regions", "").replace("，", ",").split(",") if r.strip()],
            "age_bands": request.POST.getlist("age_bands"),
        }
        try:
            criteria = ad_audiences.criteria_build(partner=partner, data=data)
            audience = ad_audiences.ad_audience_save(
                partner=partner, name=request.POST.get("name", ""), criteria=criteria, user=_user(request)
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            enough, minimum = ad_audiences.ad_audience_size_is_enough(partner=partner, criteria=criteria)
            if enough:
                messages.success(request, _("Audience “%(n)s” saved; it can be exported.") % {"n": audience.name})
            else:
                messages.warning(
                    request,
                    _(
                        "Audience “%(n)s” saved, but fewer than %(m)d people in it agreed to advertising: "
                        "it cannot be exported yet."
                    )
                    % {"n": audience.name, "m": minimum},
                )
        return redirect("privacy:partner-ad-audiences", slug=slug)
    return render(
        request,
        "insights/partner_ad_audiences.html",
        {
            "partner": partner,
            "audiences": ad_audiences.ad_audience_list(partner=partner),
            "topics": Topic.objects.order_by("position", "slug"),
            "products": Product.objects.filter(owner=partner).order_by("title").only("slug", "title"),
            "age_bands": AgeBand.choices,
            "minimum": audiences.partner_privacy_get(partner=partner).ad_audience_min_size,
        },
    )


@login_required
@require_POST
def partner_ad_audience_export(request: HttpRequest, slug: str, audience_id: int) -> HttpResponse:
    partner, _role = _partner(request, slug, managing=True)
    try:
        audience = ad_audiences.ad_audience_get(partner=partner, audience_id=audience_id)
    except NotFoundForPartner as exc:
        raise Http404 from exc
    try:
        export = ad_audiences.ad_audience_export(
            partner=partner,
            criteria=ad_audiences.criteria_from_stored(audience),
            actor=Actor(user=_user(request)),
            audience=audience,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("privacy:partner-ad-audiences", slug=slug)
    response = HttpResponse(export.as_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audience-{audience.pk}-{export.audit.at:%Y%m%d}.csv"'
    return response


# --- The user's own data ------------------------------------------------------------------------


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    profile = profile_for_user(user=user)
    return render(
        request,
        "insights/my_data.html",
        {
            "profile": profile,
            "recipients": recipients_for_user(user=user),
            "run": profile_run_latest(user=user),
        },
    )


@login_required
def my_data_download(request: HttpRequest) -> HttpResponse:
    data = user_rights.user_data_export(user=_user(request))
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="zhiqiao-my-data-{timezone.localdate():%Y%m%d}.json"'
    return response


@login_required
@require_POST
def my_profile_refresh(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    profile_run_start(mode=ProfileRun.Mode.USERS, user_ids=[user.pk], requested_by=user)
    messages.success(request, _("Your profile is being recomputed from what you did; refresh in a moment."))
    return redirect("privacy:my-data")


@login_required
@require_POST
def my_account_delete(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.POST.get("confirm") != "delete":
        messages.error(request, _("Tick the box to confirm that you want to delete your account."))
        return redirect("privacy:my-data")
    try:
        user_rights.account_erase(user=user, password=request.POST.get("password", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("privacy:my-data")
    logout(request)
    messages.success(
        request, _("Your account has been deleted. Your orders are kept without your name, as the law requires.")
    )
    return redirect("storefront:home")


# --- Platform staff ------------------------------------------------------------------------------


@staff_member_required
def staff_funnels(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    dimension = request.GET.get("dimension", "campaign")
    granularity = request.GET.get("granularity", "day")
    date_to = _date(request.GET.get("date_to")) or today
    date_from = _date(request.GET.get("date_from")) or (date_to - timedelta(days=30))
    key = request.GET.get("key")
    report = None
    chart = ""
    try:
        report = funnels.funnel_report(
            dimension=dimension, date_from=date_from, date_to=date_to, granularity=granularity, key=key
        )
        chart = funnel_chart_data_uri(series=report.series) if report.series else ""
    except DomainError as exc:
        messages.error(request, exc.message)
    return render(
        request,
        "insights/staff_funnels.html",
        {
            "report": report,
            "chart": chart,
            "dimension": dimension,
            "dimensions": [
                ("campaign", _("Campaign")),
                ("partner", _("Partner")),
                ("channel", _("Channel (UTM source)")),
                ("model", _("Recommendation model")),
                ("product", _("Product")),
            ],
            "granularity": granularity,
            "date_from": date_from,
            "date_to": date_to,
            "key": key,
            "title": _("Conversion funnels"),
        },
    )


@staff_member_required
@require_POST
def staff_profile_run(request: HttpRequest) -> HttpResponse:
    mode = request.POST.get("mode", ProfileRun.Mode.INCREMENTAL)
    if mode not in (ProfileRun.Mode.FULL, ProfileRun.Mode.INCREMENTAL):
        raise Http404
    run = profile_run_start(mode=mode, requested_by=_user(request))
    messages.success(request, _("Profile run %(n)s queued.") % {"n": run.pk})
    return redirect("admin:insights_profilerun_changelist")
