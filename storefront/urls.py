from django.contrib.sitemaps import views as sitemap_views
from django.urls import path
from django.views.decorators.cache import cache_page

from storefront.sitemaps import SITEMAPS
from storefront.views import browse, library, product, seo, shop

app_name = "storefront"

SITEMAP_CACHE_SECONDS = 3600

urlpatterns = [
    path("", browse.home, name="home"),
    path("search/", browse.search, name="search"),
    path("courses/", browse.course_list, name="courses"),
    path("books/", browse.book_list, name="books"),
    path("bundles/", browse.bundle_list, name="bundles"),
    path("topics/", browse.topic_index, name="topics"),
    path("topics/<str:slug>/", browse.topic_detail, name="topic"),
    path("products/<str:slug>/", product.product_detail, name="product"),
    path("products/<str:slug>/lessons/<int:position>/", product.lesson_detail, name="lesson"),
    path("products/<str:slug>/chapters/<int:number>/", product.chapter_detail, name="chapter"),
    path("products/<str:slug>/review/", library.review_write, name="review"),
    path("cart/", shop.cart_view, name="cart"),
    path("cart/add/", shop.cart_add_view, name="cart-add"),
    path("cart/lines/<int:line_id>/", shop.cart_line_update, name="cart-line"),
    path("cart/coupons/", shop.cart_coupon, name="cart-coupon"),
    path("checkout/", shop.checkout, name="checkout"),
    path("checkout/return/<str:key>/", shop.checkout_return, name="checkout-return"),
    path("orders/", library.order_history, name="orders"),
    path("orders/<str:number>/", shop.order_detail, name="order"),
    path("library/", library.library, name="library"),
    path("region/", seo.territory_set, name="territory"),
    path("robots.txt", seo.robots_txt, name="robots"),
    path(
        "sitemap.xml",
        cache_page(SITEMAP_CACHE_SECONDS)(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "storefront:sitemap-section"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        cache_page(SITEMAP_CACHE_SECONDS)(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
]
