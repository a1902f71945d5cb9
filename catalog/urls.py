from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("partner/<slug:slug>/catalog/", views.portal, name="portal"),
]
