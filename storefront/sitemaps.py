"""sitemap.xml: an index of sections (pages, products, topics)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from catalog.models import Product, Topic
from catalog.selectors import product_list_sellable
from storefront.territory import territory_default


class StaticPagesSitemap(Sitemap[str]):
    changefreq = "daily"
    priority = 0.8

    def items(self) -> list[str]:
        return ["storefront:home", "storefront:courses", "storefront:books", "storefront:bundles", "storefront:topics"]

    def location(self, item: str) -> str:
        return reverse(item)


class ProductSitemap(Sitemap[Product]):
    """Every product that can be sold in the site's territory."""

    changefreq = "weekly"
    limit = 5000

    def items(self) -> QuerySet[Product]:
        return product_list_sellable(territory=territory_default()).only("slug", "kind", "updated_at").order_by("pk")

    def lastmod(self, item: Product) -> datetime:
        return item.updated_at

    def priority(self, item: Product) -> float:
        return 0.9 if item.kind == Product.Kind.BUNDLE else 0.7


class TopicSitemap(Sitemap[Topic]):
    changefreq = "weekly"
    priority = 0.5

    def items(self) -> QuerySet[Topic]:
        return Topic.objects.order_by("position", "slug")

    def location(self, item: Topic) -> str:
        return reverse("storefront:topic", kwargs={"slug": item.slug})


SITEMAPS = {"pages": StaticPagesSitemap, "products": ProductSitemap, "topics": TopicSitemap}
