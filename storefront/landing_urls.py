from django.urls import path

from storefront import landing

app_name = "landing"

urlpatterns = [
    path("campaigns/<slug:slug>/", landing.landing, name="page"),
]
