"""Factories and helpers for carts, orders and payments.

``order_paid_for`` runs the real checkout and the real signed webhook, so an
order made by it is exactly what a shopper's purchase leaves behind.
"""

from __future__ import annotations

import uuid
from typing import Any

import factory

from catalog.models import Variant
from commerce.models import Cart, CartCoupon, CartLine, Order, Payment
from commerce.payments.registry import provider_get
from commerce.payments.sandbox import SandboxProvider
from commerce.services import (
    CheckoutLine,
    CheckoutResult,
    checkout_create,
    checkout_lines_from_cart,
    webhook_receive,
)
from tests.factories import UserFactory
from users.models import User


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart

    user = factory.SubFactory(UserFactory)


class CartLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    quantity = 1


def checkout_for(
    user: User, *variants: Variant, key: str | None = None, territory: str = "CN", **kwargs: Any
) -> CheckoutResult:
    return checkout_create(
        user=user,
        lines=[CheckoutLine(variant=v) for v in variants],
        idempotency_key=key or uuid.uuid4().hex,
        territory=territory,
        **kwargs,
    )


def sandbox() -> SandboxProvider:
    provider = provider_get("sandbox")
    assert isinstance(provider, SandboxProvider)
    return provider


def webhook_for(payment: Payment, outcome: str = "pay", **kwargs: Any) -> tuple[bytes, dict[str, str]]:
    """The signed webhook the sandbox provider would send for ``outcome`` of ``payment``."""
    payment.refresh_from_db()
    return sandbox().event_build(payment=payment, outcome=outcome, **kwargs)


def deliver(payment: Payment, outcome: str = "pay", **kwargs: Any) -> str:
    body, headers = webhook_for(payment, outcome, **kwargs)
    return webhook_receive(provider_name="sandbox", body=body, headers=headers).outcome


def order_paid_for(user: User, *variants: Variant, **kwargs: Any) -> Order:
    result = checkout_for(user, *variants, **kwargs)
    deliver(result.payment, "pay")
    result.order.refresh_from_db()
    assert result.order.status == Order.Status.PAID, result.order.status
    return result.order


def cart_with(user: User, *variants: Variant, codes: tuple[str, ...] | list[str] = ()) -> Cart:
    """``user``'s cart holding one of each variant and the coupon ``codes`` (stored as entered, unchecked)."""
    cart, _created = Cart.objects.get_or_create(user=user)
    for variant in variants:
        CartLine.objects.get_or_create(cart=cart, variant=variant)
    for code in codes:
        CartCoupon.objects.get_or_create(cart=cart, code=code.upper())
    return cart


def checkout_cart(user: User, *, key: str | None = None, **kwargs: Any) -> CheckoutResult:
    """Check out ``user``'s cart as the storefront does: its lines, and (unless given) its coupon codes."""
    cart = Cart.objects.get(user=user)
    return checkout_create(
        user=user, lines=checkout_lines_from_cart(cart=cart), idempotency_key=key or uuid.uuid4().hex, **kwargs
    )
