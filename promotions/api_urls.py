from django.urls import path

from promotions import api

urlpatterns = [
    path("campaigns/live/", api.LiveCampaignListView.as_view(), name="api-campaigns-live"),
    path("coupons/validate/", api.CouponValidateView.as_view(), name="api-coupon-validate"),
    path("referral-links/", api.ReferralLinkListCreateView.as_view(), name="api-referral-links"),
    path("partners/<slug:slug>/campaigns/", api.PartnerCampaignListView.as_view(), name="api-partner-campaigns"),
    path(
        "partners/<slug:slug>/campaigns/<slug:campaign_slug>/",
        api.PartnerCampaignDetailView.as_view(),
        name="api-partner-campaign",
    ),
    path(
        "partners/<slug:slug>/campaigns/<slug:campaign_slug>/report/",
        api.PartnerCampaignReportView.as_view(),
        name="api-partner-campaign-report",
    ),
]
