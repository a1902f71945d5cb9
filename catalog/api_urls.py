"""Catalogue API routes, mounted under ``/api/v1/``."""

from django.urls import path

from catalog import api

urlpatterns = [
    path("catalog/products/", api.ProductListView.as_view(), name="api-catalog-products"),
    path("catalog/products/<slug:slug>/", api.ProductDetailView.as_view(), name="api-catalog-product"),
    path(
        "catalog/products/<slug:slug>/reviews/",
        api.ProductReviewListView.as_view(),
        name="api-catalog-product-reviews",
    ),
    path("catalog/topics/", api.TopicTreeView.as_view(), name="api-catalog-topics"),
    path(
        "partners/<slug:slug>/catalog/products/",
        api.PartnerProductListView.as_view(),
        name="api-partner-catalog-products",
    ),
    path(
        "partners/<slug:slug>/catalog/products/<slug:product_slug>/",
        api.PartnerProductDetailView.as_view(),
        name="api-partner-catalog-product",
    ),
    path(
        "partners/<slug:slug>/catalog/products/<slug:product_slug>/publish/",
        api.PartnerProductPublishView.as_view(),
        name="api-partner-catalog-product-publish",
    ),
    path(
        "partners/<slug:slug>/catalog/products/<slug:product_slug>/withdraw/",
        api.PartnerProductWithdrawView.as_view(),
        name="api-partner-catalog-product-withdraw",
    ),
]
