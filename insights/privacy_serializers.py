"""Request and response shapes of the privacy API (``insights.privacy_api``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from insights.audiences import DIMENSIONS
from insights.privacy_models import AdAudience, AgeBand, DeletionNotice
from insights.sharing import CATEGORY_COLUMNS, FORMATS, ROW_SHARE_PURPOSES


class AudienceQuestionSerializer(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(choices=["all", "product", "campaign"], default="all")
    reference = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("The product's or campaign's slug.")
    )
    date_from = serializers.DateField(required=False, allow_null=True, default=None)
    date_to = serializers.DateField(required=False, allow_null=True, default=None)
    dimensions = serializers.ListField(
        child=serializers.ChoiceField(choices=list(DIMENSIONS)), required=False, default=list(DIMENSIONS)
    )


class CellSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField(allow_null=True, help_text=_("Noisy count; null when withheld."))
    rate_from_previous = serializers.CharField(required=False, allow_null=True)


class SuppressionSerializer(serializers.Serializer[Any]):
    k = serializers.IntegerField()
    groups_merged_into_other = serializers.IntegerField()
    groups_withheld = serializers.IntegerField()


class NoiseSerializer(serializers.Serializer[Any]):
    mechanism = serializers.CharField()
    scale = serializers.FloatField()
    epsilon = serializers.CharField()
    sensitivity = serializers.IntegerField()


class OtherSerializer(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()


class BreakdownSerializer(serializers.Serializer[Any]):
    cells = CellSerializer(many=True)
    other = OtherSerializer(allow_null=True)
    suppression = SuppressionSerializer()
    noise = NoiseSerializer()


class BudgetSerializer(serializers.Serializer[Any]):
    period_start = serializers.DateField()
    epsilon_limit = serializers.CharField()
    epsilon_spent = serializers.CharField()
    epsilon_left = serializers.CharField()


class InsightAnswerSerializer(serializers.Serializer[Any]):
    partner = serializers.CharField()
    question = AudienceQuestionSerializer()
    scope_label = serializers.CharField()
    k = serializers.IntegerField()
    epsilon = serializers.CharField()
    breakdowns = serializers.DictField(child=BreakdownSerializer())
    released_at = serializers.DateTimeField()
    replayed = serializers.BooleanField(help_text=_("True when this question was answered before this month."))
    budget = BudgetSerializer()


class ShareRequestSerializer(serializers.Serializer[Any]):
    purpose = serializers.ChoiceField(choices=list(ROW_SHARE_PURPOSES))
    data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=list(CATEGORY_COLUMNS)), allow_empty=False
    )
    format = serializers.ChoiceField(choices=list(FORMATS), default="csv")


class ShareJsonSerializer(serializers.Serializer[Any]):
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.DictField())
    row_count = serializers.IntegerField()
    audit_id = serializers.IntegerField()


class DeletionNoticeSerializer(serializers.ModelSerializer[DeletionNotice]):
    class Meta:
        model = DeletionNotice
        fields = ["id", "pseudonymous_id", "purpose", "reason", "created_at", "acknowledged_at"]


class AcknowledgeSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=5000)


class AcknowledgedSerializer(serializers.Serializer[Any]):
    acknowledged = serializers.IntegerField()


class CriteriaSerializer(serializers.Serializer[Any]):
    topics = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    purchased_products = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list
    )
    purchased_from_partner = serializers.BooleanField(required=False, default=False)
    regions = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    age_bands = serializers.ListField(
        child=serializers.ChoiceField(choices=AgeBand.choices), required=False, default=list
    )


class AdAudienceSerializer(serializers.ModelSerializer[AdAudience]):
    class Meta:
        model = AdAudience
        fields = ["id", "name", "criteria", "created_at", "updated_at"]


class AdAudienceCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    criteria = CriteriaSerializer()


class EraseRequestSerializer(serializers.Serializer[Any]):
    password = serializers.CharField(write_only=True, style={"input_type": "password"})


class EraseResultSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()


class RecipientSerializer(serializers.Serializer[Any]):
    partner_name = serializers.CharField()
    purpose = serializers.CharField()
    purpose_label = serializers.CharField()
    data_categories = serializers.ListField(child=serializers.CharField())
    times = serializers.IntegerField()
    last_at = serializers.DateTimeField()
