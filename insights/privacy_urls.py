"""Privacy pages: partner audience insights, shares and ad audiences; the user's own data; staff funnels."""

from django.urls import path

from insights import privacy_views as views

app_name = "privacy"

urlpatterns = [
    path("partner/<slug:slug>/audience/", views.partner_audience, name="partner-audience"),
    path("partner/<slug:slug>/audience/share/", views.partner_share, name="partner-share"),
    path(
        "partner/<slug:slug>/audience/share/notices/",
        views.partner_notices_acknowledge,
        name="partner-notices-acknowledge",
    ),
    path("partner/<slug:slug>/audience/ads/", views.partner_ad_audiences, name="partner-ad-audiences"),
    path(
        "partner/<slug:slug>/audience/ads/<int:audience_id>/export/",
        views.partner_ad_audience_export,
        name="partner-ad-audience-export",
    ),
    path("accounts/my-data/", views.my_data, name="my-data"),
    path("accounts/my-data/download/", views.my_data_download, name="my-data-download"),
    path("accounts/my-data/refresh/", views.my_profile_refresh, name="my-profile-refresh"),
    path("accounts/my-data/delete/", views.my_account_delete, name="my-account-delete"),
    path("staff/insights/funnels/", views.staff_funnels, name="staff-funnels"),
    path("staff/insights/profile-runs/", views.staff_profile_run, name="staff-profile-run"),
]
