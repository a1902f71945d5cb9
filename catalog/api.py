"""The catalogue API.

Public (anyone, no key needed): sellable listings with filters and search, product
pages, reviews and the topic tree. Partner (``/partners/<slug>/catalog/...``): a
partner's own products in every status, read with ``catalog:read`` and changed with
``catalog:write``; people act through their membership (owners and managers change,
analysts read). Another partner's product is a 404, never a 403.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.filters import ProductFilter
from catalog.models import Product, Review, Topic
from catalog.serializers import (
    ErrorBodySerializer,
    PartnerProductListItemSerializer,
    PartnerProductSerializer,
    ProductDetailSerializer,
    ProductListItemSerializer,
    ProductWriteSerializer,
    PublicReviewSerializer,
    TopicTreeSerializer,
)
from core.errors import NotAllowed
from users.api import partner_for_request
from users.api_auth import request_partner_key
from users.models import Membership, Partner, User
from users.selectors import membership_role

TERRITORY_PARAMETER = OpenApiParameter(
    "territory",
    OpenApiTypes.STR,
    description="Where the shopper buys, as an ISO 3166-1 alpha-2 code (CN when left out).",
)
ERROR_RESPONSES = {
    400: ErrorBodySerializer,
    403: ErrorBodySerializer,
    404: ErrorBodySerializer,
    409: ErrorBodySerializer,
}
ON_PARAMETER = OpenApiParameter(
    "on", OpenApiTypes.DATE, description="The date sellability is judged on (today when left out)."
)


class _ScopeSerializer(serializers.Serializer[Any]):
    territory = serializers.CharField(required=False, default=selectors.DEFAULT_TERRITORY)
    on = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_territory(self, value: str) -> str:
        try:
            return selectors.territory_normalize(value)
        except ValueError:
            raise serializers.ValidationError(
                _("%(value)s is not a territory: use an ISO 3166-1 two-letter code such as CN, HK or US.")
                % {"value": value}
            ) from None


def _actor(request: Request) -> User | None:
    """The person behind a request, for the status history; a partner key acts for no person."""
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _listing_scope(request: Request) -> tuple[str, date | None]:
    """The territory and date a shopper's request is judged in (a 400 naming the field if bad)."""
    scope = _ScopeSerializer(data=request.query_params)
    scope.is_valid(raise_exception=True)
    return scope.validated_data["territory"], scope.validated_data["on"]


# --- Public --------------------------------------------------------------------------------------


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None


class _FormatIsAFilter(DefaultContentNegotiation):
    """``?format=`` filters products by format here; it never picks the response's renderer."""

    settings = _NoFormatOverride  # type: ignore[assignment]


@extend_schema(tags=["catalog"], summary="Sellable products, filtered, searched and ordered")
class ProductListView(generics.ListAPIView[Product]):
    """Products that can be bought in the territory on the date. ``q`` searches titles,
    subtitles, contributors and descriptions, best matches first."""

    permission_classes = [permissions.AllowAny]
    content_negotiation_class = _FormatIsAFilter
    serializer_class = ProductListItemSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProductFilter
    queryset = Product.objects.none()

    def get_queryset(self) -> QuerySet[Product]:
        territory, on = _listing_scope(self.request)
        return selectors.product_list_public(territory=territory, on=on)


class ProductDetailView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[TERRITORY_PARAMETER, ON_PARAMETER],
        responses={200: ProductDetailSerializer},
        tags=["catalog"],
        summary="A published product: variants, lessons, chapters, bundle contents, contributors, rating",
    )
    def get(self, request: Request, slug: str) -> Response:
        territory, on = _listing_scope(request)
        product = selectors.product_get_public(slug=slug)
        if product is None:
            raise Http404
        sellable = selectors.variant_sellable_ids(variants=list(product.variants.all()), territory=territory, on=on)
        context = {"request": request, "sellable_ids": sellable}
        return Response(ProductDetailSerializer(product, context=context).data)


@extend_schema(tags=["catalog"], summary="Reviews of a published product, newest first")
class ProductReviewListView(generics.ListAPIView[Review]):
    permission_classes = [permissions.AllowAny]
    serializer_class = PublicReviewSerializer
    filter_backends: list[Any] = []
    queryset = Review.objects.none()

    def get_queryset(self) -> QuerySet[Review]:
        product = Product.objects.filter(slug=self.kwargs["slug"], status=Product.Status.PUBLISHED).first()
        if product is None:
            raise Http404
        return selectors.review_list_for_product(product=product)


class TopicTreeView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: TopicTreeSerializer(many=True)}, tags=["catalog"], summary="The topic tree")
    def get(self, request: Request) -> Response:
        topics: list[Topic] = selectors.topic_tree()
        return Response(TopicTreeSerializer(topics, many=True).data)


# --- A partner's own catalogue -------------------------------------------------------------------

WRITER_ROLES = frozenset({Membership.Role.OWNER, Membership.Role.MANAGER})


class _PartnerCatalogView(generics.GenericAPIView[Product]):
    """Reads need ``catalog:read``, changes ``catalog:write`` (for API keys); people need a
    membership, and an owner's or manager's role to change anything."""

    queryset = Product.objects.none()
    filter_backends: list[Any] = []

    @property
    def required_scopes(self) -> list[str]:
        return ["catalog:read"] if self.request.method in permissions.SAFE_METHODS else ["catalog:write"]

    def acting_partner(self) -> Partner:
        partner = partner_for_request(self.request, self.kwargs["slug"])
        if self.request.method not in permissions.SAFE_METHODS and request_partner_key(self.request) is None:
            user = self.request.user
            assert isinstance(user, User)
            if not user.is_staff and membership_role(user=user, partner=partner) not in WRITER_ROLES:
                raise NotAllowed(_("Only the partner's owners and managers can change its catalogue."))
        return partner

    def own_product(self, partner: Partner) -> Product:
        product = selectors.product_get_for_partner(partner=partner, slug=self.kwargs["product_slug"])
        if product is None:
            raise Http404
        return product

    def reread(self, partner: Partner, product: Product) -> Response:
        fresh = selectors.product_get_for_partner(partner=partner, slug=product.slug)
        return Response(PartnerProductSerializer(fresh).data)


class PartnerProductListView(_PartnerCatalogView):
    serializer_class = PartnerProductListItemSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Product.Status.values, description="Only this status.")
        ],
        responses={200: PartnerProductListItemSerializer(many=True)},
        tags=["partner catalogue"],
        summary="The partner's own products, drafts and withdrawn ones included",
    )
    def get(self, request: Request, slug: str) -> Response:
        partner = self.acting_partner()
        products = selectors.product_list_for_partner(partner=partner)
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in Product.Status.values:
                raise serializers.ValidationError(
                    {"status": [_("Choose a status: %(s)s.") % {"s": ", ".join(Product.Status.values)}]}
                )
            products = products.filter(status=wanted)
        page = self.paginate_queryset(products)
        return self.get_paginated_response(PartnerProductListItemSerializer(page, many=True).data)

    @extend_schema(
        request=ProductWriteSerializer,
        responses={201: PartnerProductSerializer, **ERROR_RESPONSES},
        tags=["partner catalogue"],
        summary="Create a draft product with its variants, lessons or chapters, rights and contributors",
    )
    def post(self, request: Request, slug: str) -> Response:
        partner = self.acting_partner()
        data = ProductWriteSerializer(data=request.data)
        data.is_valid_or_raise()
        product = services.product_create(
            owner=partner, kind=data.validated_data["kind"], actor=_actor(request), **data.service_arguments()
        )
        fresh = selectors.product_get_for_partner(partner=partner, slug=product.slug)
        return Response(PartnerProductSerializer(fresh).data, status=status.HTTP_201_CREATED)


class PartnerProductDetailView(_PartnerCatalogView):
    serializer_class = PartnerProductSerializer

    @extend_schema(
        responses={200: PartnerProductSerializer},
        tags=["partner catalogue"],
        summary="One of the partner's own products, in any status",
    )
    def get(self, request: Request, slug: str, product_slug: str) -> Response:
        return Response(PartnerProductSerializer(self.own_product(self.acting_partner())).data)

    @extend_schema(
        request=ProductWriteSerializer,
        responses={200: PartnerProductSerializer, **ERROR_RESPONSES},
        tags=["partner catalogue"],
        summary="Change a product; a list that is sent replaces the current one",
    )
    def patch(self, request: Request, slug: str, product_slug: str) -> Response:
        partner = self.acting_partner()
        product = self.own_product(partner)
        data = ProductWriteSerializer(product, data=request.data, partial=True)
        data.is_valid_or_raise()
        product = services.product_update(product=product, **data.service_arguments())
        return self.reread(partner, product)


class PartnerProductPublishView(_PartnerCatalogView):
    serializer_class = PartnerProductSerializer

    @extend_schema(
        request=None,
        responses={200: PartnerProductSerializer, **ERROR_RESPONSES},
        tags=["partner catalogue"],
        summary="Publish a draft or withdrawn product (it needs an active variant)",
    )
    def post(self, request: Request, slug: str, product_slug: str) -> Response:
        partner = self.acting_partner()
        product = services.product_publish(product=self.own_product(partner), actor=_actor(request))
        return self.reread(partner, product)


class PartnerProductWithdrawView(_PartnerCatalogView):
    serializer_class = PartnerProductSerializer

    @extend_schema(
        request=None,
        responses={200: PartnerProductSerializer, **ERROR_RESPONSES},
        tags=["partner catalogue"],
        summary="Withdraw a product from sale; buyers keep what they bought",
    )
    def post(self, request: Request, slug: str, product_slug: str) -> Response:
        partner = self.acting_partner()
        product = services.product_withdraw(product=self.own_product(partner), actor=_actor(request))
        return self.reread(partner, product)
