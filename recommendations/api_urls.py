"""``/api/v1/recommendations/…`` (mounted in ``config/urls.py``'s ``api_v1``)."""

from django.urls import path

from recommendations import api

urlpatterns = [
    path("recommendations/me", api.MyRecommendationsView.as_view(), name="recommendations-me"),
    path("recommendations/users/<int:user_id>", api.UserRecommendationsView.as_view(), name="recommendations-user"),
    path(
        "recommendations/products/<int:product_id>/similar",
        api.SimilarProductsView.as_view(),
        name="recommendations-similar",
    ),
    path(
        "recommendations/products/<int:product_id>/complete",
        api.CompleteItView.as_view(),
        name="recommendations-complete",
    ),
    path("recommendations/training-runs/", api.TrainingRunListView.as_view(), name="recommendations-training-runs"),
    path(
        "recommendations/training-runs/<int:pk>/",
        api.TrainingRunDetailView.as_view(),
        name="recommendations-training-run",
    ),
    path(
        "recommendations/training-runs/<int:pk>/retry/",
        api.TrainingRunRetryView.as_view(),
        name="recommendations-training-run-retry",
    ),
    path("recommendations/models/", api.ModelVersionListView.as_view(), name="recommendations-models"),
]
