"""Batch ingestion of behaviour events from partner apps (``POST /api/v1/events/``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.serializers import BatchResultSerializer, EventBatchSerializer
from insights.services import event_batch_ingest
from users.api_auth import HasScopes, request_partner_key


class PartnerKeyWithScopes(permissions.BasePermission):
    """Only a partner system's API key holding the view's scopes: events name the partner that sent them."""

    message = _("Send events with a partner API key that has the events:write scope.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_partner_key(request) is not None and HasScopes().has_permission(request, view)


class EventBatchView(APIView):
    required_scopes = ["events:write"]
    permission_classes = [PartnerKeyWithScopes]

    @extend_schema(
        operation_id="events_ingest",
        summary="Ingest a batch of behaviour events",
        description=(
            "Up to 500 events per request, validated as a whole: if any event is invalid nothing is stored and "
            "the error names each bad event by its index (`fields.events.<index>.<field>`). People are identified "
            "by your app's own pseudonymous `anonymous_id`, never by a platform account. Give each event an `id` "
            "and resending a batch after a timeout stores nothing twice. Needs an API key with `events:write`."
        ),
        request=EventBatchSerializer,
        responses={201: BatchResultSerializer},
        examples=[
            OpenApiExample(
                "Two events",
                request_only=True,
                value={
                    "events": [
                        {
                            "id": "evt-0001",
                            "kind": "view",
                            "anonymous_id": "device-7f3a",
                            "product": "positive-psychology-course",
                            "occurred_at": "2026-05-01T10:00:00+08:00",
                            "context": {"utm_source": "reader-app"},
                        },
                        {
                            "id": "evt-0002",
                            "kind": "purchase",
                            "anonymous_id": "device-7f3a",
                            "isbn": "9787111111111",
                            "occurred_at": "2026-05-01T10:05:00+08:00",
                        },
                    ]
                },
            )
        ],
        tags=["events"],
    )
    def post(self, request: Request) -> Response:
        data = EventBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = request_partner_key(request)
        assert key is not None
        result = event_batch_ingest(partner=key.partner, events=data.validated_data["events"])
        body = BatchResultSerializer({"accepted": result.accepted, "duplicates": result.duplicates}).data
        return Response(body, status=status.HTTP_201_CREATED)
