"""Helpers for settlement tests: contracts with their rules, and paid orders and refunds written
straight into commerce's tables (what a checkout, a captured payment and a completed refund
leave behind), so that hundreds of histories can be generated quickly."""

from __future__ import annotations

import calendar
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.utils import timezone

from catalog.models import Variant
from commerce.models import Order, OrderLine, OrderLineItem, Payment, Refund, RefundLine
from commerce.services.checkout import order_line_items_record
from core.money import money_quantize
from settlements.models import Contract, ContractVersion, Statement
from settlements.services.contracts import RuleSpec, Terms, TierSpec, contract_create
from settlements.services.runs import settlement_run_create, settlement_run_transition
from tests.factories import PartnerFactory, UserFactory
from tests.factories.catalog import bundle_of, sellable_book, sellable_course
from users.models import Partner, User

_numbers = itertools.count(1)


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_default_timezone())


def rule(
    fmt: str, *tiers: tuple[int | str, int | str] | int | str, channel: str = "", measure: str = "units"
) -> RuleSpec:
    """``rule("ebook", 70)`` or ``rule("print", (0, 10), (5000, "12.5"), (10000, 15))``."""
    specs = [
        TierSpec(threshold=Decimal(0), rate=Decimal(str(t)))
        if not isinstance(t, tuple)
        else TierSpec(threshold=Decimal(str(t[0])), rate=Decimal(str(t[1])))
        for t in tiers
    ]
    return RuleSpec(format=fmt, tiers=specs, channel=channel, tier_measure=measure)


def contract_for(
    partner: Partner,
    *rules: RuleSpec,
    basis: str = ContractVersion.Basis.NET,
    starts_on: date = date(2025, 1, 1),
    currency: str = "CNY",
    **terms: Any,
) -> Contract:
    return contract_create(
        partner=partner,
        number=f"C-{next(_numbers):05d}",
        title=f"Revenue share with {partner.name}",
        currency=currency,
        starts_on=starts_on,
        terms=Terms(basis=basis, rules=list(rules), **terms),
    )


@dataclass(frozen=True)
class Buy:
    variant: Variant
    quantity: int = 1
    discount: Decimal = Decimal(0)
    campaign_id: int | None = None
    # What the campaign's own promotions took off the line; the whole discount when not given.
    campaign_discount: Decimal | None = None


def paid_order(
    *buys: Buy | Variant,
    paid_at: datetime,
    user: User | None = None,
    channel: str = Order.Channel.WEB,
    provider: str = "sandbox",
) -> Order:
    """A paid order as commerce records it: lines (bundle lines split into items by largest
    remainder on standalone prices) and a succeeded payment."""
    user = user or UserFactory()
    wanted = [b if isinstance(b, Buy) else Buy(variant=b) for b in buys]
    currency = wanted[0].variant.currency
    order = Order.objects.create(
        number=f"ZQT{next(_numbers):010d}",
        user=user,
        status=Order.Status.PAID,
        currency=currency,
        subtotal=0,
        discount=0,
        total=0,
        channel=channel,
        idempotency_key=uuid.uuid4().hex,
        request_fingerprint="test",
        paid_at=paid_at,
    )
    subtotal = discount = Decimal(0)
    for buy in wanted:
        v = buy.variant
        list_price = money_quantize(v.price * buy.quantity)
        line = OrderLine.objects.create(
            order=order,
            variant=v,
            product=v.product,
            owner_id=v.product.owner_id,
            format=v.format,
            title=v.product.title,
            sku=v.sku,
            quantity=buy.quantity,
            unit_price=v.price,
            list_price=list_price,
            discount=buy.discount,
            price_paid=list_price - buy.discount,
            line_ref=uuid.uuid4().hex,
            attribution=(
                {
                    "campaign_id": buy.campaign_id,
                    "campaign_discount": str(
                        money_quantize(buy.discount if buy.campaign_discount is None else buy.campaign_discount)
                    ),
                }
                if buy.campaign_id
                else {}
            ),
        )
        if v.format == Variant.Format.BUNDLE:
            order_line_items_record(order_line=line)
        subtotal += list_price
        discount += buy.discount
    order.subtotal, order.discount, order.total = subtotal, discount, subtotal - discount
    order.save(update_fields=["subtotal", "discount", "total"])
    Payment.objects.create(
        order=order,
        provider=provider,
        amount=order.total,
        currency=currency,
        status=Payment.Status.SUCCEEDED,
        succeeded_at=paid_at,
    )
    return order


def refund(
    order: Order, parts: Sequence[tuple[OrderLine, OrderLineItem | None, Decimal]], *, completed_at: datetime
) -> Refund:
    """A completed refund of ``parts`` (line, bundle item or None, amount), with every refunded
    total moved as commerce's refund service moves them."""
    payment = Payment.objects.get(order=order)
    amount = money_quantize(sum((p[2] for p in parts), Decimal(0)))
    r = Refund.objects.create(
        order=order,
        payment=payment,
        idempotency_key=uuid.uuid4().hex,
        amount=amount,
        currency=order.currency,
        reason="test",
        status=Refund.Status.SUCCEEDED,
        completed_at=completed_at,
    )
    # Totals are added in Python: SQLite adds decimals as floating point, which the check
    # constraints (refunded within paid) would see a hair over the limit.
    for line, item, part in parts:
        RefundLine.objects.create(refund=r, order_line=line, item=item, amount=part)
        fresh = OrderLine.objects.get(pk=line.pk)
        OrderLine.objects.filter(pk=line.pk).update(refunded_amount=money_quantize(fresh.refunded_amount + part))
        if item is not None:
            fresh_item = OrderLineItem.objects.get(pk=item.pk)
            OrderLineItem.objects.filter(pk=item.pk).update(
                refunded_amount=money_quantize(fresh_item.refunded_amount + part)
            )
    order.refresh_from_db()
    Order.objects.filter(pk=order.pk).update(refunded_total=money_quantize(order.refunded_total + amount))
    payment.refresh_from_db()
    Payment.objects.filter(pk=payment.pk).update(refunded_amount=money_quantize(payment.refunded_amount + amount))
    order.refresh_from_db()
    status = Order.Status.REFUNDED if order.refunded_total >= order.total else Order.Status.PARTIALLY_REFUNDED
    Order.objects.filter(pk=order.pk).update(status=status)
    return r


def refund_all(order: Order, *, completed_at: datetime) -> Refund:
    parts: list[tuple[OrderLine, OrderLineItem | None, Decimal]] = []
    for line in order.lines.prefetch_related("items").order_by("pk"):
        items = list(line.items.all())
        if items:
            parts += [(line, i, i.share - i.refunded_amount) for i in items if i.share > i.refunded_amount]
        elif line.price_paid > line.refunded_amount:
            parts.append((line, None, line.price_paid - line.refunded_amount))
    return refund(order, parts, completed_at=completed_at)


def settled_publisher() -> tuple[Partner, list[Statement]]:
    """A publisher selling an ebook (70 % of list), a hardcover (10 / 12.5 / 15 % tiers at 3 and 6
    units) and a course (40 %), alone and as a course-and-ebook bundle, with a 20 % reserve and 3 %
    withholding, settled and approved for October and November 2026; its statements, newest first."""
    press = PartnerFactory(name="中信出版社", slug="citic-press")
    contract_for(
        press,
        rule("ebook", 70),
        rule("print", (0, 10), (3, "12.5"), (6, 15)),
        rule("course", 40),
        basis=ContractVersion.Basis.LIST,
        reserve_rate=Decimal("20"),
        reserve_periods=2,
        withholding_rate=Decimal("3"),
    )
    ebook = sellable_book(title="原则", price="68.00", owner=press)
    hardcover = sellable_book(title="原则（精装）", price="98.00", fmt=Variant.Format.PRINT, owner=press)
    course = sellable_course(title="原则精讲", price="199.00", owner=press)
    bundle = bundle_of(course, ebook, price="229.00", title="原则课书同读", owner=press)
    for month, sales in ((10, 4), (11, 7)):
        for day in range(1, sales + 1):
            paid_order(ebook, hardcover, paid_at=at(date(2026, month, day)))
        paid_order(bundle, paid_at=at(date(2026, month, 20)))
        end = date(2026, month, calendar.monthrange(2026, month)[1])
        run = settlement_run_create(period_start=date(2026, month, 1), period_end=end)
        for state in ("reviewed", "approved"):
            settlement_run_transition(run=run, to_state=state)
    return press, list(Statement.objects.filter(partner=press).order_by("-period_start"))
