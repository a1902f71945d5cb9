"""Reads for promotions: the pricing engine's inputs, attribution, campaigns and their reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import HttpRequest
from django.utils import timezone

from catalog.models import Product, Variant
from core.money import money_split
from promotions.attribution import Attribution, attribution_window
from promotions.middleware import stored_attribution
from promotions.models import (
    Campaign,
    CampaignConversion,
    Coupon,
    CouponCode,
    Offer,
    Redemption,
    ReferralCommission,
    ReferralLink,
)
from promotions.models.fields import split_codes
from promotions.pricing import CartLine, CouponTerms, OfferTerms, ProductRange, names
from promotions.services.coupons import coupon_code_normalize
from users.models import Partner, User

ZERO = Decimal("0.00")


# --- Pricing inputs ---------------------------------------------------------------


@dataclass(frozen=True)
class CartItem:
    """A cart line as commerce holds it: a variant, a quantity, and optionally its own ref and unit price."""

    variant: Variant
    quantity: int = 1
    ref: str = ""
    unit_price: Decimal | None = None


def cart_lines_from_items(*, items: Sequence[CartItem | tuple[Variant, int]]) -> list[CartLine]:
    """The pricing engine's lines for ``items`` (refs default to the variant id)."""
    normal = [i if isinstance(i, CartItem) else CartItem(variant=i[0], quantity=i[1]) for i in items]
    product_ids = {i.variant.product_id for i in normal}
    products = {
        p.pk: p
        for p in Product.objects.filter(pk__in=product_ids).prefetch_related("topics").only("pk", "owner_id", "title")
    }
    lines = []
    for item in normal:
        product = products[item.variant.product_id]
        lines.append(
            CartLine(
                ref=item.ref or str(item.variant.pk),
                variant_id=item.variant.pk,
                product_id=product.pk,
                owner_id=product.owner_id,
                format=item.variant.format,
                unit_price=item.unit_price if item.unit_price is not None else item.variant.price,
                quantity=item.quantity,
                topic_ids=frozenset(t.pk for t in product.topics.all()),
                currency=item.variant.currency,
                title=product.title,
            )
        )
    return lines


def _ids(manager: Iterable[object]) -> frozenset[int]:
    return frozenset(o.pk for o in manager)  # type: ignore[attr-defined]


def _campaign_running_q(prefix: str = "campaign") -> Q:
    return Q(**{f"{prefix}__isnull": True}) | Q(**{f"{prefix}__status": Campaign.Status.ACTIVE})


def offer_terms_live(*, at: datetime | None = None) -> list[OfferTerms]:
    """The terms of every offer in force at ``at``: active, in its window, its campaign (if any) running."""
    at = at or timezone.now()
    offers = (
        Offer.objects.filter(_campaign_running_q(), is_active=True, valid_from__lte=at, valid_to__gt=at)
        .prefetch_related(
            Prefetch("trigger_products", queryset=Product.objects.only("pk")),
            Prefetch("target_products", queryset=Product.objects.only("pk")),
            Prefetch("group_products", queryset=Product.objects.only("pk")),
            "group_topics",
        )
        .order_by("-priority", "pk")
    )
    return [offer_terms(offer=o) for o in offers]


def offer_terms(*, offer: Offer) -> OfferTerms:
    return OfferTerms(
        offer_id=offer.pk,
        name=names(offer.name, offer.name_en),
        kind=offer.kind,
        currency=offer.currency,
        valid_from=offer.valid_from,
        valid_to=offer.valid_to,
        priority=offer.priority,
        territories=split_codes(offer.territories, upper=True),
        trigger=ProductRange(product_ids=_ids(offer.trigger_products.all())),
        target=ProductRange(product_ids=_ids(offer.target_products.all()), formats=split_codes(offer.target_formats)),
        percent_off=offer.percent_off or ZERO,
        group=ProductRange(
            product_ids=_ids(offer.group_products.all()),
            topic_ids=_ids(offer.group_topics.all()),
            formats=split_codes(offer.group_formats),
            owner_ids=frozenset({offer.group_partner_id}) if offer.group_partner_id else frozenset(),
        ),
        group_size=offer.group_size or 0,
        group_price=offer.group_price if offer.group_price is not None else ZERO,
        campaign_id=offer.campaign_id,
    )


def coupon_terms_for_codes(*, codes: Iterable[str], user: User | None) -> tuple[list[CouponTerms], list[str]]:
    """The terms behind each entered code, with uses left for ``user``; and the codes that match nothing."""
    wanted: list[str] = []
    for raw in codes:
        code = coupon_code_normalize(raw)
        if code and code not in wanted:
            wanted.append(code)
    found = {
        c.code: c
        for c in CouponCode.objects.filter(code__in=wanted)
        .select_related("coupon", "coupon__campaign")
        .prefetch_related("coupon__products", "coupon__topics", "coupon__partners")
    }
    terms: list[CouponTerms] = []
    user_uses: dict[int, int] = {}
    if user is not None and found:
        user_uses = dict(
            Redemption.objects.filter(
                user=user, status=Redemption.Status.ACTIVE, coupon__in=[c.coupon_id for c in found.values()]
            )
            .values_list("coupon")
            .annotate(n=Count("pk"))
            .values_list("coupon", "n")
        )
    for code in wanted:
        if code in found:
            terms.append(coupon_terms(code=found[code], user_uses=user_uses.get(found[code].coupon_id, 0)))
    return terms, [c for c in wanted if c not in found]


def coupon_terms(*, code: CouponCode, user_uses: int = 0) -> CouponTerms:
    coupon: Coupon = code.coupon
    remaining = [
        limit - used
        for limit, used in ((coupon.usage_limit, coupon.used), (code.max_uses, code.used))
        if limit is not None
    ]
    campaign_ok = coupon.campaign is None or coupon.campaign.status == Campaign.Status.ACTIVE
    return CouponTerms(
        coupon_id=coupon.pk,
        code=code.code,
        name=names(coupon.name, coupon.name_en),
        kind=coupon.kind,
        value=coupon.value,
        currency=coupon.currency,
        valid_from=coupon.valid_from,
        valid_to=coupon.valid_to,
        product_range=ProductRange(
            product_ids=_ids(coupon.products.all()),
            topic_ids=_ids(coupon.topics.all()),
            formats=split_codes(coupon.formats),
            owner_ids=_ids(coupon.partners.all()),
        ),
        min_spend=coupon.min_spend,
        first_order_only=coupon.first_order_only,
        territories=split_codes(coupon.territories, upper=True),
        exclusive=coupon.exclusive,
        priority=coupon.priority,
        max_units_per_order=coupon.max_units_per_order,
        remaining_uses=min(remaining) if remaining else None,
        remaining_user_uses=None if coupon.per_user_limit is None else coupon.per_user_limit - user_uses,
        per_user_limited=coupon.per_user_limit is not None,
        is_active=coupon.is_active and campaign_ok,
        campaign_id=coupon.campaign_id,
    )


# --- Attribution ----------------------------------------------------------------------


def attribution_for_request(request: HttpRequest, *, now: datetime | None = None) -> Attribution:
    """The shopper's first, last and referral touches within the attribution window.

    Commerce copies ``.as_dict()`` onto each order line at checkout.
    """
    now = now or timezone.now()
    current = getattr(request, "_promotions_attribution", None) or stored_attribution(request)
    return current.within(attribution_window(), now=now)


# --- Campaigns ---------------------------------------------------------------------------


def campaign_list_for_partner(*, partner: Partner) -> QuerySet[Campaign]:
    """Campaigns the partner takes part in (the platform's own partner sees all of them)."""
    campaigns = Campaign.objects.prefetch_related("shares__partner")
    if partner.kind == Partner.Kind.PLATFORM:
        return campaigns.order_by("-starts_at", "-pk")
    return campaigns.filter(shares__partner=partner).distinct().order_by("-starts_at", "-pk")


def campaign_for_partner(*, partner: Partner, slug: str) -> Campaign | None:
    return campaign_list_for_partner(partner=partner).filter(slug=slug).first()


def campaign_live_by_slug(*, slug: str, at: datetime | None = None) -> Campaign | None:
    at = at or timezone.now()
    return Campaign.objects.filter(slug=slug, status=Campaign.Status.ACTIVE, starts_at__lte=at, ends_at__gt=at).first()


def campaign_cost_split(*, campaign: Campaign, amount: Decimal) -> dict[int, Decimal]:
    """``amount`` of the campaign's cost split between its partners by their shares, to the cent.

    Returns partner id → amount; the amounts add up to ``amount`` exactly."""
    shares = list(campaign.shares.order_by("partner_id"))
    if not shares:
        return {}
    parts = money_split(amount=amount, weights=[s.cost_share_percent for s in shares])
    return {s.partner_id: part for s, part in zip(shares, parts, strict=True)}


@dataclass
class ReportDay:
    day: date
    redemptions: int = 0
    orders: int = 0
    revenue: Decimal = ZERO
    discounts: Decimal = ZERO
    commissions: Decimal = ZERO

    @property
    def spend(self) -> Decimal:
        return self.discounts + self.commissions


@dataclass
class CampaignReport:
    campaign: Campaign
    days: list[ReportDay]
    partner_costs: dict[int, Decimal] = field(default_factory=dict)

    @property
    def redemptions(self) -> int:
        return sum(d.redemptions for d in self.days)

    @property
    def orders(self) -> int:
        return sum(d.orders for d in self.days)

    @property
    def revenue(self) -> Decimal:
        return sum((d.revenue for d in self.days), ZERO)

    @property
    def discounts(self) -> Decimal:
        return sum((d.discounts for d in self.days), ZERO)

    @property
    def commissions(self) -> Decimal:
        return sum((d.commissions for d in self.days), ZERO)

    @property
    def spend(self) -> Decimal:
        return self.discounts + self.commissions

    @property
    def budget_left(self) -> Decimal:
        return self.campaign.budget - self.spend


def campaign_report(*, campaign: Campaign, start: date | None = None, end: date | None = None) -> CampaignReport:
    """Day by day (in the site's time zone): redemptions, attributed orders and revenue (net of refunds),
    discounts granted on paid lines, commissions owed; and each partner's share of the spend."""
    tz = timezone.get_current_timezone()
    start = start or timezone.localtime(campaign.starts_at, tz).date()
    end = end or min(timezone.localdate(), timezone.localtime(campaign.ends_at, tz).date())
    if end < start:
        end = start
    if (end - start).days > 366:
        start = end - timedelta(days=366)
    days = {start + timedelta(n): ReportDay(day=start + timedelta(n)) for n in range((end - start).days + 1)}

    def in_range(rows: Iterable[dict[str, object]]) -> Iterable[dict[str, object]]:
        return (r for r in rows if r["day"] in days)

    redemptions = (
        Redemption.objects.filter(coupon__campaign=campaign, status=Redemption.Status.ACTIVE)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
    )
    for row in in_range(redemptions):
        days[row["day"]].redemptions = int(row["n"])  # type: ignore[index, call-overload]
    conversions = (
        CampaignConversion.objects.filter(campaign=campaign)
        .annotate(day=TruncDate("paid_at", tzinfo=tz))
        .values("day")
        .annotate(
            orders=Count("order_number", distinct=True),
            revenue=Sum("revenue"),
            refunded=Sum("refunded_amount"),
            discounts=Sum("discount"),
        )
    )
    for row in in_range(conversions):
        day = days[row["day"]]  # type: ignore[index]
        day.orders = int(row["orders"])  # type: ignore[call-overload]
        day.revenue = (row["revenue"] or ZERO) - (row["refunded"] or ZERO)  # type: ignore[operator]
        day.discounts = row["discounts"] or ZERO  # type: ignore[assignment]
    commissions = (
        ReferralCommission.objects.filter(campaign=campaign)
        .exclude(status=ReferralCommission.Status.VOID)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(total=Sum("amount"))
    )
    for row in in_range(commissions):
        days[row["day"]].commissions = row["total"] or ZERO  # type: ignore[index, assignment]
    report = CampaignReport(campaign=campaign, days=[days[d] for d in sorted(days)])
    report.partner_costs = campaign_cost_split(campaign=campaign, amount=report.spend)
    return report


# --- Referrals --------------------------------------------------------------------------------


def referral_link_list_for_user(*, user: User) -> QuerySet[ReferralLink]:
    return (
        ReferralLink.objects.filter(promoter=user)
        .select_related("product", "campaign", "programme")
        .annotate(
            earned=Sum("commissions__amount", filter=~Q(commissions__status=ReferralCommission.Status.VOID)),
            sales=Count("commissions", filter=~Q(commissions__status=ReferralCommission.Status.VOID)),
        )
        .order_by("-created_at", "-pk")
    )
