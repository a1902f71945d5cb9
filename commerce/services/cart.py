"""The cart: adding, changing and removing lines, and merging an anonymous cart at login."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import BundleItem, Product, Variant
from catalog.selectors import DEFAULT_TERRITORY, variant_is_sellable
from commerce.errors import AlreadyOwned, CartInvalid, NotSellable
from commerce.models import MAX_PRINT_QUANTITY, Cart, CartLine
from commerce.selectors import cart_for_token, entitlement_product_ids, variant_granted_products
from commerce.services.cart_coupons import cart_coupons_move
from users.models import User

SESSION_CART_TOKEN = "commerce_cart_token"  # noqa: S105 -- a session key name, not a secret


def _quantity_check(*, variant: Variant, quantity: int) -> int:
    if variant.format != Variant.Format.PRINT and quantity != 1:
        raise CartInvalid(
            _("«%(title)s» is digital: you can buy one copy, and it stays in your library.")
            % {"title": variant.product.title}
        )
    if not 1 <= quantity <= MAX_PRINT_QUANTITY:
        raise CartInvalid(
            _("Choose a quantity between 1 and %(max)d for «%(title)s».")
            % {"max": MAX_PRINT_QUANTITY, "title": variant.product.title}
        )
    return quantity


def variant_purchase_check(
    *, user: User | None, variant: Variant, territory: str = DEFAULT_TERRITORY, owned: set[int] | None = None
) -> None:
    """Refuse, with a message naming the product, a variant that cannot be sold in
    ``territory`` or that ``user`` already owns (alone or inside a bundle)."""
    if not variant_is_sellable(variant=variant, territory=territory):
        raise NotSellable(
            _("«%(title)s» (%(format)s) is not available in your region. Choose another edition or product.")
            % {"title": variant.product.title, "format": variant.get_format_display()}
        )
    if user is None or not user.is_authenticated:
        return
    if owned is None:
        owned = entitlement_product_ids(user)
    for product in variant_granted_products(variant):
        if product.pk in owned:
            if product.pk == variant.product_id:
                message = _("You already own «%(title)s»; it is in your library.") % {"title": product.title}
            else:
                message = _("You already own «%(item)s», which is part of «%(bundle)s»; you cannot buy it twice.") % {
                    "item": product.title,
                    "bundle": variant.product.title,
                }
            raise AlreadyOwned(message)


def lines_overlap_check(variants: Sequence[Variant]) -> None:
    """Refuse a set of lines that would sell the same product twice (e.g. a book and a bundle containing it)."""
    seen: dict[int, Variant] = {}
    for variant in variants:
        for product in variant_granted_products(variant):
            other = seen.get(product.pk)
            if other is not None and other.pk != variant.pk:
                raise CartInvalid(
                    _("«%(title)s» would be bought twice: it is in both «%(a)s» and «%(b)s». Remove one of them.")
                    % {"title": product.title, "a": other.product.title, "b": variant.product.title}
                )
            seen[product.pk] = variant


def cart_get_or_create(*, user: User | None = None, session: SessionBase | None = None) -> Cart:
    """The logged-in user's cart, or the anonymous cart remembered in ``session``
    (created and remembered there when there is none)."""
    if user is not None and user.is_authenticated:
        cart, _created = Cart.objects.get_or_create(user=user)
        return cart
    if session is None:
        raise ValueError("an anonymous cart needs the visitor's session")
    cart_or_none = cart_for_token(session.get(SESSION_CART_TOKEN))
    if cart_or_none is None:
        cart_or_none = Cart.objects.create()
        session[SESSION_CART_TOKEN] = str(cart_or_none.token)
    return cart_or_none


def cart_find(*, user: User | None = None, session: SessionBase | None = None) -> Cart | None:
    """The cart of this shopper if they have one; creates nothing."""
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user).first()
    if session is None:
        return None
    return cart_for_token(session.get(SESSION_CART_TOKEN))


@transaction.atomic
def cart_add(*, cart: Cart, variant: Variant, quantity: int = 1, territory: str = DEFAULT_TERRITORY) -> CartLine:
    """Add ``variant`` to ``cart``. Adding a digital item that is already there
    changes nothing; adding print again adds to its quantity."""
    _quantity_check(variant=variant, quantity=quantity)
    variant_purchase_check(user=cart.user, variant=variant, territory=territory)
    Cart.objects.select_for_update().filter(pk=cart.pk).first()  # one writer per cart at a time
    existing = CartLine.objects.filter(cart=cart, variant=variant).first()
    if existing is not None:
        if variant.format == Variant.Format.PRINT:
            _quantity_check(variant=variant, quantity=existing.quantity + quantity)
            CartLine.objects.filter(pk=existing.pk).update(quantity=F("quantity") + quantity)
            existing.refresh_from_db()
        return existing
    others = [line.variant for line in CartLine.objects.filter(cart=cart).select_related("variant__product")]
    lines_overlap_check([*others, variant])
    try:
        with transaction.atomic():
            line = CartLine.objects.create(cart=cart, variant=variant, quantity=quantity)
    except IntegrityError:  # the same variant added at the same moment by another request
        line = CartLine.objects.get(cart=cart, variant=variant)
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return line


@transaction.atomic
def cart_line_set_quantity(*, cart: Cart, line_id: int, quantity: int) -> CartLine:
    line = CartLine.objects.select_related("variant__product").filter(cart=cart, pk=line_id).first()
    if line is None:
        raise CartInvalid(_("That item is no longer in your cart."), code="not_found")
    _quantity_check(variant=line.variant, quantity=quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


def cart_line_remove(*, cart: Cart, line_id: int) -> None:
    """Removing a line that is not there is not an error: the result is the same."""
    CartLine.objects.filter(cart=cart, pk=line_id).delete()


def cart_clear(*, cart: Cart, variant_ids: Sequence[int] | None = None) -> int:
    lines = CartLine.objects.filter(cart=cart)
    if variant_ids is not None:
        lines = lines.filter(variant_id__in=list(variant_ids))
    deleted, _detail = lines.delete()
    return deleted


@dataclass
class CartMergeReport:
    moved: list[str] = field(default_factory=list)
    dropped_owned: list[str] = field(default_factory=list)
    dropped_conflicting: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)


@transaction.atomic
def cart_merge(*, source: Cart, user: User) -> CartMergeReport:
    """Move an anonymous cart's lines into ``user``'s cart and delete it.

    Digital items already in the user's cart are kept once; print quantities add
    up (to the maximum). Lines for products the user already owns, or that
    would sell a product twice, are dropped and reported. Coupon codes come
    along (``report.codes``)."""
    report = CartMergeReport()
    if source.user_id is not None:
        return report
    target, _created = Cart.objects.get_or_create(user=user)
    Cart.objects.select_for_update().filter(pk__in=sorted([source.pk, target.pk])).order_by("pk").first()
    owned = entitlement_product_ids(user)
    target_lines = {
        line.variant_id: line for line in CartLine.objects.filter(cart=target).select_related("variant__product")
    }
    for line in CartLine.objects.filter(cart=source).select_related("variant__product").order_by("added_at", "pk"):
        variant = line.variant
        title = variant.product.title
        if any(p.pk in owned for p in variant_granted_products(variant)):
            report.dropped_owned.append(title)
            continue
        existing = target_lines.get(variant.pk)
        if existing is not None:
            if variant.format == Variant.Format.PRINT:
                existing.quantity = min(MAX_PRINT_QUANTITY, existing.quantity + line.quantity)
                existing.save(update_fields=["quantity"])
            report.moved.append(title)
            continue
        try:
            lines_overlap_check([*(t.variant for t in target_lines.values()), variant])
        except CartInvalid:
            report.dropped_conflicting.append(title)
            continue
        moved = CartLine.objects.create(cart=target, variant=variant, quantity=line.quantity)
        target_lines[variant.pk] = moved
        report.moved.append(title)
    report.codes = cart_coupons_move(source=source, target=target)
    source.delete()
    return report


def cart_merge_at_login(*, session: SessionBase, user: User) -> CartMergeReport | None:
    """Called when ``user`` logs in: merge the anonymous cart remembered in ``session``."""
    source = cart_for_token(session.get(SESSION_CART_TOKEN))
    session.pop(SESSION_CART_TOKEN, None)
    if source is None:
        return None
    return cart_merge(source=source, user=user)


def bundle_items_for(product: Product) -> list[BundleItem]:
    return list(BundleItem.objects.filter(bundle=product).select_related("variant__product__owner"))
