from django.urls import path

from settlements import views

app_name = "settlements"

urlpatterns = [
    path("partner/<slug:slug>/statements/", views.statement_list, name="portal-statements"),
    path("partner/<slug:slug>/statements/<int:statement_id>/", views.statement_detail, name="portal-statement"),
    path(
        "partner/<slug:slug>/statements/<int:statement_id>/csv/",
        views.statement_csv_download,
        name="portal-statement-csv",
    ),
    path(
        "partner/<slug:slug>/statements/<int:statement_id>/pdf/",
        views.statement_pdf_download,
        name="portal-statement-pdf",
    ),
]
