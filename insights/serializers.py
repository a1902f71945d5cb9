from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from insights.models import Event
from insights.selectors import product_ids_by_reference
from insights.services import CONTEXT_MAX_CHARS

BATCH_MAX_EVENTS = 500
# Events older than this are history, not behaviour: a partner backfilling should talk to us first.
EVENT_MAX_AGE = timedelta(days=90)
CLOCK_SKEW = timedelta(minutes=5)


class EventInSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.CharField(
        max_length=64,
        required=False,
        help_text=_("Your own unique id of the event; an event whose id you have sent before is skipped."),
    )
    kind = serializers.ChoiceField(choices=Event.Kind.choices)
    anonymous_id = serializers.CharField(
        max_length=64, help_text=_("Your app's pseudonymous id of the person; never an email or a phone number.")
    )
    product = serializers.CharField(
        max_length=200, required=False, help_text=_("The product's slug, as in its storefront address.")
    )
    isbn = serializers.RegexField(
        r"^\d{13}$", required=False, help_text=_("Instead of product: the ISBN-13 of one of its editions.")
    )
    occurred_at = serializers.DateTimeField(help_text=_("When it happened (ISO 8601 with a time zone)."))
    context = serializers.DictField(  # type: ignore[assignment]  # DRF pops declared fields off the class
        required=False,
        help_text=_("Free-form details such as query, position or utm_source (at most 4,000 characters)."),
    )

    def validate_occurred_at(self, value: Any) -> Any:
        now = timezone.now()
        if value > now + CLOCK_SKEW:
            raise serializers.ValidationError(_("This time is in the future. Send times with their time zone."))
        if value < now - EVENT_MAX_AGE:
            raise serializers.ValidationError(_("This event is older than 90 days and cannot be ingested."))
        return value

    def validate_context(self, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, ensure_ascii=False, default=str)) > CONTEXT_MAX_CHARS:
            raise serializers.ValidationError(_("The context is larger than 4,000 characters."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("product") and attrs.get("isbn"):
            raise serializers.ValidationError({"isbn": [_("Give either product or isbn, not both.")]})
        return attrs


class EventBatchSerializer(serializers.Serializer[dict[str, Any]]):
    events = EventInSerializer(many=True, allow_empty=False, max_length=BATCH_MAX_EVENTS)  # type: ignore[call-arg]

    def validate_events(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Resolve every product reference in two queries; name each item that points nowhere."""
        by_slug, by_isbn = product_ids_by_reference(
            slugs=[i["product"] for i in items if i.get("product")], isbns=[i["isbn"] for i in items if i.get("isbn")]
        )
        errors: dict[str, Any] = {}
        for index, item in enumerate(items):
            item["product_id"] = None
            if item.get("product"):
                item["product_id"] = by_slug.get(item["product"])
                if item["product_id"] is None:
                    errors[str(index)] = {"product": [_("No published product has this slug.")]}
            elif item.get("isbn"):
                item["product_id"] = by_isbn.get(item["isbn"])
                if item["product_id"] is None:
                    errors[str(index)] = {"isbn": [_("No published product has an edition with this ISBN.")]}
        if errors:
            raise serializers.ValidationError(errors)
        return items


class BatchResultSerializer(serializers.Serializer[Any]):
    accepted = serializers.IntegerField(help_text=_("Events stored by this request."))
    duplicates = serializers.IntegerField(help_text=_("Events skipped because their id was sent before."))
