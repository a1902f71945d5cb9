"""Serializers of the recommendations API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from recommendations.models import ModelVersion, TrainingRun
from recommendations.selectors import MAX_M


class MQuerySerializer(serializers.Serializer[Any]):
    m = serializers.IntegerField(
        required=False,
        default=10,
        min_value=1,
        max_value=MAX_M,
        help_text=_("How many products (1–50)."),
        error_messages={
            "min_value": _("m must be at least 1."),
            "max_value": _("m can be at most %(limit_value)s."),
            "invalid": _("m must be a whole number."),
        },
    )
    slot = serializers.RegexField(
        r"^[A-Za-z0-9_.\-]{1,48}$",
        required=False,
        default="api",
        help_text=_("Where the list is shown (letters, digits, _ . -), recorded with each impression."),
        error_messages={"invalid": _("slot may hold only letters, digits, “_”, “.” and “-” (at most 48).")},
    )


class CompanionQuerySerializer(MQuerySerializer):
    m = serializers.IntegerField(required=False, default=3, min_value=1, max_value=10)


class RecommendedProductSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.CharField()
    price_from = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        price = getattr(instance, "price_from", None)
        return {
            "id": instance.pk,
            "slug": instance.slug,
            "title": instance.title,
            "kind": instance.kind,
            "url": instance.get_absolute_url(),
            "price_from": None if price is None else str(price),
        }


class RecommendationItemSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    product = RecommendedProductSerializer()
    score = serializers.FloatField()
    reason_code = serializers.CharField(
        help_text=_(
            "because_bought, because_rated, because_studied, because_carted, because_previewed, "
            "because_viewed, similar_to, similar_taste, popular_in_topic or popular"
        )
    )
    reason = serializers.CharField(help_text=_("A short sentence in the request's language."))
    link = serializers.CharField(help_text=_("The product's page with the rec parameter that attributes a purchase."))


class RecommendationListSerializer(serializers.Serializer[Any]):
    model_version = serializers.CharField(help_text=_("The model version tag, or “popularity” for the fallback."))
    slot = serializers.CharField()
    source = serializers.ChoiceField(choices=["model", "fallback"])  # type: ignore[assignment]
    rec = serializers.CharField(help_text=_("Append ?rec=<this> to product links so a purchase is attributed."))
    items = RecommendationItemSerializer(many=True)


class CompanionSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    product = RecommendedProductSerializer()
    score = serializers.FloatField()
    reason = serializers.CharField()
    bought_together = serializers.IntegerField()
    bundle = RecommendedProductSerializer(allow_null=True)
    link = serializers.CharField()


class CompanionListSerializer(serializers.Serializer[Any]):
    product = RecommendedProductSerializer()
    model_version = serializers.CharField()
    slot = serializers.CharField()
    rec = serializers.CharField()
    items = CompanionSerializer(many=True)


class TrainingRunSerializer(serializers.ModelSerializer[TrainingRun]):
    model_version = serializers.SerializerMethodField()

    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "model_name",
            "params",
            "state",
            "trigger",
            "progress_percent",
            "progress_message",
            "data_snapshot",
            "attempts",
            "worker",
            "timings",
            "error",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
            "model_version",
        ]
        read_only_fields = fields

    def get_model_version(self, run: TrainingRun) -> str | None:
        version = getattr(run, "model_version", None) if run.state == TrainingRun.State.SUCCEEDED else None
        return version.tag if version is not None else None


class TrainingRunCreateSerializer(serializers.Serializer[Any]):
    model = serializers.CharField(
        required=False, allow_blank=True, help_text=_("A model name, or “main” / empty for the configured model.")
    )
    params = serializers.DictField(required=False, help_text=_("Hyper-parameters; empty for the defaults."))


class ModelVersionSerializer(serializers.ModelSerializer[ModelVersion]):
    class Meta:
        model = ModelVersion
        fields = [
            "tag",
            "model_name",
            "params",
            "metrics",
            "ndcg",
            "baseline_ndcg",
            "baseline_label",
            "tolerance",
            "decision",
            "decision_note",
            "is_active",
            "n_users",
            "n_items",
            "n_interactions",
            "created_at",
            "activated_at",
            "topm_refreshed_at",
            "topm_users",
        ]
        read_only_fields = fields
