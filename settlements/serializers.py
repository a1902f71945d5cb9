"""What partner systems read: contracts with their versions, rules and tiers; statements and lines."""

from __future__ import annotations

from rest_framework import serializers

from settlements.models import Contract, ContractVersion, ShareRule, ShareTier, Statement, StatementLine
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
