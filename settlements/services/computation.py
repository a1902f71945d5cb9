"""Computing a run, set-based in the database: no Python loop over order lines.

The steps, each one ``INSERT … SELECT`` or ``UPDATE`` over the whole period:

1. **Items** (:class:`SettlementItem`): every sale paid in the period (a plain
   order line, or each item of a bundle line) and every refund completed in
   it, with its amount, list price, fees, net receipts, and the share rule of
   its owner's contract version in force on the day (the most specific
   channel first). An item is settled once, ever (``source_key`` is unique,
   and rows already there are skipped), so re-running a period adds nothing
   and an adjustment run picks up only what was missed. A bundle line's price
   paid and list price are split over its items as commerce recorded them at
   checkout (largest remainder on their standalone prices). A refund copies
   the terms of the sale it reverses, and its share of the sale's amounts.
2. **Terms and tier position**, in one UPDATE: each sale's contract version,
   basis (list price or net receipts) and measure from its rule; each item's
   contract year; and a window sum over the items of each rule (contract,
   format, channel, contract year), earlier runs first, giving each item the
   cumulative units or revenue before it.
3. **Sale lines**: each sale item joined to its rule's tiers; where its span
   of the cumulative count crosses a tier boundary it is split, and the parts'
   bases are rounded telescopically so that they add up to the item's basis.
4. **Refund lines**: each refund reverses, pro rata, the sale lines of the item
   it refunds, in the period of the refund. Rounding is telescopic over the
   refunds of an item, so refunding everything reverses exactly what was paid.
5. **Commissions** owed to promoters (promotions' ``ReferralCommission``):
   the commission of the price paid less refunds up to the period's end, less
   what earlier runs settled.

Amounts are integer cents inside SQL (``settlements.services.sql``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Concat, Greatest, Least, TruncDate
from django.db.models.lookups import Exact, GreaterThan
from django.utils import timezone

from catalog.models import Variant
from commerce.models import OrderLine, OrderLineItem, Refund, RefundLine
from commerce.states import ORDER_PAID_STATUSES
from settlements.models import (
    Contract,
    FeeRate,
    SettlementItem,
    SettlementRun,
    ShareRule,
    Statement,
    StatementLine,
    anniversary,
)
from settlements.services.sql import (
    INFINITY,
    INT,
    MONEY,
    RATE_SCALE,
    cents,
    half_up,
    insert_select,
    int_expr,
    int_sum,
    money_from_cents,
    rate_millionths,
    update_from,
)

PAID = sorted(ORDER_PAID_STATUSES)
NULL_INT = Value(None, output_field=IntegerField())
NULL_DATE = Value(None, output_field=DateField())
NULL_DATETIME = Value(None, output_field=DateTimeField())

Progress = Callable[[str], None]


def period_bounds(*, start: date, end: date) -> tuple[datetime, datetime]:
    """The period's first instant and the instant after its last day, in the platform's time zone."""
    tz = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def _fee_case(*, kind: str, column: str, on: date) -> Any:
    """The fee rate (millionths) in force on ``on`` for each provider or channel, as a CASE."""
    latest: dict[str, Decimal] = {}
    for key, rate in (
        FeeRate.objects.filter(kind=kind, valid_from__lte=on).order_by("key", "valid_from").values_list("key", "rate")
    ):
        latest[key] = rate
    whens = [When(**{column: key}, then=Value(int(rate * 10_000))) for key, rate in latest.items() if rate]
    if not whens:
        return Value(0, output_field=INT)
    return Case(*whens, default=Value(0), output_field=INT)


def _rule_for(*, owner: str, currency: str, fmt: str, channel: str, day: str) -> Subquery:
    """The share rule that settles a sale: the owner's contract version in force on the day, in the
    sale's currency, for its format; a rule for the sale's channel before one for every channel."""
    rules = (
        ShareRule.objects.filter(
            partner_id=OuterRef(owner),
            currency=OuterRef(currency),
            format=OuterRef(fmt),
            valid_from__lte=OuterRef(day),
        )
        .filter(Q(channel=OuterRef(channel)) | Q(channel=""))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef(day)))
        .order_by("-channel", "-valid_from", "-pk")
        .values("pk")[:1]
    )
    return Subquery(rules, output_field=BigIntegerField())


def _key(*parts: Any) -> Any:
    return Concat(*[Cast(p, CharField()) if not isinstance(p, Value) else p for p in parts], output_field=CharField())


def _fees(amount_cents: Any, *, pay_rate: Any, channel_rate: Any) -> dict[str, Any]:
    pay = half_up(int_expr(amount_cents * pay_rate), Value(RATE_SCALE))
    chan = half_up(int_expr(amount_cents * channel_rate), Value(RATE_SCALE))
    net = Greatest(int_expr(amount_cents - pay - chan), Value(0), output_field=INT)
    return {
        "payment_fee": money_from_cents(pay),
        "channel_fee": money_from_cents(chan),
        "net_amount": money_from_cents(net),
    }


def items_insert_sales(*, run: SettlementRun, start: datetime, end: datetime) -> int:
    """Step 1 for sales: plain order lines and bundle items paid in the period and not yet settled."""
    pay_rate = _fee_case(kind=FeeRate.Kind.PAYMENT, column="order__payment__provider", on=run.period_end)
    channel_rate = _fee_case(kind=FeeRate.Kind.CHANNEL, column="order__channel", on=run.period_end)
    paid = Q(order__status__in=PAID, order__paid_at__gte=start, order__paid_at__lt=end)
    common = {
        "run": Value(run.pk),
        "kind": Value(SettlementItem.Kind.SALE),
        "refund_line": NULL_INT,
        "sale_item": NULL_INT,
        "channel": F("order__channel"),
        "currency": F("order__currency"),
        "occurred_at": F("order__paid_at"),
        "sale_amount": Value(Decimal(0)),
        "refunded_before": Value(Decimal(0)),
        "rule": _rule_for(
            owner="owner_id", currency="order__currency", fmt="format", channel="order__channel", day="day"
        ),
        "version": NULL_INT,
        "contract": NULL_INT,
        "basis_kind": Value(""),
        "tier_measure": Value(""),
        "rule_channel": Value(""),
        "basis": Value(Decimal(0)),
        "measure": Value(0),
        "year_start": NULL_DATE,
        "cum_before": Value(0),
    }
    plain = (
        OrderLine.objects.filter(paid)
        .exclude(format=Variant.Format.BUNDLE)
        .annotate(sale_key=_key(Value("s"), F("pk"), Value("-0")), day=TruncDate("order__paid_at"))
    )
    n = insert_select(
        SettlementItem,
        {
            **common,
            "source_key": F("sale_key"),
            "order_line": F("pk"),
            "line_item": NULL_INT,
            "owner": F("owner_id"),
            "product": F("product_id"),
            "format": F("format"),
            "quantity": F("quantity"),
            "amount": F("price_paid"),
            "list_amount": F("list_price"),
            **_fees(cents("price_paid"), pay_rate=pay_rate, channel_rate=channel_rate),
        },
        plain,
        skip_existing="source_key",
    )
    # Bundle items: the price paid and the list price as commerce split them at checkout.
    item_paid = Q(line__order__status__in=PAID, line__order__paid_at__gte=start, line__order__paid_at__lt=end)
    pay_rate = _fee_case(kind=FeeRate.Kind.PAYMENT, column="line__order__payment__provider", on=run.period_end)
    channel_rate = _fee_case(kind=FeeRate.Kind.CHANNEL, column="line__order__channel", on=run.period_end)
    bundle_items = OrderLineItem.objects.filter(item_paid).annotate(
        sale_key=_key(Value("s"), F("line_id"), Value("-"), F("pk")),
        day=TruncDate("line__order__paid_at"),
    )
    common["channel"] = F("line__order__channel")
    common["currency"] = F("line__order__currency")
    common["occurred_at"] = F("line__order__paid_at")
    common["rule"] = _rule_for(
        owner="owner_id", currency="line__order__currency", fmt="format", channel="line__order__channel", day="day"
    )
    n += insert_select(
        SettlementItem,
        {
            **common,
            "source_key": F("sale_key"),
            "order_line": F("line_id"),
            "line_item": F("pk"),
            "owner": F("owner_id"),
            "product": F("product_id"),
            "format": F("format"),
            "quantity": F("line__quantity"),
            "amount": F("share"),
            "list_amount": F("list_share"),
            **_fees(cents("share"), pay_rate=pay_rate, channel_rate=channel_rate),
        },
        bundle_items,
        skip_existing="source_key",
    )
    return n


def _telescoped(value_cents: Any, *, paid: Any, before: Any, after: Any) -> Any:
    """The part of a sale's ``value`` that a refund takes back: value × after/paid − value × before/paid,
    each rounded half up, so the refunds of a sale add up to exactly its value when all is refunded."""
    taken = int_expr(half_up(int_expr(value_cents * after), paid) - half_up(int_expr(value_cents * before), paid))
    return Case(When(GreaterThan(paid, Value(0)), then=taken), default=Value(0), output_field=INT)


def items_insert_refunds(*, run: SettlementRun, start: datetime, end: datetime) -> int:
    """Step 1 for refunds completed in the period: each reverses part of a settled sale item.

    A refund of a sale that no run settled (sold before settlements began) is
    still recorded, with no rule: the platform bears it."""
    completed = Q(
        refund__status=Refund.Status.SUCCEEDED,
        refund__completed_at__gte=start,
        refund__completed_at__lt=end,
        refund__order__status__in=PAID,
    )
    refund_lines = RefundLine.objects.filter(completed).annotate(
        refund_key=_key(Value("r"), F("pk")),
        sale_key=_key(Value("s"), F("order_line_id"), Value("-"), Coalesce(F("item_id"), Value(0))),
    )
    earlier = (
        RefundLine.objects.filter(order_line_id=OuterRef("order_line_id"), refund__status=Refund.Status.SUCCEEDED)
        .annotate(same_key=_key(Value("s"), F("order_line_id"), Value("-"), Coalesce(F("item_id"), Value(0))))
        .filter(same_key=OuterRef("sale_key"))
        .filter(
            Q(refund__completed_at__lt=OuterRef("refund__completed_at"))
            | Q(refund__completed_at=OuterRef("refund__completed_at"), pk__lt=OuterRef("pk"))
        )
        .values("order_line_id")
        .annotate(total=int_sum(cents("amount")))
        .values("total")[:1]
    )
    refund_c = int_expr(Value(0) - cents("amount"))
    n = insert_select(
        SettlementItem,
        {
            "run": Value(run.pk),
            "kind": Value(SettlementItem.Kind.REFUND),
            "source_key": F("refund_key"),
            "order_line": F("order_line_id"),
            "line_item": F("item_id"),
            "refund_line": F("pk"),
            "sale_item": Subquery(
                SettlementItem.objects.filter(source_key=OuterRef("sale_key")).values("pk")[:1], output_field=INT
            ),
            "owner": Coalesce(F("item__owner_id"), F("order_line__owner_id")),
            "product": Coalesce(F("item__product_id"), F("order_line__product_id")),
            "format": Coalesce(F("item__format"), F("order_line__format")),
            "channel": F("refund__order__channel"),
            "currency": F("refund__order__currency"),
            "occurred_at": F("refund__completed_at"),
            "quantity": Value(0),
            "amount": money_from_cents(refund_c),
            "list_amount": Value(Decimal(0)),
            "payment_fee": Value(Decimal(0)),
            "channel_fee": Value(Decimal(0)),
            "net_amount": money_from_cents(refund_c),
            "sale_amount": Value(Decimal(0)),
            "refunded_before": money_from_cents(
                Coalesce(Subquery(earlier, output_field=INT), Value(0), output_field=INT)
            ),
            "rule": NULL_INT,
            "version": NULL_INT,
            "contract": NULL_INT,
            "basis_kind": Value(""),
            "tier_measure": Value(""),
            "rule_channel": Value(""),
            "basis": Value(Decimal(0)),
            "measure": Value(0),
            "year_start": NULL_DATE,
            "cum_before": Value(0),
        },
        refund_lines,
        skip_existing="source_key",
    )
    # The refund takes back its part of everything the sale was settled on.
    paid, before = cents("sale_item__amount"), cents("refunded_before")
    after = int_expr(before - cents("amount"))

    def back(value: Any) -> Any:
        return int_expr(Value(0) - _telescoped(cents(value), paid=paid, before=before, after=after))

    sale = _terms(run=run, prefix="sale_item__")

    quantity_back = int_expr(Value(0) - _telescoped(F("sale_item__quantity"), paid=paid, before=before, after=after))
    source = (
        SettlementItem.objects.filter(run=run, kind=SettlementItem.Kind.REFUND, sale_item__isnull=False)
        .annotate(
            v_sale=F("sale_item__amount"),
            v_list=money_from_cents(back("sale_item__list_amount")),
            v_pay=money_from_cents(back("sale_item__payment_fee")),
            v_chan=money_from_cents(back("sale_item__channel_fee")),
            v_net=money_from_cents(back("sale_item__net_amount")),
            v_qty=quantity_back,
            v_basis=money_from_cents(back(sale["basis"])),
            v_measure=Case(
                When(Exact(sale["tier_measure"], Value(ShareRule.Measure.UNITS)), then=quantity_back),
                default=back(sale["basis"]),
                output_field=INT,
            ),
            v_rule=F("sale_item__rule_id"),
            v_version=sale["version"],
            v_contract=sale["contract"],
            v_basis_kind=sale["basis_kind"],
            v_measure_kind=sale["tier_measure"],
            v_rule_channel=sale["rule_channel"],
        )
        .values(
            "id",
            *[f"v_{k}" for k in ("sale", "list", "pay", "chan", "net", "qty", "basis", "measure")],
            "v_rule",
            "v_version",
            "v_contract",
            "v_basis_kind",
            "v_measure_kind",
            "v_rule_channel",
        )
    )
    update_from(
        SettlementItem,
        {
            "sale_amount": "v_sale",
            "list_amount": "v_list",
            "payment_fee": "v_pay",
            "channel_fee": "v_chan",
            "net_amount": "v_net",
            "quantity": "v_qty",
            "basis": "v_basis",
            "measure": "v_measure",
            "rule": "v_rule",
            "version": "v_version",
            "contract": "v_contract",
            "basis_kind": "v_basis_kind",
            "tier_measure": "v_measure_kind",
            "rule_channel": "v_rule_channel",
        },
        source,
        run_id=run.pk,
    )
    return n


TERMS = ("version", "contract", "basis_kind", "tier_measure", "rule_channel", "basis", "measure")


def _terms(*, run: SettlementRun, prefix: str = "") -> dict[str, Any]:
    """A sale item's terms (``TERMS``), read through ``prefix`` (``""`` for the item itself,
    ``"sale_item__"`` for the sale a refund reverses): as stored once a run resolved them, or, for
    a sale of ``run`` (not resolved yet), from its rule and the rule's contract version: the basis
    is list price or net receipts, the measure units or the basis in cents."""
    p = prefix
    basis = Case(
        When(**{f"{p}rule__version__basis": "net"}, then=F(f"{p}net_amount")),
        default=F(f"{p}list_amount"),
        output_field=MONEY,
    )
    resolved_now: dict[str, Any] = {
        "version": F(f"{p}rule__version_id"),
        "contract": F(f"{p}rule__version__contract_id"),
        "basis_kind": F(f"{p}rule__version__basis"),
        "tier_measure": F(f"{p}rule__tier_measure"),
        "rule_channel": F(f"{p}rule__channel"),
        "basis": basis,
        "measure": Case(
            When(**{f"{p}rule__tier_measure": ShareRule.Measure.UNITS}, then=F(f"{p}quantity")),
            default=cents(basis),
            output_field=INT,
        ),
    }
    fields = {
        "version": INT,
        "contract": INT,
        "basis_kind": CharField(),
        "tier_measure": CharField(),
        "rule_channel": CharField(),
        "basis": MONEY,
        "measure": INT,
    }
    unresolved = Q(**{f"{p}run_id": run.pk, f"{p}kind": SettlementItem.Kind.SALE})
    stored = {"version": f"{p}version_id", "contract": f"{p}contract_id"}
    return {
        name: Case(
            When(unresolved, then=expression),
            default=F(stored.get(name, f"{p}{name}")),
            output_field=fields[name],
        )
        for name, expression in resolved_now.items()
    }


def items_analyze() -> None:
    """Fresh planner statistics after a large insert (PostgreSQL), so the next steps join sensibly."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(SettlementItem._meta.db_table)}")


def _contract_year(*, run: SettlementRun, contracts: QuerySet[Any], contract: str) -> tuple[Any, date] | None:
    """The contract year of an item whose contract is ``contract`` (a field or annotation), from
    the contract's anniversary: a CASE that holds, per anniversary date, the contract years the
    period touches, for ``contracts``; and the earliest of those years' first days (None when
    there are no contracts)."""
    tz = timezone.get_default_timezone()
    groups: dict[tuple[int, int], list[int]] = {}
    for pk, starts_on in Contract.objects.filter(pk__in=contracts).values_list("pk", "starts_on"):
        groups.setdefault((starts_on.month, starts_on.day), []).append(pk)
    if not groups:
        return None
    whens = []
    earliest = run.period_start
    for (month, day), pks in groups.items():
        sample = Contract(starts_on=date(2000, month, day))
        first = sample.contract_year_start(run.period_start)
        earliest = min(earliest, first)
        later = [
            anniversary(sample.starts_on, y)
            for y in range(run.period_start.year, run.period_end.year + 2)
            if run.period_start < anniversary(sample.starts_on, y) <= run.period_end
        ]
        # The latest anniversary reached first, then the year the period starts in.
        whens += [
            When(
                Q(**{f"{contract}__in": pks}),
                occurred_at__gte=timezone.make_aware(datetime.combine(b, time.min), tz),
                then=Value(b),
            )
            for b in sorted(later, reverse=True)
        ]
        whens.append(When(Q(**{f"{contract}__in": pks}), then=Value(first)))
    return Case(*whens, default=NULL_DATE, output_field=DateField()), earliest


def items_assign_terms_and_tiers(*, run: SettlementRun) -> int:
    """Step 2, in one UPDATE of this run's items (the table is rewritten once, not three times):
    each sale's terms from its rule (refunds already copied their sale's), each covered item's
    contract year, and the cumulative measure before it in that year, earlier runs first."""
    contracts = SettlementItem.objects.filter(run=run, rule__isnull=False).values("rule__version__contract_id")
    years = _contract_year(run=run, contracts=contracts, contract="t_contract")
    if years is None:
        return 0
    year, earliest = years
    # Other runs' items count where they fall in a contract year this run reaches: only runs that
    # ended within those years can hold such items, found through the (run, kind) index.
    other_runs = SettlementRun.objects.filter(period_end__gte=earliest).exclude(pk=run.pk).values("pk")
    items = SettlementItem.objects.filter(
        Q(run=run, rule__isnull=False) | Q(run__in=other_runs, contract_id__in=contracts, year_start__gte=earliest)
    ).annotate(**{f"t_{name}": expression for name, expression in _terms(run=run).items()})
    # This run's items get their year here; earlier runs' items keep the one they were given.
    items = items.annotate(t_year=Case(When(run=run, then=year), default=F("year_start"), output_field=DateField()))
    window = Window(
        Sum("t_measure", output_field=INT),
        partition_by=[F("t_contract"), F("format"), F("t_rule_channel"), F("t_year")],
        order_by=[F("run_id").asc(), F("occurred_at").asc(), F("id").asc()],
    )
    source = (
        items.annotate(cum=Cast(window, INT))
        .annotate(t_cum_before=int_expr(F("cum") - F("t_measure")))
        .values("id", *[f"t_{name}" for name in (*TERMS, "year", "cum_before")])
    )
    # Only this run's rows are written; earlier runs' rows only count.
    return update_from(
        SettlementItem,
        {**{name: f"t_{name}" for name in TERMS}, "year_start": "t_year", "cum_before": "t_cum_before"},
        source,
        key="id",
        run_id=run.pk,
    )


def _run_statement(*, run: SettlementRun, contract: str) -> FilteredRelation:
    """The run's statement for the contract reached through ``contract`` (a relation path), as a
    join (one statement per run and contract), not a lookup per line."""
    return FilteredRelation(f"{contract}__statements", condition=Q(**{f"{contract}__statements__run": run}))


def lines_insert_sales(*, run: SettlementRun) -> int:
    """Step 3: one line per sale item and tier it reaches, split at tier boundaries."""
    factor = Case(When(tier_measure=ShareRule.Measure.REVENUE, then=Value(100)), default=Value(1), output_field=INT)
    rows = (
        SettlementItem.objects.filter(run=run, kind=SettlementItem.Kind.SALE, rule__isnull=False)
        .annotate(
            run_statement=_run_statement(run=run, contract="contract"),
            t_id=F("rule__tiers__id"),
            t_rate=F("rule__tiers__rate"),
            # Thresholds in the measure's unit: units, or cents of revenue.
            from_m=int_expr(cents(F("rule__tiers__threshold")) * factor / Value(100)),
            to_m=Coalesce(
                int_expr(cents(F("rule__tiers__threshold_to")) * factor / Value(100)), Value(INFINITY), output_field=INT
            ),
        )
        .annotate(
            lo=Greatest(F("cum_before"), F("from_m"), output_field=INT),
            hi=Least(int_expr(F("cum_before") + F("measure")), F("to_m"), output_field=INT),
        )
        .filter(Q(measure__gt=0, hi__gt=F("lo")) | Q(measure=0, from_m__lte=F("cum_before"), to_m__gt=F("cum_before")))
    )

    def part(value: Any) -> Any:
        upper = half_up(int_expr(value * int_expr(F("hi") - F("cum_before"))), F("measure"))
        lower = half_up(int_expr(value * int_expr(F("lo") - F("cum_before"))), F("measure"))
        return Case(When(measure=0, then=value), default=int_expr(upper - lower), output_field=INT)

    rows = rows.annotate(basis_part=part(cents("basis")), qty_part=part(F("quantity"))).order_by(
        "occurred_at", "pk", "from_m"
    )
    share = half_up(int_expr(F("basis_part") * rate_millionths("t_rate")), Value(RATE_SCALE))
    return insert_select(
        StatementLine,
        {
            "statement": F("run_statement__id"),
            "run": Value(run.pk),
            "kind": Value(StatementLine.Kind.SALE),
            "item": F("pk"),
            "reverses": NULL_INT,
            "order_line": F("order_line_id"),
            "product": F("product_id"),
            "format": F("format"),
            "channel": F("channel"),
            "version": F("version_id"),
            "rule": F("rule_id"),
            "tier": F("t_id"),
            "rate": F("t_rate"),
            "quantity": F("qty_part"),
            "basis": money_from_cents(F("basis_part")),
            "amount": money_from_cents(share),
            "occurred_at": F("occurred_at"),
            "campaign_id": NULL_INT,
            "commission_id": NULL_INT,
            "release_on": NULL_DATE,
            "releases": NULL_INT,
            "forwards": NULL_INT,
            "description": Value(""),
        },
        rows,
    )


def lines_insert_refunds(*, run: SettlementRun) -> int:
    """Step 4: each refund item of this run reverses the sale lines of the item it refunds, pro rata."""
    rows = StatementLine.objects.filter(
        kind=StatementLine.Kind.SALE,
        item__refunds__run=run,
    ).annotate(
        run_statement=_run_statement(run=run, contract="item__refunds__contract"),
        r_id=F("item__refunds__id"),
        r_at=F("item__refunds__occurred_at"),
        paid_c=cents(F("item__refunds__sale_amount")),
        before_c=cents(F("item__refunds__refunded_before")),
        after_c=int_expr(cents(F("item__refunds__refunded_before")) - cents(F("item__refunds__amount"))),
    )

    def back(value: Any) -> Any:
        return int_expr(Value(0) - _telescoped(value, paid=F("paid_c"), before=F("before_c"), after=F("after_c")))

    return insert_select(
        StatementLine,
        {
            "statement": F("run_statement__id"),
            "run": Value(run.pk),
            "kind": Value(StatementLine.Kind.REFUND),
            "item": F("r_id"),
            "reverses": F("pk"),
            "order_line": F("order_line_id"),
            "product": F("product_id"),
            "format": F("format"),
            "channel": F("channel"),
            "version": F("version_id"),
            "rule": F("rule_id"),
            "tier": F("tier_id"),
            "rate": F("rate"),
            "quantity": back(F("quantity")),
            "basis": money_from_cents(back(cents("basis"))),
            "amount": money_from_cents(back(cents("amount"))),
            "occurred_at": F("r_at"),
            "campaign_id": NULL_INT,
            "commission_id": NULL_INT,
            "release_on": NULL_DATE,
            "releases": NULL_INT,
            "forwards": NULL_INT,
            "description": Value(""),
        },
        rows,
    )


def commissions_due(*, run: SettlementRun, end: datetime) -> QuerySet[Any] | None:
    """Promoters' referral commissions with what is still to settle (``delta_c``, cents), or None
    when the promotions app records none."""
    try:
        from django.apps import apps

        commission_model = apps.get_model("promotions", "ReferralCommission")
    except LookupError:
        return None
    # A commission names its order line by the line's reference (commerce's ``OrderLine.line_ref``).
    line = OrderLine.objects.filter(
        line_ref=OuterRef("line_ref"),
        order__status__in=PAID,
        order__paid_at__lt=end,
    )
    refunded = (
        RefundLine.objects.filter(
            order_line__line_ref=OuterRef("line_ref"),
            refund__status=Refund.Status.SUCCEEDED,
            refund__completed_at__lt=end,
        )
        .values("order_line_id")
        .annotate(total=int_sum(cents("amount")))
        .values("total")[:1]
    )
    settled = (
        StatementLine.objects.filter(kind=StatementLine.Kind.COMMISSION, commission_id=OuterRef("pk"))
        .values("commission_id")
        .annotate(total=int_sum(cents("amount")))
        .values("total")[:1]
    )
    paid_c = cents(Subquery(line.values("price_paid")[:1], output_field=MONEY))
    base_c = Greatest(
        int_expr(paid_c - Coalesce(Subquery(refunded, output_field=INT), Value(0), output_field=INT)),
        Value(0),
        output_field=INT,
    )
    due_c = half_up(int_expr(base_c * rate_millionths("percent")), Value(RATE_SCALE))
    return (
        commission_model.objects.filter(Exists(line))
        .annotate(
            due_c=due_c,
            settled_c=Coalesce(Subquery(settled, output_field=INT), Value(0), output_field=INT),
            line_id=Subquery(line.values("pk")[:1], output_field=INT),
            product_format=Subquery(line.values("format")[:1], output_field=CharField()),
        )
        .annotate(delta_c=int_expr(F("due_c") - F("settled_c")))
        .exclude(delta_c=0)
    )


def lines_insert_commissions(*, run: SettlementRun, due: QuerySet[Any]) -> int:
    statement = Subquery(
        Statement.objects.filter(run=run, promoter_id=OuterRef("promoter_id"), currency=OuterRef("currency"))
        .order_by()
        .values("pk")[:1],
        output_field=INT,
    )
    return insert_select(
        StatementLine,
        {
            "statement": statement,
            "run": Value(run.pk),
            "kind": Value(StatementLine.Kind.COMMISSION),
            "item": NULL_INT,
            "reverses": NULL_INT,
            "order_line": F("line_id"),
            "product": F("product_id"),
            "format": F("product_format"),
            "channel": Value(""),
            "version": NULL_INT,
            "rule": NULL_INT,
            "tier": NULL_INT,
            "rate": F("percent"),
            "quantity": Value(0),
            "basis": F("base_amount"),
            "amount": money_from_cents(F("delta_c")),
            "occurred_at": F("created_at"),
            "campaign_id": F("campaign_id"),
            "commission_id": F("pk"),
            "release_on": NULL_DATE,
            "releases": NULL_INT,
            "forwards": NULL_INT,
            "description": F("order_number"),
        },
        due,
    )


__all__ = [
    "NULL_DATETIME",
    "Progress",
    "commissions_due",
    "items_analyze",
    "items_assign_terms_and_tiers",
    "items_insert_refunds",
    "items_insert_sales",
    "lines_insert_commissions",
    "lines_insert_refunds",
    "lines_insert_sales",
    "period_bounds",
]
