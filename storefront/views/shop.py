"""Cart, checkout and the order confirmation, on top of commerce's services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.models import Variant
from commerce.models import Order
from commerce.selectors import CartLineView, CartSummary, cart_summary, order_get_for_user
from commerce.services.cart import cart_add, cart_find, cart_get_or_create, cart_line_remove, cart_line_set_quantity
from commerce.services.cart_coupons import cart_coupon_apply, cart_coupon_remove
from commerce.services.checkout import checkout_create, checkout_lines_from_cart
from core.errors import DomainError
from insights.models import Event
from insights.services import event_record_for_request
from promotions.selectors import attribution_for_request
from recommendations.attribution import PARAM as REC_PARAM
from recommendations.attribution import checkout_lines_attribute, rec_remember
from storefront.fragments import row_render
from storefront.recommended import CART_SIZE, CART_SLOT, recommended_for
from storefront.selectors import order_for_checkout_key
from storefront.seo import PageMeta
from storefront.territory import shopper_territory
from storefront.views.common import language_from_url, render_page
from users.models import User


def _shopper(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) and request.user.is_authenticated else None


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@dataclass(frozen=True)
class LineDiscount:
    name: str
    amount: Decimal


@dataclass(frozen=True)
class CartRow:
    """A cart line and the discounts (offers and coupons) that priced it."""

    line: CartLineView
    discounts: list[LineDiscount]


def cart_rows(summary: CartSummary) -> list[CartRow]:
    """Each line of ``summary`` with what each offer or coupon took off it (in the page's language)."""
    rows = []
    for line in summary.lines:
        ref = str(line.line.pk)
        discounts = [
            LineDiscount(name=str(adjustment.name), amount=adjustment.line_amounts[ref])
            for adjustment in summary.adjustments
            if adjustment.line_amounts.get(ref)
        ]
        rows.append(CartRow(line=line, discounts=discounts))
    return rows


@language_from_url
def cart_view(request: HttpRequest) -> HttpResponse:
    """The cart priced with the offers in force and the codes entered: each line's discount,
    the combination chosen and why, codes that do not apply and why; then recommendations."""
    territory = shopper_territory(request)
    cart = cart_find(user=_shopper(request), session=request.session)
    summary = cart_summary(cart=cart, territory=territory)
    # Neither what is in the cart nor what its bundles hold.
    in_cart = {line.product.pk for line in summary.lines} | {
        item.variant.product_id for line in summary.lines for item in line.bundle_items
    }
    row = recommended_for(request, territory=territory, slot=CART_SLOT, m=CART_SIZE, exclude=in_cart)
    heading = _("Complete your order") if summary.lines else _("Start with these")
    meta = PageMeta(title=f"{_('Your cart')} · {_('Zhiqiao')}", path=reverse("storefront:cart"), noindex=True)
    context = {
        "summary": summary,
        "rows": cart_rows(summary),
        "recommended_row": row_render(shelf_id="cart-recommended", heading=heading, row=row),
    }
    return render_page(request, "storefront/cart.html", context, meta=meta)


@require_POST
def cart_add_view(request: HttpRequest) -> HttpResponse:
    """Add one variant to the shopper's cart (anonymous carts live in the session)."""
    try:
        variant_id = int(request.POST.get("variant", ""))
        quantity = int(request.POST.get("quantity", "1") or 1)
    except ValueError:
        messages.error(request, _("Choose an edition to add to your cart."))
        return redirect(_back(request, reverse("storefront:cart")))
    variant = Variant.objects.select_related("product").filter(pk=variant_id).first()
    if variant is None:
        messages.error(request, _("That item no longer exists. It may have been withdrawn."))
        return redirect(_back(request, reverse("storefront:cart")))
    territory = shopper_territory(request)
    try:
        cart = cart_get_or_create(user=_shopper(request), session=request.session)
        cart_add(cart=cart, variant=variant, quantity=quantity, territory=territory)
        # Added from a recommendation row or a product page reached from one: keep it for the order line.
        rec_remember(session=request.session, product_id=variant.product_id, raw=request.POST.get(REC_PARAM))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_back(request, variant.product.get_absolute_url()))
    event_record_for_request(
        request=request,
        kind=Event.Kind.ADD_TO_CART,
        product=variant.product,
        context={"variant": variant.pk, "format": variant.format, "price": str(variant.price)},
    )
    messages.success(request, _("«%(title)s» is in your cart.") % {"title": variant.product.title})
    return redirect(_back(request, reverse("storefront:cart")))


@require_POST
def cart_line_update(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = cart_find(user=_shopper(request), session=request.session)
    if cart is not None:
        try:
            if request.POST.get("action") == "remove":
                cart_line_remove(cart=cart, line_id=line_id)
                messages.success(request, _("Removed from your cart."))
            else:
                cart_line_set_quantity(cart=cart, line_id=line_id, quantity=int(request.POST.get("quantity", "1")))
        except ValueError:
            messages.error(request, _("Enter a quantity as a whole number."))
        except DomainError as error:
            messages.error(request, error.message)
    return redirect("storefront:cart")


@require_POST
def cart_coupon(request: HttpRequest) -> HttpResponse:
    """Enter a coupon code in the cart, or take one out (``action=remove``)."""
    code = request.POST.get("code", "").strip()
    if request.POST.get("action") == "remove":
        cart = cart_find(user=_shopper(request), session=request.session)
        if cart is not None and code:
            cart_coupon_remove(cart=cart, code=code)
            messages.success(request, _("Code %(code)s removed.") % {"code": code[:40]})
        return redirect("storefront:cart")
    if not code:
        messages.error(request, _("Enter a coupon code."))
        return redirect("storefront:cart")
    try:
        cart = cart_get_or_create(user=_shopper(request), session=request.session)
        cart_coupon_apply(cart=cart, code=code, territory=shopper_territory(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Code %(code)s is in your cart.") % {"code": code[:40].upper()})
    return redirect("storefront:cart")


@login_required
@language_from_url
def checkout(request: HttpRequest) -> HttpResponse:
    """GET: review the order; POST: create it (idempotently) and go to the payment page.

    The form carries an idempotency key minted with the page, so a double click or a
    resubmitted form yields the one order it already made."""
    user = request.user
    assert isinstance(user, User)
    territory = shopper_territory(request)
    cart = cart_find(user=user, session=request.session)
    if request.method == "POST":
        key = request.POST.get("idempotency_key", "")
        # Each line carries the recommendation it was reached from; the order, the shopper's visits
        # (campaign, referral), for promotions to attribute and commerce to store on every line.
        lines = checkout_lines_from_cart(cart=cart) if cart else []
        lines = checkout_lines_attribute(session=request.session, lines=lines)
        try:
            result = checkout_create(
                user=user,
                lines=lines,
                idempotency_key=key,
                territory=territory,
                return_url=reverse("storefront:checkout-return", kwargs={"key": key[:128] or "-"}),
                attribution=attribution_for_request(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("storefront:checkout" if cart and lines else "storefront:cart")
        if result.order.status != Order.Status.PENDING_PAYMENT:
            return redirect("storefront:order", number=result.order.number)
        return redirect(result.redirect_url or reverse("storefront:order", kwargs={"number": result.order.number}))
    summary = cart_summary(cart=cart, territory=territory)
    if summary.is_empty:
        messages.info(request, _("Your cart is empty. Add a course or a book first."))
        return redirect("storefront:cart")
    meta = PageMeta(title=f"{_('Checkout')} · {_('Zhiqiao')}", path=reverse("storefront:checkout"), noindex=True)
    context = {"summary": summary, "idempotency_key": uuid.uuid4().hex}
    return render_page(request, "storefront/checkout.html", context, meta=meta)


@login_required
def checkout_return(request: HttpRequest, key: str) -> HttpResponse:
    """Where the payment page sends the shopper back: the order that checkout made."""
    user = request.user
    assert isinstance(user, User)
    order = order_for_checkout_key(user=user, idempotency_key=key)
    if order is None:
        raise Http404
    return redirect("storefront:order", number=order.number)


@login_required
@language_from_url
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The order confirmation: waiting for the payment, paid (with the items to open), or closed."""
    user = request.user
    assert isinstance(user, User)
    order = order_get_for_user(user=user, number=number)
    if order is None:
        raise Http404
    payment = getattr(order, "payment", None)
    meta = PageMeta(
        title=f"{_('Order')} {order.number} · {_('Zhiqiao')}",
        path=reverse("storefront:order", kwargs={"number": order.number}),
        noindex=True,
    )
    context = {
        "order": order,
        "payment": payment,
        "lines": list(order.lines.all()),
        "waiting": order.status == Order.Status.PENDING_PAYMENT,
        "paid": order.status in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED),
    }
    return render_page(request, "storefront/order.html", context, meta=meta)
