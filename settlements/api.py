"""Contracts (read), statements and their lines (read, filtered, paginated) for partner systems
(scope ``settlements:read``) and partner users. Another partner's contract or statement is a 404.

Platform staff also create contracts and new terms here (with the ``settlements`` add permissions,
never with a partner key); the terms are checked by the same services as in the admin, and what
is wrong comes back under the field it concerns."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.serializers import ErrorBodySerializer
from core.errors import NotAllowed
from settlements import selectors
from settlements.errors import ContractInvalid
from settlements.models import Contract, Statement, StatementLine
from settlements.serializers import (
    ContractSerializer,
    ContractWriteSerializer,
    LineFilterSerializer,
    StatementFilterSerializer,
    StatementLineSerializer,
    StatementSerializer,
    VersionWriteSerializer,
)
from settlements.services.contracts import contract_create, contract_version_create
from users.api import partner_for_request
from users.api_auth import request_partner_key
from users.models import Partner, User

SCOPE = "settlements:read"


def _partner(view: Any) -> Partner:
    return partner_for_request(view.request, view.kwargs["slug"])


def _sees_drafts(view: Any) -> bool:
    user = view.request.user
    return request_partner_key(view.request) is None and isinstance(user, User) and user.is_staff


WRITE_RESPONSES = {400: ErrorBodySerializer, 403: ErrorBodySerializer, 404: ErrorBodySerializer}


def _staff_writer(request: Request, permission: str) -> User:
    """The person changing contracts: platform staff with ``permission``, never a partner key."""
    user = request.user
    if request_partner_key(request) is not None or not (
        isinstance(user, User) and user.is_staff and user.has_perm(permission)
    ):
        raise NotAllowed(_("Contracts and their terms are set by the platform's staff."))
    return user


def _invalid(exc: ContractInvalid) -> serializers.ValidationError:
    return serializers.ValidationError({exc.field: [exc.message]}, code=exc.code)


class _ContractsView(generics.GenericAPIView[Contract]):
    queryset = Contract.objects.none()
    filter_backends: list[Any] = []

    @property
    def required_scopes(self) -> list[str]:
        # Reads for partner keys with the scope; writes name none, so no key may make them.
        return [SCOPE] if self.request.method in permissions.SAFE_METHODS else []

    def reread(self, partner: Partner, number: str, *, status_code: int) -> Response:
        fresh = selectors.contract_list_for_partner(partner=partner).get(number=number)
        return Response(ContractSerializer(fresh).data, status=status_code)


@extend_schema_view(
    get=extend_schema(tags=["settlements"], summary="The partner's revenue-sharing contracts"),
    post=extend_schema(
        tags=["settlements"],
        summary="Create a contract with its first terms (platform staff)",
        request=ContractWriteSerializer,
        responses={201: ContractSerializer, **WRITE_RESPONSES},
    ),
)
class ContractListView(_ContractsView, generics.ListAPIView[Contract]):
    serializer_class = ContractSerializer

    def get_queryset(self) -> QuerySet[Contract]:
        return selectors.contract_list_for_partner(partner=_partner(self))

    def post(self, request: Request, slug: str) -> Response:
        partner = _partner(self)
        user = _staff_writer(request, "settlements.add_contract")
        data = ContractWriteSerializer(data=request.data)
        data.is_valid_or_raise()
        fields = data.validated_data
        try:
            contract = contract_create(
                partner=partner,
                number=fields["number"],
                title=fields["title"],
                currency=fields["currency"],
                starts_on=fields["starts_on"],
                valid_to=fields["valid_to"],
                terms=data.terms(),
                created_by=user,
            )
        except ContractInvalid as exc:
            raise _invalid(exc) from None
        return self.reread(partner, contract.number, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        tags=["settlements"],
        summary="New terms for a contract from a date (platform staff); the terms before end the day before",
        request=VersionWriteSerializer,
        responses={201: ContractSerializer, **WRITE_RESPONSES},
    )
)
class ContractVersionCreateView(_ContractsView):
    serializer_class = ContractSerializer

    def post(self, request: Request, slug: str, number: str) -> Response:
        partner = _partner(self)
        contract = get_object_or_404(selectors.contract_list_for_partner(partner=partner), number=number)
        user = _staff_writer(request, "settlements.add_contractversion")
        data = VersionWriteSerializer(data=request.data)
        data.is_valid_or_raise()
        try:
            contract_version_create(
                contract=contract,
                valid_from=data.validated_data["valid_from"],
                valid_to=data.validated_data["valid_to"],
                terms=data.terms(),
                created_by=user,
            )
        except ContractInvalid as exc:
            raise _invalid(exc) from None
        return self.reread(partner, contract.number, status_code=status.HTTP_201_CREATED)


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
