"""``/partner/catalog/``: mounted before the partner pages so that "catalog" is not read as a partner's slug."""

from django.urls import path

from catalog import views

urlpatterns = [
    path("partner/catalog/", views.portal_home, name="catalog-portal-home"),
]
