"""Revenue sharing (分润): contracts and their versions, share rules with tiers,
settlement runs, the immutable items and statement lines they write, statements
and payouts.

Money is ``Decimal`` (``core.money``); rates are percentages with four
decimals (12.5 % is ``Decimal("12.5000")``). A contract's terms never change in
place: a change is a new :class:`ContractVersion` from a date. What a run writes
(:class:`SettlementItem`, :class:`StatementLine`) is never updated; a run that
was never approved may be discarded, which removes its rows, and a closed
period is corrected by an adjustment run.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import Product, Variant
from commerce.models import Order, OrderLine, OrderLineItem, RefundLine
from core.money import CurrencyField, MoneyField
from users.models import Partner

HUNDRED = Decimal(100)
SETTLED_FORMATS = [c for c in Variant.Format.choices if c[0] != Variant.Format.BUNDLE]
FORMAT_LABELS = dict(SETTLED_FORMATS)


class RateField(models.DecimalField):
    """A percentage, 0–100 with four decimals (the range is held by each model's CheckConstraint)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 7)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(*args, **kwargs)


def _rate_range(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 100}), name=name)


class ImmutableQuerySet(models.QuerySet[Any]):
    """Rows a run wrote are history: never changed; removed only with a discarded draft run."""

    def update(self, **kwargs: Any) -> int:
        raise SettlementHistoryIsImmutable("settlement rows are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise SettlementHistoryIsImmutable("settlement rows are removed only by discarding their draft run")

    def purge_for_discarded_run(self) -> int:
        """Remove the rows of a run being discarded (``settlement_run_discard`` checks the run's state)."""
        deleted, _by_model = models.QuerySet.delete(self)
        return deleted

    def build(self, **kwargs: Any) -> int:
        """Fill in derived columns while the run that owns these rows is being computed."""
        return models.QuerySet.update(self, **kwargs)


class SettlementHistoryIsImmutable(Exception):
    pass


# --- Contracts ------------------------------------------------------------------------------------


class Contract(models.Model):
    """A revenue-sharing agreement between the platform and one partner, in one currency.

    Its terms live in versions; ``starts_on`` anchors the contract year (tiers
    count within it, the minimum guarantee is measured over it)."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="settlement_contracts", verbose_name=_("partner")
    )
    number = models.CharField(_("contract number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    currency = CurrencyField(_("currency"))
    starts_on = models.DateField(_("contract year starts on"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["partner__name", "number"]

    def __str__(self) -> str:
        return f"{self.number} · {self.partner}"

    def contract_year_start(self, on: date) -> date:
        """The first day of the contract year that contains ``on``."""
        year = on.year if (on.month, on.day) >= (self.starts_on.month, self.starts_on.day) else on.year - 1
        return anniversary(self.starts_on, year)


def anniversary(start: date, year: int) -> date:
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


class ContractVersion(models.Model):
    """The terms of a contract from ``valid_from`` (to ``valid_to``, inclusive; open when blank)."""

    class Basis(models.TextChoices):
        LIST = "list", _("List price")
        NET = "net", _("Net receipts")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    basis = models.CharField(
        _("basis"),
        max_length=4,
        choices=Basis.choices,
        help_text=_("Net receipts: the price paid less payment fees and the channel's fee (e.g. an app store)."),
    )
    advance = MoneyField(_("advance"), default=0, help_text=_("Paid on signing; recouped before anything is paid."))
    minimum_guarantee = MoneyField(_("minimum guarantee per contract year"), default=0)
    reserve_rate = RateField(_("reserve against refunds (%)"), default=0)
    reserve_periods = models.PositiveSmallIntegerField(_("reserve released after (periods)"), default=2)
    withholding_rate = RateField(_("withholding tax (%)"), default=0)
    campaign_cost_share = RateField(
        _("share of joint-campaign cost borne (%)"),
        default=100,
        help_text=_("How much of the partner's agreed share of a joint campaign's cost is charged to its statements."),
    )
    note = models.CharField(_("what changed"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("contract version")
        verbose_name_plural = _("contract versions")
        ordering = ["contract_id", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="contract_version_unique_number"),
            models.UniqueConstraint(fields=["contract", "valid_from"], name="contract_version_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="contract_version_period_ordered",
            ),
            models.CheckConstraint(condition=Q(basis__in=["list", "net"]), name="contract_version_basis_known"),
            models.CheckConstraint(
                condition=Q(advance__gte=0, minimum_guarantee__gte=0), name="contract_version_amounts_not_negative"
            ),
            models.CheckConstraint(condition=Q(reserve_periods__gte=1), name="contract_version_reserve_periods_min"),
            _rate_range("reserve_rate", "contract_version_reserve_rate_0_100"),
            _rate_range("withholding_rate", "contract_version_withholding_rate_0_100"),
            _rate_range("campaign_cost_share", "contract_version_campaign_share_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} v{self.number} ({self.valid_from}–{self.valid_to or '…'})"


class ShareRule(models.Model):
    """The partner's share of one format sold through one channel (blank: every channel),
    as tiers over the cumulative units or revenue of the contract year."""

    class Channel(models.TextChoices):
        ANY = "", _("Every channel")
        WEB = Order.Channel.WEB.value, Order.Channel.WEB.label
        APP = Order.Channel.APP.value, Order.Channel.APP.label
        PARTNER_API = Order.Channel.PARTNER_API.value, Order.Channel.PARTNER_API.label

    class Measure(models.TextChoices):
        UNITS = "units", _("Units sold")
        REVENUE = "revenue", _("Revenue (basis)")

    version = models.ForeignKey(ContractVersion, on_delete=models.CASCADE, related_name="rules")
    format = models.CharField(_("format"), max_length=10, choices=SETTLED_FORMATS)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True, default="")
    tier_measure = models.CharField(_("tiers count"), max_length=8, choices=Measure.choices, default=Measure.UNITS)
    # Copied from the version and its contract (kept by the contract services) so that a run finds
    # each sale's rule with one index lookup.
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+", null=True, editable=False)
    currency = CurrencyField(editable=False)
    valid_from = models.DateField(null=True, editable=False)
    valid_to = models.DateField(null=True, editable=False)

    class Meta:
        verbose_name = _("share rule")
        verbose_name_plural = _("share rules")
        ordering = ["version_id", "format", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["version", "format", "channel"], name="share_rule_unique_format_channel"),
            models.CheckConstraint(
                condition=Q(format__in=["course", "ebook", "audiobook", "print"]), name="share_rule_format_settled"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["", "web", "app", "partner_api"]), name="share_rule_channel_known"
            ),
            models.CheckConstraint(condition=Q(tier_measure__in=["units", "revenue"]), name="share_rule_measure_known"),
        ]
        indexes = [models.Index(fields=["partner", "currency", "format", "channel", "valid_from"])]

    def __str__(self) -> str:
        tiers = " / ".join(f"{t.rate.normalize()}%" for t in self.tiers.all())
        return f"{self.get_format_display()} · {self.get_channel_display()}: {tiers}"


class ShareTier(models.Model):
    """``rate`` applies from ``threshold`` (units, or an amount of basis) up to the next tier's threshold."""

    rule = models.ForeignKey(ShareRule, on_delete=models.CASCADE, related_name="tiers")
    threshold = models.DecimalField(pgettext_lazy("tier threshold", "from"), max_digits=14, decimal_places=2, default=0)
    # The next tier's threshold (blank for the last tier); kept by the contract services.
    threshold_to = models.DecimalField(_("up to"), max_digits=14, decimal_places=2, null=True, blank=True)
    rate = RateField(_("share (%)"))

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rule_id", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "threshold"], name="share_tier_unique_threshold"),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="share_tier_threshold_not_negative"),
            models.CheckConstraint(
                condition=Q(threshold_to__isnull=True) | Q(threshold_to__gt=F("threshold")),
                name="share_tier_thresholds_increase",
            ),
            _rate_range("rate", "share_tier_rate_0_100"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.threshold.normalize()}–{self.threshold_to.normalize() if self.threshold_to else '∞'}: {self.rate}%"
        )


class FeeRate(models.Model):
    """What a payment provider or a sales channel keeps of the price paid, from a date.

    Net-receipts contracts share the price paid less these fees."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment provider")
        CHANNEL = "channel", _("Sales channel")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    key = models.CharField(_("provider or channel"), max_length=32, help_text=_("e.g. sandbox, alipay; web, app"))
    rate = RateField(_("fee (%)"))
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("fee rate")
        verbose_name_plural = _("fee rates")
        ordering = ["kind", "key", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key", "valid_from"], name="fee_rate_unique_start"),
            models.CheckConstraint(condition=Q(kind__in=["payment", "channel"]), name="fee_rate_kind_known"),
            _rate_range("rate", "fee_rate_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}: {self.rate}% from {self.valid_from}"


# --- Runs -----------------------------------------------------------------------------------------


class SettlementRun(models.Model):
    """One settlement of one period. Moves only along :attr:`TRANSITIONS`
    (``settlements.services.runs.settlement_run_transition``), leaving an event per move."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("Regular")
        ADJUSTMENT = "adjustment", _("Adjustment")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEWED = "reviewed", _("Reviewed")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        DISCARDED = "discarded", _("Discarded")

    TRANSITIONS: dict[str, frozenset[str]] = {
        State.DRAFT: frozenset({State.REVIEWED, State.DISCARDED}),
        State.REVIEWED: frozenset({State.APPROVED, State.DRAFT, State.DISCARDED}),
        State.APPROVED: frozenset({State.PAID}),
        State.PAID: frozenset(),
        State.DISCARDED: frozenset(),
    }
    CLOSED = (State.APPROVED, State.PAID)

    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"), help_text=_("Inclusive."))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, unique=True)
    # The reconciliation: what was received and who gets it, with the checks that prove it.
    report = models.JSONField(_("report"), default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_step = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("settlement run")
        verbose_name_plural = _("settlement runs")
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="run_period_ordered"),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "reviewed", "approved", "paid", "discarded"]), name="run_state_known"
            ),
            models.CheckConstraint(condition=Q(kind__in=["regular", "adjustment"]), name="run_kind_known"),
            # One regular run per period (a discarded draft does not count); corrections are adjustments.
            models.UniqueConstraint(
                fields=["period_start", "period_end"],
                condition=Q(kind="regular") & ~Q(state="discarded"),
                name="run_one_regular_per_period",
            ),
        ]

    def __str__(self) -> str:
        period = f"{self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"
        return f"{period} {self.get_kind_display()} ({self.get_state_display()})"

    @property
    def is_closed(self) -> bool:
        return self.state in self.CLOSED

    @property
    def reconciles(self) -> bool:
        return bool(self.report.get("reconciles"))


class SettlementRunEvent(models.Model):
    """An append-only row for every state change of a run."""

    run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="events")
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("settlement run event")
        verbose_name_plural = _("settlement run events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.from_state or '∅'} → {self.to_state}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise SettlementHistoryIsImmutable("run events are never changed")
        super().save(*args, **kwargs)


class SettlementItem(models.Model):
    """One thing a run settled: a sale or a refund of an order line, or of one item of a bundle line.

    A bundle line's price paid is split across its items pro rata to their
    standalone prices (commerce records that split, by largest remainder); its
    list price is split the same way here. Each item then follows its owner's
    contract (``rule``; none when no contract covers it: the platform keeps it).
    """

    class Kind(models.TextChoices):
        SALE = "sale", _("Sale")
        REFUND = "refund", _("Refund")

    # A run writes every item of the period in bulk and then rewrites it once (terms and tier
    # position), so only the indexes its steps use are kept (the composite ones below,
    # ``source_key`` and ``sale_item``), and none of them covers a column the rewrite sets: with
    # room left on each page (the table's fill factor, on PostgreSQL), the new version of a row
    # stays on its page and no index is written again. Likewise the columns
    # copied from a row the item already references (``owner`` and ``product`` from the order
    # line or its item, ``version`` and ``contract`` from the rule) carry no database constraint
    # of their own: the row they were copied from is constrained and protected, and a constraint
    # per copy would be checked again for every item a run writes.
    run = models.ForeignKey(SettlementRun, on_delete=models.CASCADE, related_name="items", db_index=False)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    # "s<line>-<item>" for a sale, "r<refund line>" for a refund: each is settled once, ever.
    source_key = models.CharField(max_length=40, unique=True)
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="settlement_items", db_index=False)
    line_item = models.ForeignKey(
        OrderLineItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    refund_line = models.ForeignKey(
        RefundLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    sale_item = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds")
    owner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    format = models.CharField(_("format"), max_length=10, choices=Variant.Format.choices)
    channel = models.CharField(_("channel"), max_length=16)
    currency = CurrencyField(_("currency"))
    occurred_at = models.DateTimeField(_("paid or refunded at"))
    quantity = models.IntegerField(_("units"))
    amount = MoneyField(_("amount received"))
    list_amount = MoneyField(_("list price"))
    payment_fee = MoneyField(_("payment fee"), default=0)
    channel_fee = MoneyField(_("channel fee"), default=0)
    net_amount = MoneyField(_("net receipts"), default=0)
    # For a refund: what the sale was paid, and how much of it had been refunded before this refund.
    sale_amount = MoneyField(default=0)
    refunded_before = MoneyField(default=0)
    rule = models.ForeignKey(
        ShareRule, on_delete=models.PROTECT, null=True, blank=True, related_name="items", db_index=False
    )
    version = models.ForeignKey(
        ContractVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        db_index=False,
        db_constraint=False,
    )
    basis_kind = models.CharField(max_length=4, blank=True)
    tier_measure = models.CharField(max_length=8, blank=True)
    rule_channel = models.CharField(max_length=16, blank=True)
    basis = MoneyField(_("basis"), default=0)
    # What the item adds to its rule's tier count: units, or basis in cents; negative for refunds.
    measure = models.BigIntegerField(default=0)
    year_start = models.DateField(null=True, blank=True)
    cum_before = models.BigIntegerField(default=0)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("settled item")
        verbose_name_plural = _("settled items")
        ordering = ["run_id", "occurred_at", "pk"]
        indexes = [
            models.Index(fields=["run", "kind"]),
            models.Index(fields=["order_line", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.source_key}: {self.amount} {self.currency}"


class Statement(models.Model):
    """What one party earned in one run: a partner under one contract, or a promoter.

    The amounts are the sums of its lines by kind; ``payable`` plus
    ``carried_forward`` (never positive) equals the sum of every line but the
    closing ``payable`` line."""

    run = models.ForeignKey(SettlementRun, on_delete=models.PROTECT, related_name="statements")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="statements")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="statements")
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="promoter_statements"
    )
    currency = CurrencyField(_("currency"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    opening_balance = MoneyField(_("brought forward"), default=0)
    earnings = MoneyField(_("earnings"), default=0)
    campaign_cost = MoneyField(_("campaign cost share"), default=0)
    reserve_held = MoneyField(_("reserve held"), default=0)
    reserve_released = MoneyField(_("reserve released"), default=0)
    advance_recouped = MoneyField(_("advance recouped"), default=0)
    minimum_guarantee = MoneyField(_("minimum-guarantee top-up"), default=0)
    commissions = MoneyField(_("referral commissions"), default=0)
    withholding = MoneyField(_("withholding tax"), default=0)
    payable = MoneyField(_("payable"), default=0)
    carried_forward = MoneyField(_("carried forward"), default=0)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["-period_start", "partner__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "contract"], condition=Q(contract__isnull=False), name="statement_one_per_contract"
            ),
            models.UniqueConstraint(
                fields=["run", "promoter", "currency"],
                condition=Q(promoter__isnull=False),
                name="statement_one_per_promoter",
            ),
            models.CheckConstraint(
                condition=Q(partner__isnull=False, contract__isnull=False, promoter__isnull=True)
                | Q(partner__isnull=True, contract__isnull=True, promoter__isnull=False),
                name="statement_one_party",
            ),
            models.CheckConstraint(condition=Q(payable__gte=0), name="statement_payable_not_negative"),
            models.CheckConstraint(condition=Q(carried_forward__lte=0), name="statement_carried_not_positive"),
        ]
        indexes = [models.Index(fields=["partner", "-period_start"])]

    def __str__(self) -> str:
        party = self.partner or self.promoter
        return f"{party} · {self.period_start:%Y-%m} · {self.payable} {self.currency}"

    @property
    def party_name(self) -> str:
        return str(self.partner or self.promoter)


class StatementLine(models.Model):
    """One immutable line of a statement."""

    class Kind(models.TextChoices):
        SALE = "sale", _("Sale")
        REFUND = "refund", _("Refund")
        BALANCE_FORWARD = "balance_forward", _("Balance brought forward")
        CAMPAIGN_COST = "campaign_cost", _("Joint-campaign cost share")
        RESERVE_HELD = "reserve_held", _("Reserve held")
        RESERVE_RELEASED = "reserve_released", _("Reserve released")
        ADVANCE_RECOUPMENT = "advance_recoupment", _("Advance recouped")
        MINIMUM_GUARANTEE = "minimum_guarantee", _("Minimum-guarantee top-up")
        COMMISSION = "commission", _("Referral commission")
        WITHHOLDING = "withholding", _("Withholding tax")
        PAYABLE = "payable", _("Payable")

    EARNING_KINDS = (Kind.SALE, Kind.REFUND)

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines", db_index=False)
    # The statement's run, copied so that a run's lines are read without the statements.
    run = models.ForeignKey(
        SettlementRun, on_delete=models.CASCADE, related_name="lines", db_index=False, db_constraint=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    item = models.ForeignKey(SettlementItem, on_delete=models.PROTECT, null=True, blank=True, related_name="lines")
    # For a refund line: the sale line it reverses (in part or whole).
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals")
    # Order line, product, version, rule and tier are copies of what the line's item (or, for a
    # commission, the promoter's commission) already references: like the item's copies, they
    # carry no database constraint of their own (see ``SettlementItem``); deleting through the
    # ORM is still refused while a line names the row.
    order_line = models.ForeignKey(
        OrderLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False, db_constraint=False
    )
    format = models.CharField(_("format"), max_length=10, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    version = models.ForeignKey(
        ContractVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    rule = models.ForeignKey(
        ShareRule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    tier = models.ForeignKey(
        ShareTier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    rate = RateField(_("rate (%)"), null=True, blank=True)
    quantity = models.IntegerField(_("units"), default=0)
    basis = MoneyField(_("basis"), default=0)
    amount = MoneyField(_("amount"))
    occurred_at = models.DateTimeField(null=True, blank=True)
    # Promotions' campaign / referral commission this line settles (ids in the promotions app).
    campaign_id = models.BigIntegerField(null=True, blank=True)
    commission_id = models.BigIntegerField(null=True, blank=True)
    # A reserve line: held until ``release_on``; a release names the line it releases.
    release_on = models.DateField(null=True, blank=True)
    releases = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="released_by")
    # A balance brought forward names the statement whose negative result it carries.
    forwards = models.OneToOneField(
        Statement, on_delete=models.PROTECT, null=True, blank=True, related_name="forwarded_by"
    )
    description = models.CharField(_("description"), max_length=255, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "tier", "reverses"],
                condition=Q(item__isnull=False, reverses__isnull=False),
                name="statement_line_refund_once",
            ),
            models.UniqueConstraint(
                fields=["item", "tier"],
                condition=Q(item__isnull=False, reverses__isnull=True),
                name="statement_line_sale_tier_once",
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "sale",
                        "refund",
                        "balance_forward",
                        "campaign_cost",
                        "reserve_held",
                        "reserve_released",
                        "advance_recoupment",
                        "minimum_guarantee",
                        "commission",
                        "withholding",
                        "payable",
                    ]
                ),
                name="statement_line_kind_known",
            ),
        ]
        indexes = [
            models.Index(fields=["run", "kind"]),
            models.Index(fields=["statement", "kind"]),
            models.Index(fields=["commission_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount}"

    @property
    def format_label(self) -> str:
        """The format in the reader's language ("电子书", "Ebook"); blank on closing lines."""
        return str(FORMAT_LABELS.get(self.format, self.format))


class Payout(models.Model):
    """The payment of one statement's payable, recorded when its run is marked paid."""

    statement = models.OneToOneField(Statement, on_delete=models.PROTECT, related_name="payout")
    amount = MoneyField(_("amount"))
    currency = CurrencyField(_("currency"))
    reference = models.CharField(_("payment reference"), max_length=64, unique=True)
    paid_at = models.DateTimeField(_("paid at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-paid_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.amount} {self.currency}"
