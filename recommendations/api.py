"""Recommendations over REST (``/api/v1/recommendations/``).

- ``me``: the signed-in person's list (people only).
- ``users/<id>``: a user's list for a partner system with the ``recommendations:read``
  scope, only for users with an active consent to that partner covering their
  interests (``audience_insights`` or ``personal_data_transfer`` with the
  ``interests`` category); any other user is a 404. Platform staff may read any user.
- ``products/<id>/similar`` and ``products/<id>/complete``: similar products and
  "complete it with" companions (anyone; non-personal).
- ``training-runs`` and ``models``: platform staff only.

Every served list is logged as ``recommendation_impression`` events carrying
``model_version``, ``slot`` and ``position``. A list answers 200 even when the
top-m store is down (``source: "fallback"``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Product
from catalog.serializers import ErrorBodySerializer
from insights.models import Event
from insights.visitors import visitor_id
from recommendations.attribution import PARAM
from recommendations.impressions import recommendation_impressions_record
from recommendations.models import ModelVersion, TrainingRun
from recommendations.selectors import (
    CompanionList,
    RecommendationList,
    companions_for_product,
    model_version_list,
    recommendations_for_user,
    similar_products,
    training_run_list,
)
from recommendations.serializers import (
    CompanionListSerializer,
    CompanionQuerySerializer,
    ModelVersionSerializer,
    MQuerySerializer,
    RecommendationListSerializer,
    TrainingRunCreateSerializer,
    TrainingRunSerializer,
)
from recommendations.services import training_run_request, training_run_retry
from users.api_auth import PeopleOnly, request_partner_key
from users.models import Consent, User
from users.selectors import consent_active_q

CONSENT_PURPOSES = (Consent.Purpose.AUDIENCE_INSIGHTS, Consent.Purpose.PERSONAL_DATA_TRANSFER)
CONSENT_CATEGORY = Consent.DataCategory.INTERESTS
TAGS = ["recommendations"]


class StaffOnly(permissions.BasePermission):
    message = _("Only platform staff can do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return request_partner_key(request) is None and isinstance(user, User) and user.is_staff


def _link(product: Product, rec: str) -> str:
    return f"{product.get_absolute_url()}?{PARAM}={rec}"


def _list_body(served: RecommendationList) -> dict[str, Any]:
    rec = served.rec_param
    return {
        "model_version": served.model_version,
        "slot": served.slot,
        "source": served.source,
        "rec": rec,
        "items": [
            {
                "position": item.position,
                "product": item.product,
                "score": round(float(item.score), 6),
                "reason_code": item.reason_code,
                "reason": item.reason,
                "link": _link(item.product, rec),
            }
            for item in served.items
        ],
    }


def _log(request: Request, served: RecommendationList | CompanionList, *, user: User | None = None) -> None:
    key = request_partner_key(request)
    product_ids = [item.product.pk for item in served.items]
    if key is not None:
        recommendation_impressions_record(
            product_ids=product_ids,
            model_version=served.model_version,
            slot=served.slot,
            user=user,
            anonymous_id="" if user is not None else f"partner:{key.partner_id}",
            source=Event.Source.PARTNER_API,
            partner=key.partner,
        )
        return
    person = request.user if isinstance(request.user, User) else None
    recommendation_impressions_record(
        product_ids=product_ids,
        model_version=served.model_version,
        slot=served.slot,
        user=person,
        anonymous_id=visitor_id(request._request),
        source=Event.Source.STOREFRONT,
    )


M_PARAMETERS = [
    OpenApiParameter("m", int, description="How many products (1–50, default 10)."),
    OpenApiParameter("slot", str, description="Where the list is shown; recorded with each impression."),
]


class MyRecommendationsView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        parameters=M_PARAMETERS,
        responses={200: RecommendationListSerializer, 400: ErrorBodySerializer},
        tags=TAGS,
        summary="The signed-in person's recommendations",
    )
    def get(self, request: Request) -> Response:
        query = MQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        served = recommendations_for_user(user=user, m=query.validated_data["m"], slot=query.validated_data["slot"])
        _log(request, served)
        return Response(RecommendationListSerializer(_list_body(served)).data)


def _user_for_caller(request: Request, user_id: int) -> User:
    """The user whose list the caller may read: a partner only with the user's consent, staff always."""
    key = request_partner_key(request)
    if key is not None:
        consented = Consent.objects.filter(
            consent_active_q(), user_id=user_id, partner=key.partner, purpose__in=CONSENT_PURPOSES
        ).values_list("data_categories", flat=True)
        if not any(CONSENT_CATEGORY in (categories or []) for categories in consented):
            raise Http404
        return get_object_or_404(User, pk=user_id, is_active=True)
    caller = request.user
    if isinstance(caller, User) and (caller.is_staff or caller.pk == user_id):
        return get_object_or_404(User, pk=user_id, is_active=True)
    raise Http404


class UserRecommendationsView(APIView):
    required_scopes = ["recommendations:read"]

    @extend_schema(
        parameters=M_PARAMETERS,
        responses={200: RecommendationListSerializer, 400: ErrorBodySerializer, 404: ErrorBodySerializer},
        tags=TAGS,
        summary="A user's recommendations, for a partner system the user consented to",
        description=(
            "Partner keys need the `recommendations:read` scope, and the user an active consent to the key's "
            "partner (purpose `audience_insights` or `personal_data_transfer`, data category `interests`); "
            "otherwise the user does not exist for the caller (404)."
        ),
    )
    def get(self, request: Request, user_id: int) -> Response:
        query = MQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = _user_for_caller(request, user_id)
        served = recommendations_for_user(user=user, m=query.validated_data["m"], slot=query.validated_data["slot"])
        _log(request, served, user=user)
        return Response(RecommendationListSerializer(_list_body(served)).data)


def _public_product(product_id: int) -> Product:
    return get_object_or_404(Product, pk=product_id, status=Product.Status.PUBLISHED)


class SimilarProductsView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=M_PARAMETERS,
        responses={200: RecommendationListSerializer, 404: ErrorBodySerializer},
        tags=TAGS,
        summary="Products similar to a product",
    )
    def get(self, request: Request, product_id: int) -> Response:
        query = MQuerySerializer(data={"slot": "product_similar", **request.query_params.dict()})
        query.is_valid(raise_exception=True)
        product = _public_product(product_id)
        person = request.user if isinstance(request.user, User) else None
        served = similar_products(
            product=product, m=query.validated_data["m"], slot=query.validated_data["slot"], user=person
        )
        _log(request, served)
        return Response(RecommendationListSerializer(_list_body(served)).data)


class CompleteItView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=M_PARAMETERS,
        responses={200: CompanionListSerializer, 404: ErrorBodySerializer},
        tags=TAGS,
        summary="“Complete it with”: a course's companion books, a book's companion courses",
    )
    def get(self, request: Request, product_id: int) -> Response:
        query = CompanionQuerySerializer(data={"slot": "product_complete", **request.query_params.dict()})
        query.is_valid(raise_exception=True)
        product = _public_product(product_id)
        person = request.user if isinstance(request.user, User) else None
        served = companions_for_product(
            product=product, m=query.validated_data["m"], slot=query.validated_data["slot"], user=person
        )
        _log(request, served)
        rec = served.rec_param
        body = {
            "product": product,
            "model_version": served.model_version,
            "slot": served.slot,
            "rec": rec,
            "items": [
                {
                    "position": item.position,
                    "product": item.product,
                    "score": item.score,
                    "reason": item.reason,
                    "bought_together": item.bought_together,
                    "bundle": item.bundle,
                    "link": _link(item.product, rec),
                }
                for item in served.items
            ],
        }
        return Response(CompanionListSerializer(body).data)


class TrainingRunListView(generics.ListAPIView[TrainingRun]):
    permission_classes = [StaffOnly]
    serializer_class = TrainingRunSerializer
    queryset = TrainingRun.objects.none()

    def get_queryset(self) -> QuerySet[TrainingRun]:
        return training_run_list()

    @extend_schema(tags=TAGS, summary="Training runs, newest first (staff)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=TrainingRunCreateSerializer,
        responses={201: TrainingRunSerializer, 200: TrainingRunSerializer, 409: TrainingRunSerializer},
        tags=TAGS,
        summary="Start training (staff)",
        description=(
            "201: a new run is queued on the gpu queue. 200: the same data and parameters were already "
            "queued, running or trained (that run). 409: another run is in progress; the refused request is "
            "recorded and returned."
        ),
    )
    def post(self, request: Request) -> Response:
        data = TrainingRunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        result = training_run_request(
            model_name=data.validated_data.get("model") or None,
            params=data.validated_data.get("params"),
            trigger=TrainingRun.Trigger.API,
            requested_by=user,
        )
        code = status.HTTP_409_CONFLICT if result.refused else (201 if result.created else 200)
        return Response(TrainingRunSerializer(result.run).data, status=code)


class TrainingRunDetailView(generics.RetrieveAPIView[TrainingRun]):
    permission_classes = [StaffOnly]
    serializer_class = TrainingRunSerializer
    queryset = TrainingRun.objects.none()

    def get_queryset(self) -> QuerySet[TrainingRun]:
        return training_run_list()

    @extend_schema(tags=TAGS, summary="A training run with its progress (staff)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class TrainingRunRetryView(APIView):
    permission_classes = [StaffOnly]

    @extend_schema(
        request=None,
        responses={202: TrainingRunSerializer, 409: ErrorBodySerializer},
        tags=TAGS,
        summary="Retry a failed training run (staff)",
    )
    def post(self, request: Request, pk: int) -> Response:
        run = get_object_or_404(TrainingRun, pk=pk)
        return Response(TrainingRunSerializer(training_run_retry(run=run)).data, status=status.HTTP_202_ACCEPTED)


class ModelVersionListView(generics.ListAPIView[ModelVersion]):
    permission_classes = [StaffOnly]
    serializer_class = ModelVersionSerializer
    queryset = ModelVersion.objects.none()

    def get_queryset(self) -> QuerySet[ModelVersion]:
        return model_version_list()

    @extend_schema(tags=TAGS, summary="Model versions with their offline metrics and promotion decisions (staff)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
