"""Promotions over REST (``/api/v1/``): partners' campaigns and reports, live campaigns,
coupon validation for a cart, and shoppers' referral links."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Product, Variant
from promotions import selectors
from promotions.hooks import user_is_first_order
from promotions.models import Campaign
from promotions.serializers import (
    CampaignReportSerializer,
    CampaignSerializer,
    CouponValidateSerializer,
    PricedCartSerializer,
    PublicCampaignSerializer,
    ReferralLinkCreateSerializer,
    ReferralLinkSerializer,
)
from promotions.services.checkout import cart_price_for
from promotions.services.referrals import referral_link_create
from users.api import partner_for_request
from users.api_auth import PeopleOnly
from users.models import User


class PartnerCampaignListView(generics.ListAPIView[Campaign]):
    """The campaigns a partner takes part in."""

    serializer_class = CampaignSerializer
    required_scopes = ["promotions:read"]
    queryset = Campaign.objects.none()

    def get_queryset(self) -> QuerySet[Campaign]:
        partner = partner_for_request(self.request, self.kwargs["slug"])
        return selectors.campaign_list_for_partner(partner=partner)


def _partner_campaign(request: Request, slug: str, campaign_slug: str) -> Campaign:
    partner = partner_for_request(request, slug)
    campaign = selectors.campaign_for_partner(partner=partner, slug=campaign_slug)
    if campaign is None:
        raise Http404
    return campaign


class PartnerCampaignDetailView(APIView):
    required_scopes = ["promotions:read"]

    @extend_schema(responses={200: CampaignSerializer}, tags=["promotions"])
    def get(self, request: Request, slug: str, campaign_slug: str) -> Response:
        return Response(CampaignSerializer(_partner_campaign(request, slug, campaign_slug)).data)


class PartnerCampaignReportView(APIView):
    """Redemptions, attributed orders and revenue, discounts, commissions and each partner's cost, day by day."""

    required_scopes = ["promotions:read"]

    @extend_schema(responses={200: CampaignReportSerializer}, tags=["promotions"])
    def get(self, request: Request, slug: str, campaign_slug: str) -> Response:
        campaign = _partner_campaign(request, slug, campaign_slug)
        report = selectors.campaign_report(campaign=campaign)
        shares = {s.partner_id: s for s in campaign.shares.select_related("partner")}
        body = {
            "campaign": campaign.slug,
            "currency": campaign.currency,
            "budget": campaign.budget,
            "redemptions": report.redemptions,
            "orders": report.orders,
            "revenue": report.revenue,
            "discounts": report.discounts,
            "commissions": report.commissions,
            "spend": report.spend,
            "budget_left": report.budget_left,
            "partner_costs": [
                {
                    "partner": shares[pid].partner.slug,
                    "cost_share_percent": shares[pid].cost_share_percent,
                    "cost": cost,
                }
                for pid, cost in report.partner_costs.items()
            ],
            "days": [
                {
                    "day": d.day,
                    "redemptions": d.redemptions,
                    "orders": d.orders,
                    "revenue": d.revenue,
                    "discounts": d.discounts,
                    "commissions": d.commissions,
                    "spend": d.spend,
                }
                for d in report.days
            ],
        }
        return Response(CampaignReportSerializer(body).data)


class LiveCampaignListView(generics.ListAPIView[Campaign]):
    """Campaigns running now, with their landing pages (public)."""

    serializer_class = PublicCampaignSerializer
    permission_classes = [permissions.AllowAny]
    queryset = Campaign.objects.none()

    def get_queryset(self) -> QuerySet[Campaign]:
        now = timezone.now()
        return (
            Campaign.objects.filter(status=Campaign.Status.ACTIVE, starts_at__lte=now, ends_at__gt=now)
            .prefetch_related("landing_pages")
            .order_by("ends_at", "pk")
        )


class CouponValidateView(APIView):
    """Price a cart with the offers in force and the codes entered; says why a code does not apply.

    Nothing is redeemed: codes are used only when the order is placed.
    """

    permission_classes = [permissions.AllowAny]

    @extend_schema(request=CouponValidateSerializer, responses={200: PricedCartSerializer}, tags=["promotions"])
    def post(self, request: Request) -> Response:
        data = CouponValidateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = data.validated_data["items"]
        variants = Variant.objects.in_bulk([i["variant_id"] for i in wanted])
        missing = [i["variant_id"] for i in wanted if i["variant_id"] not in variants]
        if missing:
            raise ValidationError({"items": [_("No such item: %(ids)s.") % {"ids": ", ".join(map(str, missing))}]})
        user = request.user if isinstance(request.user, User) else None
        try:
            priced = cart_price_for(
                items=[(variants[i["variant_id"]], i["quantity"]) for i in wanted],
                user=user,
                codes=data.validated_data["codes"],
                territory=data.validated_data.get("territory", "CN").upper(),
                is_first_order=user_is_first_order(user),
            )
        except ValueError as exc:
            raise ValidationError(
                {"items": [_("These items cannot be priced together: %(why)s.") % {"why": exc}]}
            ) from exc
        return Response(PricedCartSerializer(priced).data)


class ReferralLinkListCreateView(APIView):
    """A shopper's share links (with clicks and earnings), and making a new one."""

    permission_classes = [PeopleOnly]

    @extend_schema(responses={200: ReferralLinkSerializer(many=True)}, tags=["promotions"])
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        links = selectors.referral_link_list_for_user(user=user)[:200]
        return Response(ReferralLinkSerializer(links, many=True, context={"request": request}).data)

    @extend_schema(request=ReferralLinkCreateSerializer, responses={201: ReferralLinkSerializer}, tags=["promotions"])
    def post(self, request: Request) -> Response:
        data = ReferralLinkCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        product = campaign = None
        if data.validated_data.get("product"):
            product = get_object_or_404(Product, slug=data.validated_data["product"], status=Product.Status.PUBLISHED)
        else:
            campaign = get_object_or_404(Campaign, slug=data.validated_data["campaign"], status=Campaign.Status.ACTIVE)
        link = referral_link_create(promoter=user, product=product, campaign=campaign)
        link = selectors.referral_link_list_for_user(user=user).get(pk=link.pk)
        return Response(ReferralLinkSerializer(link, context={"request": request}).data, status=status.HTTP_201_CREATED)
