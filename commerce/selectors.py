"""Reads of carts, orders, payments and what a user owns.

The storefront and the API call these; they never write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from catalog.models import BundleItem, Product, Review, Variant
from catalog.selectors import DEFAULT_TERRITORY, variant_list_sellable
from commerce.models import Cart, CartCoupon, CartLine, Entitlement, Order, OrderLine, Payment, Refund
from commerce.states import ORDER_PAID_STATUSES
from core.money import DEFAULT_CURRENCY, money_quantize
from promotions.pricing import Adjustment, Bilingual, PricedCart
from promotions.selectors import CartItem
from promotions.services.checkout import SOFT_REJECTIONS, cart_price_for
from users.models import User

ZERO = Decimal("0.00")
# Why a code may sit in a cart without applying yet: the cart (or logging in) can change that.
# A code refused for any other reason (unknown, expired, used up, ...) is not kept.
CART_DEPENDENT_REASONS = frozenset(
    {"no_items", "min_spend", "incomplete_set", "no_saving", "not_combinable", "currency", "login_required"}
)

# Formats that give the buyer something to use on the platform (and so an entitlement).
DIGITAL_FORMATS = frozenset(
    {Variant.Format.COURSE, Variant.Format.EBOOK, Variant.Format.AUDIOBOOK, Variant.Format.BUNDLE}
)


# --- Ownership ----------------------------------------------------------------


def entitlement_active_q() -> Q:
    return Q(revoked_at__isnull=True)


def entitlement_product_ids(user: User | None) -> set[int]:
    """Ids of every product ``user`` may use now (bought alone or inside a bundle)."""
    if user is None or not user.is_authenticated:
        return set()
    return set(Entitlement.objects.filter(entitlement_active_q(), user=user).values_list("product_id", flat=True))


def user_owns(user: User | None, product: Product | int) -> bool:
    if user is None or not user.is_authenticated:
        return False
    product_id = product if isinstance(product, int) else product.pk
    return Entitlement.objects.filter(entitlement_active_q(), user=user, product_id=product_id).exists()


def variant_granted_products(variant: Variant, items: Sequence[BundleItem] | None = None) -> list[Product]:
    """The products buying ``variant`` entitles its buyer to use.

    A print copy grants nothing on the platform; a bundle grants itself and
    each digital item's product. ``items`` may be passed pre-fetched (with
    ``variant__product``) to save queries."""
    if variant.format == Variant.Format.PRINT:
        return []
    if variant.format != Variant.Format.BUNDLE:
        return [variant.product]
    if items is None:
        items = list(BundleItem.objects.filter(bundle_id=variant.product_id).select_related("variant__product"))
    products: dict[int, Product] = {variant.product_id: variant.product}
    for item in items:
        if item.variant.format in DIGITAL_FORMATS:
            products.setdefault(item.variant.product_id, item.variant.product)
    return list(products.values())


def user_is_first_order(user: User | None) -> bool:
    """True when ``user`` has no paid order yet (a refunded one counts as paid): first-order coupons."""
    if user is None or not user.is_authenticated:
        return False
    return not Order.objects.filter(user=user, status__in=ORDER_PAID_STATUSES).exists()


# --- Cart ---------------------------------------------------------------------


@dataclass(frozen=True)
class CartLineView:
    line: CartLine
    variant: Variant
    product: Product
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    currency: str
    available: bool
    owned: bool
    bundle_items: list[BundleItem] = field(default_factory=list)
    offer_discount: Decimal = ZERO
    coupon_discount: Decimal = ZERO

    @property
    def discount(self) -> Decimal:
        return self.offer_discount + self.coupon_discount

    @property
    def total(self) -> Decimal:
        """What the line costs after bundle offers and coupons."""
        return self.line_total - self.discount


@dataclass(frozen=True)
class CartCodeProblem:
    """A code in the cart that gives no discount now, why (in both languages), and whether it stops checkout."""

    code: str
    reason: str
    message: Bilingual
    blocks_checkout: bool


@dataclass(frozen=True)
class CartSummary:
    """The cart at current prices with every bundle offer in force and the codes the shopper entered.

    ``priced`` is promotions' priced cart of the lines that can be bought now
    (None for a cart mixing currencies, which checkout refuses anyway).
    """

    cart: Cart | None
    lines: list[CartLineView]
    subtotal: Decimal
    currency: str
    territory: str
    codes: list[str] = field(default_factory=list)
    priced: PricedCart | None = None

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def offer_discount(self) -> Decimal:
        return self.priced.offer_discount if self.priced else ZERO

    @property
    def coupon_discount(self) -> Decimal:
        return self.priced.coupon_discount if self.priced else ZERO

    @property
    def discount(self) -> Decimal:
        return self.priced.discount if self.priced else ZERO

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    @property
    def adjustments(self) -> list[Adjustment]:
        """The offers and coupons applied, each with its amount and explanation."""
        return list(self.priced.adjustments) if self.priced else []

    @property
    def applied_codes(self) -> list[str]:
        return self.priced.applied_codes if self.priced else []

    @property
    def explanation(self) -> Bilingual | None:
        """Why the cart costs what it does: every discount taken and every code left out."""
        return self.priced.explanation if self.priced else None

    @property
    def code_problems(self) -> list[CartCodeProblem]:
        if self.priced is None:
            return []
        return [
            CartCodeProblem(
                code=r.code, reason=r.reason, message=r.message, blocks_checkout=r.reason not in SOFT_REJECTIONS
            )
            for r in self.priced.rejected
        ]

    @property
    def blocking_codes(self) -> list[str]:
        """Codes that checkout would refuse: the shopper removes them (or changes the cart) first."""
        return [p.code for p in self.code_problems if p.blocks_checkout]

    @property
    def can_check_out(self) -> bool:
        return (
            bool(self.lines)
            and all(line.available and not line.owned for line in self.lines)
            and not self.blocking_codes
        )


def cart_lines(cart: Cart) -> QuerySet[CartLine]:
    return (
        CartLine.objects.filter(cart=cart)
        .select_related("variant__product__owner")
        .prefetch_related(
            Prefetch(
                "variant__product__bundle_items",
                queryset=BundleItem.objects.select_related("variant__product").order_by("position", "pk"),
            )
        )
        .order_by("added_at", "pk")
    )


def cart_coupon_codes(*, cart: Cart | None) -> list[str]:
    """The codes held by ``cart``, in the order they were entered."""
    if cart is None or cart.pk is None:
        return []
    return list(CartCoupon.objects.filter(cart=cart).order_by("added_at", "pk").values_list("code", flat=True))


def cart_coupon_codes_for_user(*, user: User) -> list[str]:
    return list(CartCoupon.objects.filter(cart__user=user).order_by("added_at", "pk").values_list("code", flat=True))


def cart_summary(*, cart: Cart | None, territory: str = DEFAULT_TERRITORY, on: date | None = None) -> CartSummary:
    """The cart at *current* prices, each line marked unavailable (no rights in
    ``territory``, withdrawn) or already owned, and priced with the bundle offers
    in force and the codes the shopper entered (per-line discounts, the chosen
    combination explained in both languages, codes that do not apply with the
    reason). Redeems nothing. A fixed number of queries."""
    if cart is None or cart.pk is None:
        return CartSummary(
            cart=cart, lines=[], subtotal=money_quantize(0), currency=DEFAULT_CURRENCY, territory=territory
        )
    lines = list(cart_lines(cart))
    variant_ids = [line.variant_id for line in lines]
    sellable = set(
        variant_list_sellable(territory=territory, on=on).filter(pk__in=variant_ids).values_list("pk", flat=True)
    )
    owned = entitlement_product_ids(cart.user) if cart.user_id else set()
    codes = cart_coupon_codes(cart=cart)
    priced = _cart_priced(
        cart=cart, lines=[line for line in lines if line.variant_id in sellable], codes=codes, territory=territory
    )
    views: list[CartLineView] = []
    for line in lines:
        variant = line.variant
        items = list(variant.product.bundle_items.all()) if variant.format == Variant.Format.BUNDLE else []
        granted = {p.pk for p in variant_granted_products(variant, items)}
        unit = money_quantize(variant.price)
        priced_line = next((p for p in priced.lines if p.ref == str(line.pk)), None) if priced else None
        views.append(
            CartLineView(
                line=line,
                variant=variant,
                product=variant.product,
                quantity=line.quantity,
                unit_price=unit,
                line_total=money_quantize(unit * line.quantity),
                currency=variant.currency,
                available=variant.pk in sellable,
                owned=bool(granted & owned),
                bundle_items=items,
                offer_discount=priced_line.offer_discount if priced_line else ZERO,
                coupon_discount=priced_line.coupon_discount if priced_line else ZERO,
            )
        )
    currency = views[0].currency if views else DEFAULT_CURRENCY
    subtotal = money_quantize(sum((v.line_total for v in views if v.available), Decimal(0)))
    return CartSummary(
        cart=cart, lines=views, subtotal=subtotal, currency=currency, territory=territory, codes=codes, priced=priced
    )


def _cart_priced(*, cart: Cart, lines: Sequence[CartLine], codes: Sequence[str], territory: str) -> PricedCart | None:
    """Promotions' price of ``lines`` (refs are the cart lines' ids); None for a cart of mixed currencies."""
    user = cart.user if cart.user_id else None
    try:
        return cart_price_for(
            items=[
                CartItem(
                    variant=line.variant,
                    quantity=line.quantity,
                    ref=str(line.pk),
                    unit_price=money_quantize(line.variant.price),
                )
                for line in lines
            ],
            user=user,
            codes=codes,
            territory=territory,
            is_first_order=user_is_first_order(user),
        )
    except ValueError:  # mixed currencies: checkout says so, with the currencies named
        return None


def cart_for_user(user: User) -> Cart | None:
    return Cart.objects.filter(user=user).first()


def cart_for_token(token: object) -> Cart | None:
    if not token:
        return None
    try:
        return Cart.objects.filter(token=str(token), user__isnull=True).first()
    except Exception:  # a malformed token in an old session is simply no cart
        return None


# --- Orders -------------------------------------------------------------------


def order_list_for_user(*, user: User) -> QuerySet[Order]:
    return (
        Order.objects.filter(user=user)
        .select_related("payment")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.prefetch_related("items")))
        .order_by("-created_at", "-pk")
    )


def order_get_for_user(*, user: User, number: str) -> Order | None:
    """The user's own order with this number; ``None`` for anyone else's."""
    return order_list_for_user(user=user).prefetch_related("events", "refunds__lines").filter(number=number).first()


def order_get_by_payment(*, public_id: object) -> Payment | None:
    try:
        return Payment.objects.select_related("order").filter(public_id=str(public_id)).first()
    except Exception:  # not a UUID
        return None


def refund_list_for_order(*, order: Order) -> QuerySet[Refund]:
    return Refund.objects.filter(order=order).prefetch_related("lines").order_by("-created_at", "-pk")


def orders_paid_between(*, start: object, end: object) -> QuerySet[OrderLine]:
    """Order lines of orders paid in [start, end): what settlements and insights read."""
    return (
        OrderLine.objects.filter(order__paid_at__gte=start, order__paid_at__lt=end)
        .select_related("order", "product", "owner")
        .prefetch_related("items")
    )


# --- Library ------------------------------------------------------------------


def library_list(*, user: User) -> QuerySet[Entitlement]:
    """Everything ``user`` may use now, newest first, with product, owner and the line that granted it."""
    return (
        Entitlement.objects.filter(entitlement_active_q(), user=user)
        .select_related("product__owner", "order_line__order")
        .prefetch_related("product__contributors", "product__variants")
        .order_by("-granted_at", "-pk")
    )


def review_list_for_user(*, user: User) -> QuerySet[Review]:
    return Review.objects.filter(user=user).select_related("product").order_by("-updated_at", "-pk")


def products_owned_among(*, user: User | None, product_ids: Iterable[int]) -> set[int]:
    """Which of ``product_ids`` ``user`` owns, in one query (for listing pages)."""
    if user is None or not user.is_authenticated:
        return set()
    return set(
        Entitlement.objects.filter(entitlement_active_q(), user=user, product_id__in=list(product_ids)).values_list(
            "product_id", flat=True
        )
    )
