"""Contracts: creating them and their versions, with every rule the terms must keep.

A change of terms is a new version from a date; the version before it is
closed the day before. Nothing already settled may fall under a different
version afterwards, so the past is never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from catalog.models import Variant
from commerce.models import OrderLine
from settlements.errors import ContractInvalid
from settlements.models import Contract, ContractVersion, SettlementItem, ShareRule, ShareTier
from users.models import Partner, User

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TierSpec:
    threshold: Decimal
    rate: Decimal


@dataclass(frozen=True)
class RuleSpec:
    format: str
    tiers: Sequence[TierSpec]
    channel: str = ""
    tier_measure: str = ShareRule.Measure.UNITS


@dataclass(frozen=True)
class Terms:
    basis: str
    rules: Sequence[RuleSpec]
    advance: Decimal = Decimal(0)
    minimum_guarantee: Decimal = Decimal(0)
    reserve_rate: Decimal = Decimal(0)
    reserve_periods: int = 2
    withholding_rate: Decimal = Decimal(0)
    campaign_cost_share: Decimal = HUNDRED
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)


TERMS_MONEY_FIELDS = (
    "advance",
    "minimum_guarantee",
    "reserve_rate",
    "reserve_periods",
    "withholding_rate",
    "campaign_cost_share",
)


def terms_from(fields: Mapping[str, Any], *, rules: Sequence[RuleSpec]) -> Terms:
    """Terms from a form's or a request's cleaned fields (the basis, the money terms and a note)."""
    return Terms(
        basis=fields["basis"],
        rules=list(rules),
        note=fields.get("note") or "",
        **{name: fields[name] for name in TERMS_MONEY_FIELDS},
    )


_TIER_PART = re.compile(r"^\s*(?:(?P<threshold>[\d,._]+)\s*[:：]\s*)?(?P<rate>[\d.]+)\s*%?\s*$")


def tiers_parse(text: str) -> list[TierSpec]:
    """Read tiers written as ``40`` (one rate) or ``0:10, 5000:12.5, 10000:15`` (from: rate %)."""
    parts = [p for p in re.split(r"[;,，；\n]\s*(?=[\d])", text.strip()) if p.strip()]
    if not parts:
        raise ContractInvalid(_("Give at least one rate, e.g. “40” or “0:10, 5000:12.5, 10000:15”."), field="tiers")
    tiers = []
    for part in parts:
        match = _TIER_PART.match(part)
        if match is None:
            raise ContractInvalid(
                _("“%(part)s” is not a tier. Write “from:rate”, e.g. “5000:12.5”.") % {"part": part.strip()},
                field="tiers",
            )
        try:
            threshold = Decimal((match.group("threshold") or "0").replace(",", "").replace("_", ""))
            rate = Decimal(match.group("rate"))
        except InvalidOperation:
            raise ContractInvalid(_("“%(part)s” is not a number.") % {"part": part.strip()}, field="tiers") from None
        tiers.append(TierSpec(threshold=threshold, rate=rate))
    return tiers


def _plain(value: Decimal) -> str:
    """``120`` for Decimal("120.0000"), never ``1.2E+2``."""
    return f"{value.normalize():f}"


def tiers_format(tiers: Sequence[ShareTier | TierSpec]) -> str:
    if len(tiers) == 1 and tiers[0].threshold == 0:
        return _plain(tiers[0].rate)
    return ", ".join(f"{_plain(t.threshold)}:{_plain(t.rate)}" for t in tiers)


def _rate_check(value: Decimal, *, label: str, field_name: str) -> None:
    if not (Decimal(0) <= value <= HUNDRED):
        raise ContractInvalid(
            _("%(label)s must be between 0 and 100 %%, not %(value)s %%.") % {"label": label, "value": _plain(value)},
            field=field_name,
        )


def rule_validate(rule: RuleSpec) -> None:
    formats = dict(ShareRule._meta.get_field("format").choices or [])
    if rule.format not in formats:
        raise ContractInvalid(
            _("“%(format)s” is not a format a share rule can cover (course, ebook, audiobook, print).")
            % {"format": rule.format},
            field="rules",
        )
    if rule.channel not in ShareRule.Channel.values:
        raise ContractInvalid(_("“%(channel)s” is not a sales channel.") % {"channel": rule.channel}, field="rules")
    if rule.tier_measure not in ShareRule.Measure.values:
        raise ContractInvalid(_("Tiers count units or revenue."), field="rules")
    if not rule.tiers:
        raise ContractInvalid(_("The %(format)s rule has no rate.") % {"format": formats[rule.format]}, field="tiers")
    if rule.tiers[0].threshold != 0:
        raise ContractInvalid(
            _("The first tier of the %(format)s rule must start at 0, not %(threshold)s.")
            % {"format": formats[rule.format], "threshold": _plain(rule.tiers[0].threshold)},
            field="tiers",
        )
    for previous, tier in zip(rule.tiers, rule.tiers[1:], strict=False):
        if tier.threshold <= previous.threshold:
            raise ContractInvalid(
                _("Tier thresholds must increase: %(b)s comes after %(a)s in the %(format)s rule.")
                % {
                    "a": _plain(previous.threshold),
                    "b": _plain(tier.threshold),
                    "format": formats[rule.format],
                },
                field="tiers",
            )
    for tier in rule.tiers:
        _rate_check(tier.rate, label=_("A tier's share"), field_name="tiers")
        if rule.tier_measure == ShareRule.Measure.UNITS and tier.threshold != tier.threshold.to_integral_value():
            raise ContractInvalid(
                _("Unit tiers start at whole units, not %(threshold)s.") % {"threshold": _plain(tier.threshold)},
                field="tiers",
            )


def terms_validate(terms: Terms) -> None:
    _rate_check(terms.reserve_rate, label=_("The reserve rate"), field_name="reserve_rate")
    _rate_check(terms.withholding_rate, label=_("The withholding tax rate"), field_name="withholding_rate")
    _rate_check(terms.campaign_cost_share, label=_("The campaign cost share"), field_name="campaign_cost_share")
    if terms.advance < 0:
        raise ContractInvalid(_("The advance cannot be negative."), field="advance")
    if terms.minimum_guarantee < 0:
        raise ContractInvalid(_("The minimum guarantee cannot be negative."), field="minimum_guarantee")
    if terms.basis not in ContractVersion.Basis.values:
        raise ContractInvalid(_("The basis is the list price or net receipts."), field="basis")
    if terms.reserve_periods < 1:
        raise ContractInvalid(_("A reserve is released after at least one period."), field="reserve_periods")
    if not terms.rules:
        raise ContractInvalid(_("A contract needs at least one share rule."), field="rules")
    seen: set[tuple[str, str]] = set()
    for rule in terms.rules:
        rule_validate(rule)
        key = (rule.format, rule.channel)
        if key in seen:
            raise ContractInvalid(
                _("There are two rules for %(format)s on %(channel)s.")
                % {"format": rule.format, "channel": rule.channel or _("every channel")},
                field="rules",
            )
        seen.add(key)


def currency_check(*, partner: Partner, currency: str) -> None:
    """A contract settles the partner's orders in its own currency: refuse one in a currency that
    none of the partner's products or orders is in (it would settle nothing)."""
    sold_in = set(
        Variant.objects.filter(product__owner=partner, is_active=True).values_list("currency", flat=True)
    ) | set(OrderLine.objects.filter(owner=partner).values_list("order__currency", flat=True).distinct())
    if sold_in and currency not in sold_in:
        raise ContractInvalid(
            _(
                "%(partner)s sells in %(others)s, but this contract is in %(currency)s: it would settle none of those "
                "orders. Use the currency of the orders it should settle."
            )
            % {"partner": partner.name, "others": ", ".join(sorted(sold_in)), "currency": currency},
            field="currency",
        )


def overlap_check(
    *,
    partner: Partner,
    currency: str,
    valid_from: date,
    valid_to: date | None,
    rules: Sequence[RuleSpec],
    exclude_contract: Contract | None,
) -> None:
    """No other version for the same partner may cover the same format and channel on the same day."""
    overlapping = ContractVersion.objects.filter(contract__partner=partner, contract__currency=currency).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    if exclude_contract is not None:
        overlapping = overlapping.exclude(contract=exclude_contract)
    wanted = {(r.format, r.channel) for r in rules}
    for rule in ShareRule.objects.filter(version__in=overlapping).select_related("version__contract"):
        if any((f == rule.format and rule.channel in (c, "")) or (f == rule.format and c == "") for f, c in wanted):
            version = rule.version
            raise ContractInvalid(
                _(
                    "Contract %(number)s (version %(version)s, %(start)s–%(end)s) already covers %(format)s for "
                    "%(partner)s in this period. Versions for the same partner and rule may not overlap."
                )
                % {
                    "number": version.contract.number,
                    "version": version.number,
                    "start": version.valid_from,
                    "end": version.valid_to or "…",
                    "format": rule.get_format_display(),
                    "partner": partner.name,
                },
                field="valid_from",
            )


def _rules_write(*, version: ContractVersion, rules: Sequence[RuleSpec]) -> None:
    for spec in rules:
        rule = ShareRule.objects.create(
            version=version,
            format=spec.format,
            channel=spec.channel,
            tier_measure=spec.tier_measure,
            partner_id=version.contract.partner_id,
            currency=version.contract.currency,
            valid_from=version.valid_from,
            valid_to=version.valid_to,
        )
        thresholds = [t.threshold for t in spec.tiers]
        ShareTier.objects.bulk_create(
            [
                ShareTier(rule=rule, threshold=t.threshold, threshold_to=nxt, rate=t.rate)
                for t, nxt in zip(spec.tiers, [*thresholds[1:], None], strict=True)
            ]
        )


def _version_fields(terms: Terms) -> dict[str, object]:
    return {
        "basis": terms.basis,
        "advance": terms.advance,
        "minimum_guarantee": terms.minimum_guarantee,
        "reserve_rate": terms.reserve_rate,
        "reserve_periods": terms.reserve_periods,
        "withholding_rate": terms.withholding_rate,
        "campaign_cost_share": terms.campaign_cost_share,
        "note": terms.note,
    }


@transaction.atomic
def contract_create(
    *,
    partner: Partner,
    number: str,
    title: str,
    currency: str,
    starts_on: date,
    terms: Terms,
    valid_to: date | None = None,
    created_by: User | None = None,
) -> Contract:
    """A contract with its first version (from ``starts_on``); all or nothing."""
    if partner.kind == Partner.Kind.PLATFORM:
        raise ContractInvalid(_("The platform does not share revenue with itself."), field="partner")
    if Contract.objects.filter(number=number).exists():
        raise ContractInvalid(_("Contract number %(number)s is taken.") % {"number": number}, field="number")
    if valid_to is not None and valid_to < starts_on:
        raise ContractInvalid(_("A contract must end after it starts."), field="valid_to")
    terms_validate(terms)
    currency_check(partner=partner, currency=currency)
    overlap_check(
        partner=partner,
        currency=currency,
        valid_from=starts_on,
        valid_to=valid_to,
        rules=terms.rules,
        exclude_contract=None,
    )
    try:
        with transaction.atomic():
            contract = Contract.objects.create(
                partner=partner,
                number=number,
                title=title,
                currency=currency,
                starts_on=starts_on,
                created_by=created_by,
            )
    except IntegrityError:  # the same number, created meanwhile by someone else
        raise ContractInvalid(_("Contract number %(number)s is taken.") % {"number": number}, field="number") from None
    version = ContractVersion.objects.create(
        contract=contract,
        number=1,
        valid_from=starts_on,
        valid_to=valid_to,
        created_by=created_by,
        **_version_fields(terms),
    )
    _rules_write(version=version, rules=terms.rules)
    return contract


@transaction.atomic
def contract_version_create(
    *,
    contract: Contract,
    valid_from: date,
    terms: Terms,
    valid_to: date | None = None,
    created_by: User | None = None,
) -> ContractVersion:
    """New terms from ``valid_from``. The version in force then ends the day before; a version
    that would start before something already settled under the old terms is refused."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    terms_validate(terms)
    if valid_to is not None and valid_to < valid_from:
        raise ContractInvalid(_("A version must end after it starts."), field="valid_to")
    latest = contract.versions.order_by("-valid_from").first()
    if latest is not None and valid_from <= latest.valid_from:
        raise ContractInvalid(
            _("A new version must start after the current one (version %(n)s starts on %(date)s).")
            % {"n": latest.number, "date": latest.valid_from},
            field="valid_from",
        )
    settled = (
        SettlementItem.objects.filter(version__contract=contract, occurred_at__date__gte=valid_from)
        .order_by("-occurred_at")
        .first()
    )
    if settled is not None:
        raise ContractInvalid(
            _(
                "Sales up to %(date)s have already been settled under the current terms, so new terms can start on "
                "%(next)s at the earliest. Correct a settled period with an adjustment run instead."
            )
            % {"date": settled.occurred_at.date(), "next": settled.occurred_at.date() + timedelta(days=1)},
            field="valid_from",
        )
    currency_check(partner=contract.partner, currency=contract.currency)
    overlap_check(
        partner=contract.partner,
        currency=contract.currency,
        valid_from=valid_from,
        valid_to=valid_to,
        rules=terms.rules,
        exclude_contract=contract,
    )
    if latest is not None and (latest.valid_to is None or latest.valid_to >= valid_from):
        ContractVersion.objects.filter(pk=latest.pk).update(valid_to=valid_from - timedelta(days=1))
        ShareRule.objects.filter(version=latest).update(valid_to=valid_from - timedelta(days=1))
    version = ContractVersion.objects.create(
        contract=contract,
        number=(latest.number + 1) if latest else 1,
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=created_by,
        **_version_fields(terms),
    )
    _rules_write(version=version, rules=terms.rules)
    return version


def version_in_force(*, contract: Contract, on: date) -> ContractVersion | None:
    return (
        contract.versions.filter(valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("-valid_from")
        .first()
    )
