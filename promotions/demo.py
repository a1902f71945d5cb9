"""Demo promotions: a live joint campaign between the platform and Qingsong Press, with a landing
page, a public coupon, a batch of single-use codes, two bundle offers and a referral programme.

Safe to run twice: it finds what it made before. Uses whatever demo catalogue exists.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from catalog.models import Product
from promotions.models import Campaign, Coupon, CouponCode, LandingPage, Offer, ReferralProgramme
from promotions.services.campaigns import campaign_create, campaign_status_set
from promotions.services.coupons import coupon_codes_generate, coupon_create
from promotions.services.offers import offer_create
from users.models import Partner

CAMPAIGN_SLUG = "reading-season-2026"
PUBLIC_CODE = "READ2026"


def load(*, stdout: Any = None) -> str:
    platform = Partner.objects.filter(kind=Partner.Kind.PLATFORM).first()
    publisher = Partner.objects.filter(slug="qingsong-press").first()
    if platform is None or publisher is None:
        return "(skipped: the demo partners are missing)"
    campaign = Campaign.objects.filter(slug=CAMPAIGN_SLUG).first()
    now = timezone.now()
    publisher_products = list(Product.objects.filter(owner=publisher, status=Product.Status.PUBLISHED)[:12])
    courses = list(Product.objects.filter(kind=Product.Kind.COURSE, status=Product.Status.PUBLISHED)[:4])
    books = [p for p in publisher_products if p.kind == Product.Kind.BOOK]
    bundles = list(Product.objects.filter(kind=Product.Kind.BUNDLE, status=Product.Status.PUBLISHED)[:3])
    if campaign is None:
        campaign = campaign_create(
            name="知桥 × 青松 读书季",
            name_en="Zhiqiao × Qingsong Reading Season",
            slug=CAMPAIGN_SLUG,
            starts_at=now - timedelta(days=7),
            ends_at=now + timedelta(days=60),
            channels=["social", "email", "in_app"],
            budget=Decimal("50000.00"),
            shares={platform: Decimal("60.00"), publisher: Decimal("40.00")},
            products=[*publisher_products, *courses, *bundles],
            description="Demo: a joint campaign whose cost the platform and Qingsong Press share 60/40.",
        )
        campaign_status_set(campaign=campaign, status=Campaign.Status.ACTIVE)

    coupon = Coupon.objects.filter(campaign=campaign, codes__code=PUBLIC_CODE).first()
    if coupon is None:
        coupon = coupon_create(
            name="读书季满100减20",
            name_en="Reading Season: ¥20 off ¥100",
            kind=Coupon.Kind.FIXED_AMOUNT,
            value=Decimal("20.00"),
            min_spend=Decimal("100.00"),
            code=PUBLIC_CODE,
            campaign=campaign,
            valid_from=now - timedelta(days=7),
            valid_to=now + timedelta(days=60),
            usage_limit=1000,
            per_user_limit=1,
            priority=5,
        )
    welcome = Coupon.objects.filter(campaign=campaign, first_order_only=True).first()
    if welcome is None:
        welcome = coupon_create(
            name="新读者首单八五折",
            name_en="New readers: 15% off the first order",
            kind=Coupon.Kind.PERCENTAGE,
            value=Decimal("15"),
            campaign=campaign,
            first_order_only=True,
            exclusive=True,
            valid_from=now - timedelta(days=7),
            valid_to=now + timedelta(days=60),
            usage_limit=500,
        )
        coupon_codes_generate(coupon=welcome, count=50, prefix="QS", length=8, batch="demo")

    if not Offer.objects.filter(campaign=campaign).exists():
        if courses and books:
            offer_create(
                name="买课程送好书七折",
                name_en="Buy a course, get the book 30% off",
                kind=Offer.Kind.CROSS_DISCOUNT,
                campaign=campaign,
                trigger_products=courses,
                target_products=books,
                percent_off=Decimal("30"),
                valid_from=now - timedelta(days=7),
                valid_to=now + timedelta(days=60),
                priority=2,
            )
        offer_create(
            name="青松好书任选3本99元",
            name_en="Any 3 Qingsong books for ¥99",
            kind=Offer.Kind.GROUP_PRICE,
            campaign=campaign,
            group_partner=publisher,
            group_formats="ebook audiobook",
            group_size=3,
            group_price=Decimal("99.00"),
            valid_from=now - timedelta(days=7),
            valid_to=now + timedelta(days=60),
            priority=1,
        )

    if not ReferralProgramme.objects.filter(campaign=campaign).exists():
        ReferralProgramme.objects.create(
            name="读书季分销", name_en="Reading Season referrals", campaign=campaign, commission_percent=Decimal("8")
        )

    page, created = LandingPage.objects.get_or_create(
        slug=CAMPAIGN_SLUG,
        defaults={
            "campaign": campaign,
            "hero_title": "读书季：好课配好书",
            "hero_title_en": "Reading Season: great courses, great books",
            "hero_subtitle": "知桥与青松出版社联合推出，满100减20，买课程送好书七折。",
            "hero_subtitle_en": "From Zhiqiao and Qingsong Press: ¥20 off ¥100, and the book 30% off with its course.",
            "body": "读一本好书，听一门好课。\n\n活动期间，青松好书任选3本只要99元。",
            "body_en": "Read a good book, take a good course.\n\nDuring the season, any 3 Qingsong books cost ¥99.",
            "seo_description": "知桥 × 青松出版社读书季：课程与图书联合优惠。",
            "seo_description_en": "Zhiqiao × Qingsong Press Reading Season: joint offers on courses and books.",
            "coupon": coupon,
            "coupon_code": PUBLIC_CODE,
            "is_published": True,
        },
    )
    if created:
        page.featured_products.set([*bundles, *courses[:2], *books[:4]])
    codes = CouponCode.objects.filter(coupon__campaign=campaign).count()
    if stdout is not None:
        stdout.write(f"  campaign landing page: /campaigns/{page.slug}/ · coupon {PUBLIC_CODE}")
    return f"(campaign {campaign.slug}: {codes} codes, {campaign.offers.count()} offers)"
