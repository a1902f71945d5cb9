"""Contracts (read), statements and their lines (read, filtered, paginated) for partner systems
(scope ``settlements:read``) and partner users. Another partner's contract or statement is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics

from settlements import selectors
from settlements.models import Contract, Statement, StatementLine
from settlements.serializers import (
    ContractSerializer,
    LineFilterSerializer,
    StatementFilterSerializer,
    StatementLineSerializer,
    StatementSerializer,
)
from users.api import partner_for_request
from users.api_auth import request_partner_key
from users.models import Partner, User

SCOPE = "settlements:read"


def _partner(view: Any) -> Partner:
    return partner_for_request(view.request, view.kwargs["slug"])


def _sees_drafts(view: Any) -> bool:
    user = view.request.user
    return request_partner_key(view.request) is None and isinstance(user, User) and user.is_staff


@extend_schema_view(get=extend_schema(tags=["settlements"], summary="The partner's revenue-sharing contracts"))
class ContractListView(generics.ListAPIView[Contract]):
    serializer_class = ContractSerializer
    required_scopes = [SCOPE]
    queryset = Contract.objects.none()
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Contract]:
        return selectors.contract_list_for_partner(partner=_partner(self))


@extend_schema_view(get=extend_schema(tags=["settlements"], summary="One contract with every version"))
class ContractDetailView(generics.RetrieveAPIView[Contract]):
    serializer_class = ContractSerializer
    required_scopes = [SCOPE]
    queryset = Contract.objects.none()

    def get_object(self) -> Contract:
        return get_object_or_404(
            selectors.contract_list_for_partner(partner=_partner(self)), number=self.kwargs["number"]
        )


@extend_schema_view(
    get=extend_schema(
        tags=["settlements"],
        summary="The partner's statements, newest first",
        parameters=[
            OpenApiParameter("period_from", str, description="Statements of periods ending on or after (YYYY-MM-DD)"),
            OpenApiParameter("period_to", str, description="Statements of periods starting on or before (YYYY-MM-DD)"),
            OpenApiParameter("currency", str, description="ISO 4217 code"),
        ],
    )
)
class StatementListView(generics.ListAPIView[Statement]):
    serializer_class = StatementSerializer
    required_scopes = [SCOPE]
    queryset = Statement.objects.none()
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Statement]:
        filters = StatementFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.statement_list_for_partner(
            partner=_partner(self), include_unapproved=_sees_drafts(self), **filters.validated_data
        )


def _statement(view: Any) -> Statement:
    statements = selectors.statement_list_for_partner(partner=_partner(view), include_unapproved=_sees_drafts(view))
    return get_object_or_404(statements, pk=view.kwargs["statement_id"])


@extend_schema_view(get=extend_schema(tags=["settlements"], summary="One statement"))
class StatementDetailView(generics.RetrieveAPIView[Statement]):
    serializer_class = StatementSerializer
    required_scopes = [SCOPE]
    queryset = Statement.objects.none()

    def get_object(self) -> Statement:
        return _statement(self)


@extend_schema_view(
    get=extend_schema(
        tags=["settlements"],
        summary="A statement's lines",
        parameters=[
            OpenApiParameter("kind", str, enum=StatementLine.Kind.values),
            OpenApiParameter("format", str, description="course, ebook, audiobook or print"),
        ],
    )
)
class StatementLineListView(generics.ListAPIView[StatementLine]):
    serializer_class = StatementLineSerializer
    required_scopes = [SCOPE]
    queryset = StatementLine.objects.none()
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[StatementLine]:
        filters = LineFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.statement_lines(
            statement=_statement(self),
            kind=filters.validated_data.get("kind"),
            fmt=filters.validated_data.get("format"),
        )
