"""Coupon codes in the cart: entering one, removing one, and carrying them over at login.

A code is kept when it applies, or when the only reason it does not is
something the shopper can change in the cart (add items, spend more, log in,
or prefer it to a better offer): the cart page shows it with that reason. A
code that can never apply as things stand (no such code, expired, used up,
already used by this shopper, not for their region, not their first order) is
refused with the reason and nothing is stored.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.selectors import DEFAULT_TERRITORY
from commerce.errors import CartInvalid, CouponRefused
from commerce.models import MAX_CART_COUPONS, Cart, CartCoupon
from commerce.selectors import CART_DEPENDENT_REASONS, cart_coupon_codes, cart_summary
from promotions.services.coupons import CODE_PATTERN, coupon_code_normalize


def _code_normalize(raw: str) -> str:
    code = coupon_code_normalize(raw or "")
    if not code:
        raise CartInvalid(_("Enter a coupon code."), code="coupon_code_missing")
    if not CODE_PATTERN.match(code):
        raise CouponRefused(
            _("There is no coupon with the code %(code)s. Check the spelling.") % {"code": code[:40]},
            reason="unknown",
        )
    return code


@transaction.atomic
def cart_coupon_apply(*, cart: Cart, code: str, territory: str = DEFAULT_TERRITORY) -> CartCoupon:
    """Enter ``code`` in ``cart`` (see the module's rule for what is kept); entering it again changes nothing.

    Raises ``CouponRefused`` (code ``coupon_<reason>``, the reason in the
    shopper's language) or ``CartInvalid`` (empty, or too many codes).
    """
    normal = _code_normalize(code)
    Cart.objects.select_for_update().filter(pk=cart.pk).first()  # one writer per cart at a time
    existing = CartCoupon.objects.filter(cart=cart, code=normal).first()
    if existing is not None:
        return existing
    if CartCoupon.objects.filter(cart=cart).count() >= MAX_CART_COUPONS:
        raise CartInvalid(
            _("A cart can hold up to %(max)d coupon codes. Remove one to add %(code)s.")
            % {"max": MAX_CART_COUPONS, "code": normal},
            code="too_many_coupons",
        )
    # Price the cart as it would be with the code, to learn why it would not apply.
    entry = CartCoupon.objects.create(cart=cart, code=normal)
    summary = cart_summary(cart=cart, territory=territory)
    problem = next((p for p in summary.code_problems if p.code == normal), None)
    if problem is not None and problem.reason not in CART_DEPENDENT_REASONS:
        raise CouponRefused(str(problem.message), reason=problem.reason)
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return entry


def cart_coupon_remove(*, cart: Cart, code: str) -> None:
    """Take ``code`` out of the cart; removing a code that is not there is not an error."""
    CartCoupon.objects.filter(cart=cart, code=coupon_code_normalize(code or "")).delete()


def cart_coupons_move(*, source: Cart, target: Cart) -> list[str]:
    """Carry ``source``'s codes into ``target`` (a login merge), up to the limit; returns the codes moved.

    Caller holds both carts' locks. Whether a moved code applies is shown by the
    cart, as for any code in it.
    """
    held = set(cart_coupon_codes(cart=target))
    moved: list[str] = []
    for code in cart_coupon_codes(cart=source):
        if code in held or len(held) >= MAX_CART_COUPONS:
            continue
        try:
            with transaction.atomic():
                CartCoupon.objects.create(cart=target, code=code)
        except IntegrityError:
            continue
        held.add(code)
        moved.append(code)
    return moved


def cart_coupons_forget(*, user_id: int, codes: list[str]) -> int:
    """Drop ``codes`` from the user's cart once an order has used them."""
    if not codes:
        return 0
    deleted, _detail = CartCoupon.objects.filter(cart__user_id=user_id, code__in=codes).delete()
    return deleted
