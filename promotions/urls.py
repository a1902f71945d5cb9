from django.urls import path

from promotions import views

app_name = "promotions"

urlpatterns = [
    path("partner/<slug:slug>/campaigns/", views.campaign_list, name="portal-campaigns"),
    path("partner/<slug:slug>/campaigns/<slug:campaign_slug>/", views.campaign_detail, name="portal-campaign"),
]
