"""Campaign landing pages (``/campaigns/<slug>/``): hero, bilingual copy, featured products and
bundles, the coupon to use, with canonical URL, share card and JSON-LD like product pages.

The page itself belongs to promotions (edited in the admin as ``LandingPage``);
this module only composes it for shoppers.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from promotions.models import Campaign, LandingPage
from storefront.selectors import product_cards
from storefront.seo import PageMeta, breadcrumb_jsonld, item_list_jsonld, summary
from storefront.territory import shopper_territory
from storefront.views.common import language_from_url, render_page


def _landing_jsonld(request: HttpRequest, page: LandingPage, products: list[Any]) -> list[dict[str, Any]]:
    url = request.build_absolute_uri(page.get_absolute_url())
    campaign = page.campaign
    blocks: list[dict[str, Any]] = [
        {
            "@context": "https://schema.org",
            "@type": "WebPage",
            "@id": url,
            "url": url,
            "name": page.title,
            "description": page.description,
            "about": {
                "@type": "Event",
                "name": campaign.display_name,
                "startDate": campaign.starts_at.isoformat(),
                "endDate": campaign.ends_at.isoformat(),
                "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode",
                "location": {"@type": "VirtualLocation", "url": url},
            },
        },
        breadcrumb_jsonld(request=request, trail=[("知桥 Zhiqiao", "/"), (page.title, page.get_absolute_url())]),
    ]
    if products:
        blocks.append(item_list_jsonld(request=request, name=page.title, products=products))
    return blocks


@language_from_url
def landing(request: HttpRequest, slug: str) -> HttpResponse:
    page = (
        LandingPage.objects.select_related("campaign", "coupon")
        .filter(slug=slug, is_published=True)
        .exclude(campaign__status=Campaign.Status.DRAFT)
        .first()
    )
    if page is None:
        raise Http404
    campaign = page.campaign
    now = timezone.now()
    running = campaign.status == Campaign.Status.ACTIVE and campaign.starts_at <= now < campaign.ends_at
    territory = shopper_territory(request)
    featured_ids = list(page.featured_products.values_list("pk", flat=True))
    products = list(product_cards(territory=territory).filter(pk__in=featured_ids)) if featured_ids else []
    bundles = [p for p in products if p.kind == "bundle"]
    others = [p for p in products if p.kind != "bundle"]
    coupon = page.coupon
    coupon_live = bool(
        running
        and coupon is not None
        and page.coupon_code
        and coupon.is_active
        and coupon.valid_from <= now < coupon.valid_to
    )
    image = request.build_absolute_uri(page.hero_image.url) if page.hero_image else ""
    meta = PageMeta(
        title=page.title,
        description=summary(page.description or page.copy, 160),
        path=page.get_absolute_url(),
        image=image,
        noindex=not running,
        extra_og=[("og:image:alt", page.title)] if image else [],
        jsonld=_landing_jsonld(request, page, products),
    )
    return render_page(
        request,
        "storefront/landing.html",
        {
            "page": page,
            "campaign": campaign,
            "running": running,
            "paragraphs": [p.strip() for p in page.copy.split("\n\n") if p.strip()],
            "bundles": bundles,
            "products": others,
            "coupon": coupon if coupon_live else None,
            "coupon_code": page.coupon_code if coupon_live else "",
        },
        meta=meta,
    )
