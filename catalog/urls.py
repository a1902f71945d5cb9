from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("partner/<slug:slug>/catalog/", views.portal, name="portal"),
    path("partner/<slug:slug>/catalog/imports/<int:job_id>/", views.portal_import, name="portal-import"),
    path(
        "partner/<slug:slug>/catalog/imports/<int:job_id>/progress/",
        views.portal_import_progress,
        name="portal-import-progress",
    ),
    path(
        "partner/<slug:slug>/catalog/imports/<int:job_id>/errors.csv",
        views.portal_import_errors,
        name="portal-import-errors",
    ),
    path("partner/<slug:slug>/catalog/export.csv", views.portal_export, name="portal-export"),
    path("partner/<slug:slug>/catalog/template.csv", views.portal_template, name="portal-template"),
]
