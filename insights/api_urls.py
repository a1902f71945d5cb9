from django.urls import path

from insights.api import EventBatchView

urlpatterns = [
    path("events/", EventBatchView.as_view(), name="api-events"),
]
