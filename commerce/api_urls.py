"""Commerce API routes, mounted under ``/api/v1/``."""

from django.urls import path

from commerce import api

urlpatterns = [
    path("cart/", api.CartView.as_view(), name="api-cart"),
    path("cart/lines/<int:line_id>/", api.CartLineView.as_view(), name="api-cart-line"),
    path("cart/coupons/", api.CartCouponListView.as_view(), name="api-cart-coupons"),
    path("cart/coupons/<str:code>/", api.CartCouponView.as_view(), name="api-cart-coupon"),
    path("checkout/", api.CheckoutView.as_view(), name="api-checkout"),
    path("orders/", api.OrderListView.as_view(), name="api-orders"),
    path("orders/<str:number>/", api.OrderDetailView.as_view(), name="api-order"),
    path("orders/<str:number>/cancel/", api.OrderCancelView.as_view(), name="api-order-cancel"),
    path("orders/<str:number>/refunds/", api.OrderRefundsView.as_view(), name="api-order-refunds"),
    path("library/", api.LibraryView.as_view(), name="api-library"),
    path("reviews/", api.ReviewListCreateView.as_view(), name="api-reviews"),
]
