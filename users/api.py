"""Accounts, consent, partners and API keys over REST (``/api/v1/``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from users import selectors, services
from users.api_auth import AuthRateThrottle, PeopleOnly, request_partner_key
from users.login_throttle import (
    LoginThrottled,
    client_address,
    login_failure_record,
    login_success_clear,
    login_throttle_check,
)
from users.models import Consent, Membership, Partner, PartnerApiKey, Profile, User
from users.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    ConsentGrantSerializer,
    ConsentRevokeSerializer,
    ConsentSerializer,
    DetailSerializer,
    LoginSerializer,
    MemberSerializer,
    PartnerSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    ProfileSerializer,
    RegisterSerializer,
    UserSerializer,
)


def partner_for_request(request: Request, slug: str) -> Partner:
    """The partner named by ``slug``, if the caller may act for it; 404 otherwise
    (a partner the caller may not see does not exist for them)."""
    key = request_partner_key(request)
    if key is not None:
        if key.partner.slug != slug:
            raise Http404
        return key.partner
    partner = get_object_or_404(Partner, slug=slug)
    user = request.user
    if not isinstance(user, User) or not (user.is_staff or selectors.membership_role(user=user, partner=partner)):
        raise Http404
    return partner


class RegisterView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(request=LoginSerializer, responses={200: UserSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].lower()
        address = client_address(request._request)
        try:
            login_throttle_check(email=email, address=address)
        except LoginThrottled as exc:
            raise exceptions.Throttled(wait=exc.retry_after, detail=exc.message) from exc
        user = authenticate(request._request, email=email, password=data.validated_data["password"])
        if user is None:
            login_failure_record(email=email, address=address)
            raise serializers.ValidationError(
                {"non_field_errors": [_("Email or password is incorrect.")]}, code="invalid_credentials"
            )
        login_success_clear(email=email)
        login(request._request, user)
        return Response(UserSerializer(user).data)


class LogoutView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(request=PasswordResetSerializer, responses={202: DetailSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = PasswordResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        form = PasswordResetForm(data={"email": data.validated_data["email"]})
        if form.is_valid():
            form.save(
                request=request._request,
                use_https=request.is_secure(),
                subject_template_name="users/email/password_reset_subject.txt",
                email_template_name="users/email/password_reset_email.txt",
            )
        # The same answer whether or not the address has an account.
        detail = _("If an account uses this address, we have sent it a link to choose a new password.")
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(request=PasswordResetConfirmSerializer, responses={200: DetailSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            pk = force_str(urlsafe_base64_decode(data.validated_data["uid"]))
            user = User.objects.get(pk=pk)
        except (ValueError, TypeError, OverflowError, User.DoesNotExist):
            user = None
        if user is None or not default_token_generator.check_token(user, data.validated_data["token"]):
            raise serializers.ValidationError(
                {"token": [_("This reset link is invalid or has expired. Ask for a new one.")]}
            )
        form = SetPasswordForm(
            user,
            data={
                "new_password1": data.validated_data["new_password"],
                "new_password2": data.validated_data["new_password"],
            },
        )
        if not form.is_valid():
            raise serializers.ValidationError({"new_password": [str(e) for e in form.errors.get("new_password2", [])]})
        form.save()
        return Response({"detail": _("Your password has been changed. You can log in now.")})


class MeView(generics.RetrieveUpdateAPIView[User]):
    permission_classes = [PeopleOnly]
    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> User:
        user = self.request.user
        assert isinstance(user, User)
        Profile.objects.get_or_create(user=user)
        return user


class MyProfileView(generics.RetrieveUpdateAPIView[Profile]):
    permission_classes = [PeopleOnly]
    serializer_class = ProfileSerializer

    def get_object(self) -> Profile:
        user = self.request.user
        assert isinstance(user, User)
        profile, _created = Profile.objects.get_or_create(user=user)
        return profile

    def perform_update(self, serializer: Any) -> None:
        user = self.request.user
        assert isinstance(user, User)
        serializer.instance = services.profile_update(user=user, **serializer.validated_data)


class MyConsentListView(generics.ListAPIView[Consent]):
    """The user's whole consent history, newest first: grants and revocations alike."""

    permission_classes = [PeopleOnly]
    serializer_class = ConsentSerializer
    queryset = Consent.objects.none()

    def get_queryset(self) -> QuerySet[Consent]:
        user = self.request.user
        assert isinstance(user, User)
        return selectors.consent_history(user=user)


class ConsentGrantView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(request=ConsentGrantSerializer, responses={201: ConsentSerializer}, tags=["consent"])
    def post(self, request: Request) -> Response:
        data = ConsentGrantSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        consent = services.consent_grant(user=user, source="api", **data.validated_data)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class ConsentRevokeView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(request=ConsentRevokeSerializer, responses={200: ConsentSerializer, 204: None}, tags=["consent"])
    def post(self, request: Request) -> Response:
        data = ConsentRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        consent = services.consent_revoke(user=user, **data.validated_data)
        if consent is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ConsentSerializer(consent).data)


class PartnerListView(generics.ListAPIView[Partner]):
    """Partners the caller acts for: a person's memberships, or an API key's own partner."""

    serializer_class = PartnerSerializer
    required_scopes = ["partner:read"]
    queryset = Partner.objects.none()

    def get_queryset(self) -> QuerySet[Partner]:
        key = request_partner_key(self.request)
        if key is not None:
            return Partner.objects.filter(pk=key.partner_id)
        user = self.request.user
        assert isinstance(user, User)
        return selectors.partner_list_for_user(user=user).order_by("name")


class PartnerDetailView(APIView):
    required_scopes = ["partner:read"]

    @extend_schema(responses={200: PartnerSerializer}, tags=["partners"])
    def get(self, request: Request, slug: str) -> Response:
        return Response(PartnerSerializer(partner_for_request(request, slug)).data)


class PartnerMemberListView(generics.ListAPIView[Membership]):
    serializer_class = MemberSerializer
    required_scopes = ["partner:read"]
    queryset = Membership.objects.none()

    def get_queryset(self) -> QuerySet[Membership]:
        partner = partner_for_request(self.request, self.kwargs["slug"])
        return partner.memberships.select_related("user").order_by("created_at", "pk")


class ApiKeyListCreateView(APIView):
    """A partner's API keys; keys are managed by people (owners and managers), never by keys."""

    permission_classes = [PeopleOnly]

    @extend_schema(responses={200: ApiKeySerializer(many=True)}, tags=["partners"])
    def get(self, request: Request, slug: str) -> Response:
        partner = partner_for_request(request, slug)
        return Response(ApiKeySerializer(selectors.api_key_list(partner=partner), many=True).data)

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer}, tags=["partners"])
    def post(self, request: Request, slug: str) -> Response:
        partner = partner_for_request(request, slug)
        data = ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        key, raw = services.api_key_create(partner=partner, created_by=user, **data.validated_data)
        body = ApiKeySerializer(key).data
        body["key"] = raw
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyRevokeView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(request=None, responses={200: ApiKeySerializer}, tags=["partners"])
    def post(self, request: Request, slug: str, key_id: int) -> Response:
        partner = partner_for_request(request, slug)
        key = get_object_or_404(PartnerApiKey, pk=key_id, partner=partner)
        user = request.user
        assert isinstance(user, User)
        return Response(ApiKeySerializer(services.api_key_revoke(key=key, by=user)).data)
