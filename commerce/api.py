"""Cart, checkout, orders, refunds, library and reviews over REST (``/api/v1/``).

Everything here is personal: the cart is the visitor's own (by session),
the rest needs a logged-in person; partner API keys reach none of it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Review
from catalog.selectors import territory_normalize
from catalog.services import review_upsert
from commerce import selectors, services
from commerce.models import Entitlement, Order, OrderLine, OrderLineItem
from commerce.serializers import (
    CartAddSerializer,
    CartCouponSerializer,
    CartLineUpdateSerializer,
    CartSerializer,
    CheckoutResultSerializer,
    CheckoutSerializer,
    LibraryEntrySerializer,
    OrderDetailSerializer,
    OrderSerializer,
    RefundRequestSerializer,
    RefundSerializer,
    ReviewSerializer,
    ReviewWriteSerializer,
)
from core.errors import Conflict, NotAllowed
from promotions.selectors import attribution_for_request
from users.api_auth import PeopleOnly, request_partner_key
from users.models import User

TERRITORY_PARAM = OpenApiParameter(
    "territory", str, description="ISO 3166-1 alpha-2 code of the shopper's territory (default CN)."
)
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Makes the request safe to repeat: the same key returns the first result.",
)


class VisitorsAndPeople(permissions.BasePermission):
    """Anyone browsing the shop (logged in or not), but not partner systems."""

    message = _("This operation is not available to API keys.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return request_partner_key(request) is None


def _territory(request: Request, value: str | None = None) -> str:
    try:
        return territory_normalize(value if value is not None else request.query_params.get("territory"))
    except ValueError as exc:
        raise serializers.ValidationError(
            {"territory": [_("Give the territory as a two-letter country code, e.g. CN or HK.")]}
        ) from exc


def _person(request: Request) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _idempotency_key(request: Request, body_value: str | None) -> str:
    key = request.headers.get("Idempotency-Key") or body_value or ""
    if not key.strip():
        raise serializers.ValidationError(
            {"idempotency_key": [_("Send an Idempotency-Key header (or idempotency_key) so a repeat is safe.")]}
        )
    return key


# --- Cart ---------------------------------------------------------------------


class CartView(APIView):
    permission_classes = [VisitorsAndPeople]

    def _summary(self, request: Request) -> dict[str, Any]:
        cart = services.cart_find(user=_person(request), session=request.session)
        return CartSerializer(selectors.cart_summary(cart=cart, territory=_territory(request))).data

    @extend_schema(parameters=[TERRITORY_PARAM], responses={200: CartSerializer}, tags=["cart"])
    def get(self, request: Request) -> Response:
        """The cart at current prices; lines that cannot be bought now are marked."""
        return Response(self._summary(request))

    @extend_schema(
        parameters=[TERRITORY_PARAM], request=CartAddSerializer, responses={201: CartSerializer}, tags=["cart"]
    )
    def post(self, request: Request) -> Response:
        """Add an item. Refused, with the reason, when it cannot be sold in the
        territory or the shopper already owns it."""
        data = CartAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = services.cart_get_or_create(user=_person(request), session=request.session)
        services.cart_add(
            cart=cart,
            variant=data.validated_data["variant"],
            quantity=data.validated_data["quantity"],
            territory=_territory(request),
        )
        return Response(self._summary(request), status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, tags=["cart"])
    def delete(self, request: Request) -> Response:
        """Empty the cart."""
        cart = services.cart_find(user=_person(request), session=request.session)
        if cart is not None:
            services.cart_clear(cart=cart)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartCouponListView(APIView):
    permission_classes = [VisitorsAndPeople]

    @extend_schema(
        parameters=[TERRITORY_PARAM], request=CartCouponSerializer, responses={201: CartSerializer}, tags=["cart"]
    )
    def post(self, request: Request) -> Response:
        """Enter a coupon code. The cart comes back priced with it; a code that does not apply yet
        (spend more, add the items it covers, log in) stays with the reason in ``rejected_codes``. A code
        that cannot apply (unknown, expired, used up, already used) is refused with the reason."""
        data = CartCouponSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        territory = _territory(request)
        cart = services.cart_get_or_create(user=_person(request), session=request.session)
        services.cart_coupon_apply(cart=cart, code=data.validated_data["code"], territory=territory)
        return Response(
            CartSerializer(selectors.cart_summary(cart=cart, territory=territory)).data, status=status.HTTP_201_CREATED
        )


class CartCouponView(APIView):
    permission_classes = [VisitorsAndPeople]

    @extend_schema(parameters=[TERRITORY_PARAM], responses={200: CartSerializer}, tags=["cart"])
    def delete(self, request: Request, code: str) -> Response:
        """Take a coupon code out of the cart (not an error if it is not there); the cart comes back repriced."""
        cart = services.cart_find(user=_person(request), session=request.session)
        if cart is not None:
            services.cart_coupon_remove(cart=cart, code=code)
        return Response(CartSerializer(selectors.cart_summary(cart=cart, territory=_territory(request))).data)


class CartLineView(APIView):
    permission_classes = [VisitorsAndPeople]

    @extend_schema(
        parameters=[TERRITORY_PARAM], request=CartLineUpdateSerializer, responses={200: CartSerializer}, tags=["cart"]
    )
    def patch(self, request: Request, line_id: int) -> Response:
        """Change the quantity of a print item (digital items are always one)."""
        data = CartLineUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cart = services.cart_find(user=_person(request), session=request.session)
        if cart is None:
            raise Http404
        services.cart_line_set_quantity(cart=cart, line_id=line_id, quantity=data.validated_data["quantity"])
        return Response(CartSerializer(selectors.cart_summary(cart=cart, territory=_territory(request))).data)

    @extend_schema(responses={204: None}, tags=["cart"])
    def delete(self, request: Request, line_id: int) -> Response:
        cart = services.cart_find(user=_person(request), session=request.session)
        if cart is not None:
            services.cart_line_remove(cart=cart, line_id=line_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Checkout -----------------------------------------------------------------


class CheckoutView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER],
        request=CheckoutSerializer,
        responses={201: CheckoutResultSerializer, 200: CheckoutResultSerializer},
        tags=["checkout"],
    )
    def post(self, request: Request) -> Response:
        """Turn the cart into an order and open its payment; send the shopper to
        ``redirect_url`` to pay. The order is priced with the bundle offers in
        force and the coupon codes in the cart (or ``coupon_codes``); a code
        that no longer applies is refused with the reason (409 ``coupon_used_up``,
        ``coupon_already_used``, ``coupon_held_by_unpaid_order``; 400
        ``coupon_not_applicable``) and no order is made. The order becomes paid
        when the provider's webhook confirms it. Repeating the request with the
        same key returns the first order (status 200)."""
        data = CheckoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _person(request)
        assert user is not None
        key = _idempotency_key(request, data.validated_data.get("idempotency_key"))
        cart = services.cart_find(user=user)
        lines = (
            services.checkout_lines_from_cart(cart=cart, attribution=data.validated_data.get("attribution"))
            if cart is not None
            else []
        )
        codes = data.validated_data.get("coupon_codes")
        result = services.checkout_create(
            user=user,
            lines=lines,
            idempotency_key=key,
            territory=_territory(request, data.validated_data["territory"]),
            channel=data.validated_data["channel"],
            provider=data.validated_data.get("provider"),
            return_url=data.validated_data.get("return_url", ""),
            coupon_codes=codes if codes is not None else selectors.cart_coupon_codes(cart=cart),
            attribution=attribution_for_request(request),
        )
        order = selectors.order_get_for_user(user=user, number=result.order.number)
        body = CheckoutResultSerializer(
            {"order": order, "payment": result.payment, "redirect_url": result.redirect_url, "created": result.created}
        ).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


# --- Orders -------------------------------------------------------------------


def _order_for(request: Request, number: str) -> Order:
    """The caller's own order (staff: any order); 404 for anyone else's."""
    user = _person(request)
    assert user is not None
    if user.is_staff:
        order = Order.objects.filter(number=number).first()
    else:
        order = selectors.order_get_for_user(user=user, number=number)
    if order is None:
        raise Http404
    return order


class OrderListView(generics.ListAPIView[Order]):
    permission_classes = [PeopleOnly]
    serializer_class = OrderSerializer
    queryset = Order.objects.none()
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "total"]

    def get_queryset(self) -> QuerySet[Order]:
        user = _person(self.request)
        assert user is not None
        return selectors.order_list_for_user(user=user)

    @extend_schema(tags=["orders"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The caller's orders, newest first."""
        return super().get(request, *args, **kwargs)


class OrderDetailView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(responses={200: OrderDetailSerializer}, tags=["orders"])
    def get(self, request: Request, number: str) -> Response:
        """One order with its lines, payment and history. The payment status here
        is what the provider's webhook said, never what a browser return claims."""
        order = _order_for(request, number)
        full = Order.objects.prefetch_related("lines__items", "events").select_related("payment").get(pk=order.pk)
        return Response(OrderDetailSerializer(full).data)


class OrderCancelView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(request=None, responses={200: OrderSerializer}, tags=["orders"])
    def post(self, request: Request, number: str) -> Response:
        """Cancel an order that has not been paid yet."""
        order = _order_for(request, number)
        if order.status != Order.Status.PENDING_PAYMENT:
            raise Conflict(_("Only an order awaiting payment can be cancelled."), code="not_cancellable")
        services.order_cancel(order=order, actor=_person(request), note="cancelled by the shopper")
        return Response(OrderSerializer(_order_for(request, number)).data)


class OrderRefundsView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(responses={200: RefundSerializer(many=True)}, tags=["orders"])
    def get(self, request: Request, number: str) -> Response:
        order = _order_for(request, number)
        return Response(RefundSerializer(selectors.refund_list_for_order(order=order), many=True).data)

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER],
        request=RefundRequestSerializer,
        responses={201: RefundSerializer, 200: RefundSerializer},
        tags=["orders"],
    )
    def post(self, request: Request, number: str) -> Response:
        """Refund the whole order, some lines, or single items of a bundle. The
        refunded products leave the library. Repeating with the same key returns
        the first refund (status 200)."""
        order = _order_for(request, number)
        data = RefundRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = _idempotency_key(request, data.validated_data.get("idempotency_key"))
        targets = None
        if data.validated_data.get("lines"):
            targets = [_refund_target(order, t) for t in data.validated_data["lines"]]
        existed = order.refunds.filter(idempotency_key=key).exists()
        refund = services.refund_create(
            order=order,
            reason=data.validated_data["reason"],
            idempotency_key=key,
            requested_by=_person(request),
            targets=targets,
        )
        refund = selectors.refund_list_for_order(order=order).get(pk=refund.pk)
        return Response(
            RefundSerializer(refund).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )


def _refund_target(order: Order, raw: dict[str, Any]) -> services.RefundTarget:
    line = OrderLine.objects.filter(order=order, pk=raw["line_id"]).first()
    if line is None:
        raise serializers.ValidationError(
            {"lines": [_("Line %(id)s is not part of this order.") % {"id": raw["line_id"]}]}
        )
    item = None
    if raw.get("item_id") is not None:
        item = OrderLineItem.objects.filter(line=line, pk=raw["item_id"]).first()
        if item is None:
            raise serializers.ValidationError(
                {"lines": [_("Item %(id)s is not part of that line.") % {"id": raw["item_id"]}]}
            )
    return services.RefundTarget(line=line, item=item)


# --- Library and reviews ------------------------------------------------------


class LibraryView(generics.ListAPIView[Entitlement]):
    """Everything the caller may use now: bought alone or inside a bundle."""

    permission_classes = [PeopleOnly]
    serializer_class = LibraryEntrySerializer
    queryset = Entitlement.objects.none()

    def get_queryset(self) -> QuerySet[Entitlement]:
        user = _person(self.request)
        assert user is not None
        return selectors.library_list(user=user)

    @extend_schema(tags=["library"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ReviewListCreateView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(responses={200: ReviewSerializer(many=True)}, tags=["reviews"])
    def get(self, request: Request) -> Response:
        """The caller's own reviews."""
        user = _person(request)
        assert user is not None
        return Response(ReviewSerializer(selectors.review_list_for_user(user=user), many=True).data)

    @extend_schema(request=ReviewWriteSerializer, responses={201: ReviewSerializer}, tags=["reviews"])
    def post(self, request: Request) -> Response:
        """Write (or rewrite) the caller's review of a product they own."""
        user = _person(request)
        assert user is not None
        data = ReviewWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = data.validated_data["product_id"]
        if not selectors.user_owns(user, product):
            raise NotAllowed(
                _("You can review «%(title)s» once you own it.") % {"title": product.title}, code="not_owned"
            )
        review: Review = review_upsert(
            user=user,
            product=product,
            rating=data.validated_data["rating"],
            title=data.validated_data["title"],
            body=data.validated_data["body"],
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)
