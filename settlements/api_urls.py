from django.urls import path

from settlements import api

urlpatterns = [
    path("partners/<slug:slug>/contracts/", api.ContractListView.as_view(), name="api-settlement-contracts"),
    path(
        "partners/<slug:slug>/contracts/<str:number>/",
        api.ContractDetailView.as_view(),
        name="api-settlement-contract",
    ),
    path(
        "partners/<slug:slug>/contracts/<str:number>/versions/",
        api.ContractVersionCreateView.as_view(),
        name="api-settlement-contract-versions",
    ),
    path("partners/<slug:slug>/statements/", api.StatementListView.as_view(), name="api-settlement-statements"),
    path(
        "partners/<slug:slug>/statements/<int:statement_id>/",
        api.StatementDetailView.as_view(),
        name="api-settlement-statement",
    ),
    path(
        "partners/<slug:slug>/statements/<int:statement_id>/lines/",
        api.StatementLineListView.as_view(),
        name="api-settlement-statement-lines",
    ),
]
