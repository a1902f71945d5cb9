"""Partner portal pages for campaigns (``/partner/<slug>/campaigns/``). Every object is checked
against the partner, and the partner against the user's membership."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from promotions.charts import campaign_chart_data_uri
from promotions.models import Campaign
from promotions.selectors import campaign_for_partner, campaign_list_for_partner, campaign_report
from users.models import Partner, User
from users.selectors import membership_role


def portal_partner_or_404(request: HttpRequest, slug: str) -> Partner:
    """The partner whose page is asked for, if the user is its member (or platform staff)."""
    partner = get_object_or_404(Partner, slug=slug)
    user = request.user
    assert isinstance(user, User)
    if not user.is_staff and membership_role(user=user, partner=partner) is None:
        raise Http404
    return partner


@login_required
def campaign_list(request: HttpRequest, slug: str) -> HttpResponse:
    partner = portal_partner_or_404(request, slug)
    rows = []
    for campaign in campaign_list_for_partner(partner=partner)[:100]:
        report = campaign_report(campaign=campaign)
        share = next((s for s in campaign.shares.all() if s.partner_id == partner.pk), None)
        rows.append({"campaign": campaign, "report": report, "share": share})
    return render(request, "promotions/portal_campaigns.html", {"partner": partner, "rows": rows})


@login_required
def campaign_detail(request: HttpRequest, slug: str, campaign_slug: str) -> HttpResponse:
    partner = portal_partner_or_404(request, slug)
    campaign = campaign_for_partner(partner=partner, slug=campaign_slug)
    if campaign is None:
        raise Http404
    return render(request, "promotions/portal_campaign.html", report_context(campaign=campaign) | {"partner": partner})


def report_context(*, campaign: Campaign) -> dict[str, object]:
    """What the portal and the admin report pages show for a campaign."""
    report = campaign_report(campaign=campaign)
    shares = list(campaign.shares.select_related("partner"))
    return {
        "campaign": campaign,
        "report": report,
        "chart": campaign_chart_data_uri(report=report),
        "shares": [(s, report.partner_costs.get(s.partner_id)) for s in shares],
        "coupons": campaign.coupons.prefetch_related("codes").order_by("-priority", "pk")[:50],
        "offers": campaign.offers.order_by("-priority", "pk")[:50],
        "landing_pages": campaign.landing_pages.filter(is_published=True),
    }
