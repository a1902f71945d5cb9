"""Demo orders: each demo shopper has bought a few things (one of them a bundle
where the catalogue has one), paid through the sandbox's real signed webhook,
and one shopper has had a book refunded. Each first purchase came from the
joint reading-season campaign and used its public coupon where it applies, so
the campaign's report has conversions. Safe to run twice: a shopper who
already has demo orders is left as they are."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.utils import timezone

from catalog.models import Variant
from catalog.selectors import variant_list_sellable
from commerce.errors import CartInvalid
from commerce.models import Order
from commerce.payments.registry import provider_get
from commerce.payments.sandbox import SandboxProvider
from commerce.selectors import entitlement_product_ids, variant_granted_products
from commerce.services import CheckoutLine, RefundTarget, checkout_create, refund_create, webhook_receive
from commerce.services.cart import lines_overlap_check
from core.errors import DomainError
from promotions.attribution import Attribution, Touch
from promotions.demo import CAMPAIGN_SLUG, PUBLIC_CODE
from users.demo import SHOPPERS
from users.models import User

DEMO_KEY_PREFIX = "demo-"
PURCHASES_PER_SHOPPER = 3


def _pay(order: Order) -> None:
    provider = provider_get(order.payment.provider)
    assert isinstance(provider, SandboxProvider)
    order.payment.refresh_from_db()
    body, headers = provider.event_build(payment=order.payment, outcome="pay")
    webhook_receive(provider_name=order.payment.provider, body=body, headers=headers)


def _choose(user: User, candidates: list[Variant], offset: int) -> list[Variant]:
    owned = entitlement_product_ids(user)
    chosen: list[Variant] = []
    for i in range(len(candidates)):
        variant = candidates[(offset + i) % len(candidates)]
        if any(p.pk in owned for p in variant_granted_products(variant)):
            continue
        try:
            lines_overlap_check([*chosen, variant])
        except CartInvalid:
            continue
        chosen.append(variant)
        if len(chosen) == PURCHASES_PER_SHOPPER:
            break
    return chosen


def _visit(*, campaign: bool) -> Attribution:
    """A shopper's visit: from the joint campaign's WeChat post, or from a search."""
    touch = Touch(
        at=timezone.now() - timedelta(hours=2),
        landing_path="/",
        utm_source="wechat" if campaign else "baidu",
        utm_medium="social" if campaign else "organic",
        utm_campaign=CAMPAIGN_SLUG if campaign else "",
    )
    return Attribution(first=touch, last=touch, referral=None)


def load(*, stdout: Any = None) -> str:
    bundles = list(variant_list_sellable().filter(format=Variant.Format.BUNDLE).select_related("product")[:20])
    singles = list(
        variant_list_sellable()
        .exclude(format__in=[Variant.Format.BUNDLE, Variant.Format.PRINT])
        .select_related("product")
        .order_by("product__title", "pk")[:60]
    )
    if not bundles and not singles:
        return "(no sellable catalogue yet: no demo orders)"
    made = 0
    for index, (email, *_rest) in enumerate(SHOPPERS):
        user = User.objects.filter(email=email).first()
        if user is None or Order.objects.filter(user=user, idempotency_key__startswith=DEMO_KEY_PREFIX).exists():
            continue
        # A bundle first for every other shopper, then single courses and books.
        candidates = ([bundles[index % len(bundles)]] if bundles and index % 2 == 0 else []) + singles
        for n, variant in enumerate(_choose(user, candidates, offset=index * 2)):
            checkout = partial(
                checkout_create,
                user=user,
                lines=[CheckoutLine(variant=variant)],
                idempotency_key=f"{DEMO_KEY_PREFIX}{index}-{n}",
                channel=Order.Channel.WEB if n % 2 == 0 else Order.Channel.APP,
                attribution=_visit(campaign=n == 0),
            )
            try:
                # The first purchase came from the joint campaign, with its public coupon where it applies.
                result = checkout(coupon_codes=[PUBLIC_CODE] if n == 0 else [])
            except DomainError:
                result = checkout(coupon_codes=[])
            _pay(result.order)
            made += 1
        # One shopper changed their mind about their first purchase.
        if index == 1:
            first = Order.objects.filter(user=user, status=Order.Status.PAID).order_by("pk").first()
            if first is not None:
                refund_create(
                    order=first,
                    reason="demo: bought by mistake",
                    idempotency_key="demo-refund",
                    requested_by=None,
                    targets=[RefundTarget(line=first.lines.order_by("pk")[0])],
                )
    paid = Order.objects.filter(idempotency_key__startswith=DEMO_KEY_PREFIX).exclude(status="pending_payment")
    return f"({made} new demo orders; {paid.count()} in all)"
