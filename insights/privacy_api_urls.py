"""Privacy API routes, mounted under ``/api/v1/``."""

from django.urls import path

from insights import privacy_api as api

urlpatterns = [
    path("partners/<slug:slug>/audience-insights/", api.AudienceInsightView.as_view(), name="api-audience-insight"),
    path("partners/<slug:slug>/audience-insights/budget/", api.AudienceBudgetView.as_view(), name="api-privacy-budget"),
    path("partners/<slug:slug>/shares/", api.ShareView.as_view(), name="api-partner-share"),
    path("partners/<slug:slug>/deletion-notices/", api.DeletionNoticeListView.as_view(), name="api-deletion-notices"),
    path(
        "partners/<slug:slug>/deletion-notices/acknowledge/",
        api.DeletionNoticeAcknowledgeView.as_view(),
        name="api-deletion-notices-acknowledge",
    ),
    path("partners/<slug:slug>/ad-audiences/", api.AdAudienceListView.as_view(), name="api-ad-audiences"),
    path(
        "partners/<slug:slug>/ad-audiences/<int:audience_id>/export/",
        api.AdAudienceExportView.as_view(),
        name="api-ad-audience-export",
    ),
    path("me/data/", api.MyDataView.as_view(), name="api-my-data"),
    path("me/data/recipients/", api.MyDataRecipientsView.as_view(), name="api-my-data-recipients"),
    path("me/delete/", api.MyAccountDeleteView.as_view(), name="api-my-account-delete"),
]
