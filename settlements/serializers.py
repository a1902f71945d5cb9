"""What partner systems read: contracts with their versions, rules and tiers; statements and lines.
What platform staff send: a new contract, or new terms for one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from catalog.serializers import flatten_errors
from core.money import CURRENCIES
from settlements.models import (
    SETTLED_FORMATS,
    Contract,
    ContractVersion,
    ShareRule,
    ShareTier,
    Statement,
    StatementLine,
)
from settlements.services.contracts import RuleSpec, Terms, TierSpec, terms_from
from users.models import Partner


class TierSerializer(serializers.ModelSerializer[ShareTier]):
    class Meta:
        model = ShareTier
        fields = ["threshold", "threshold_to", "rate"]


class RuleSerializer(serializers.ModelSerializer[ShareRule]):
    tiers = TierSerializer(many=True, read_only=True)

    class Meta:
        model = ShareRule
        fields = ["format", "channel", "tier_measure", "tiers"]


class VersionSerializer(serializers.ModelSerializer[ContractVersion]):
    rules = RuleSerializer(many=True, read_only=True)

    class Meta:
        model = ContractVersion
        fields = [
            "number",
            "valid_from",
            "valid_to",
            "basis",
            "advance",
            "minimum_guarantee",
            "reserve_rate",
            "reserve_periods",
            "withholding_rate",
            "campaign_cost_share",
            "note",
            "rules",
        ]


class ContractSerializer(serializers.ModelSerializer[Contract]):
    partner: serializers.SlugRelatedField[Partner] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    versions = VersionSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = ["number", "title", "partner", "currency", "starts_on", "versions"]


class StatementSerializer(serializers.ModelSerializer[Statement]):
    contract: serializers.SlugRelatedField[Contract] = serializers.SlugRelatedField(slug_field="number", read_only=True)
    run_kind = serializers.CharField(source="run.kind", read_only=True)
    run_state = serializers.CharField(source="run.state", read_only=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "contract",
            "currency",
            "period_start",
            "period_end",
            "run_kind",
            "run_state",
            "opening_balance",
            "earnings",
            "campaign_cost",
            "reserve_held",
            "reserve_released",
            "advance_recouped",
            "minimum_guarantee",
            "withholding",
            "payable",
            "carried_forward",
        ]


class StatementLineSerializer(serializers.ModelSerializer[StatementLine]):
    order_number = serializers.CharField(source="order_line.order.number", default=None, read_only=True)
    product = serializers.CharField(source="product.title", default=None, read_only=True)
    tier_from = serializers.DecimalField(
        source="tier.threshold", max_digits=14, decimal_places=2, default=None, read_only=True
    )

    class Meta:
        model = StatementLine
        fields = [
            "id",
            "kind",
            "order_number",
            "product",
            "format",
            "channel",
            "quantity",
            "basis",
            "rate",
            "tier_from",
            "amount",
            "occurred_at",
            "description",
        ]


class StatementFilterSerializer(serializers.Serializer[dict[str, object]]):
    period_from = serializers.DateField(required=False)
    period_to = serializers.DateField(required=False)
    currency = serializers.CharField(required=False, max_length=3)


class LineFilterSerializer(serializers.Serializer[dict[str, object]]):
    kind = serializers.ChoiceField(choices=StatementLine.Kind.choices, required=False)
    format = serializers.CharField(required=False, max_length=10)


# --- What platform staff send ---------------------------------------------------------------------
# Types and shapes are checked here; every rule of the terms (rates within 0–100 %, thresholds that
# increase, no overlap, the orders' currency) by the contract services, as for the admin's forms.
# Rates and amounts take more digits than they may have so that the services say what is wrong.


class TierWriteSerializer(serializers.Serializer[dict[str, Any]]):
    threshold = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        help_text=_("Units, or an amount of basis, the rate applies from."),
    )
    rate = serializers.DecimalField(max_digits=14, decimal_places=4, help_text=_("Share in percent (0–100)."))


class RuleWriteSerializer(serializers.Serializer[dict[str, Any]]):
    format = serializers.ChoiceField(choices=SETTLED_FORMATS)
    channel = serializers.ChoiceField(choices=ShareRule.Channel.choices, allow_blank=True, default="")
    tier_measure = serializers.ChoiceField(choices=ShareRule.Measure.choices, default=ShareRule.Measure.UNITS)
    tiers = TierWriteSerializer(many=True, allow_empty=False, max_length=20)  # type: ignore[call-arg]


class TermsWriteSerializer(serializers.Serializer[dict[str, Any]]):
    basis = serializers.ChoiceField(choices=ContractVersion.Basis.choices)
    advance = serializers.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    minimum_guarantee = serializers.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    reserve_rate = serializers.DecimalField(max_digits=14, decimal_places=4, default=Decimal(0))
    reserve_periods = serializers.IntegerField(default=2, max_value=120)
    withholding_rate = serializers.DecimalField(max_digits=14, decimal_places=4, default=Decimal(0))
    campaign_cost_share = serializers.DecimalField(max_digits=14, decimal_places=4, default=Decimal(100))
    note = serializers.CharField(max_length=500, allow_blank=True, default="")
    rules = RuleWriteSerializer(many=True, max_length=20)  # type: ignore[call-arg]

    def is_valid_or_raise(self) -> None:
        """Validate, reporting nested problems under flat paths (``rules[0].tiers[1].rate``)."""
        if not self.is_valid():
            raise serializers.ValidationError(flatten_errors(self.errors))

    def terms(self) -> Terms:
        rules = [
            RuleSpec(
                format=rule["format"],
                channel=rule["channel"],
                tier_measure=rule["tier_measure"],
                tiers=[TierSpec(threshold=t["threshold"], rate=t["rate"]) for t in rule["tiers"]],
            )
            for rule in self.validated_data["rules"]
        ]
        return terms_from(self.validated_data, rules=rules)


class ContractWriteSerializer(TermsWriteSerializer):
    number = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=200)
    currency = serializers.ChoiceField(choices=CURRENCIES)
    starts_on = serializers.DateField(help_text=_("The contract year starts on this day; so do the first terms."))
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)


class VersionWriteSerializer(TermsWriteSerializer):
    valid_from = serializers.DateField(help_text=_("The new terms apply to sales from this day."))
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)
