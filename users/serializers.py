from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from users.models import Consent, Membership, Partner, PartnerApiKey, Profile, User
from users.scopes import scope_choices


class ProfileSerializer(serializers.ModelSerializer[Profile]):
    declared_interests = serializers.ListField(
        child=serializers.SlugField(max_length=64), required=False, max_length=50
    )

    class Meta:
        model = Profile
        fields = ["birth_year", "gender", "region", "occupation", "declared_interests"]
        extra_kwargs = {"birth_year": {"min_value": 1900, "max_value": 2100}}


class UserSerializer(serializers.ModelSerializer[User]):
    profile = ProfileSerializer(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "preferred_language", "date_joined", "profile"]
        read_only_fields = ["id", "email", "date_joined", "profile"]


class RegisterSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})
    display_name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    preferred_language = serializers.ChoiceField(choices=["zh-hans", "en"], default="zh-hans")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        candidate = User(email=attrs["email"], display_name=attrs.get("display_name", ""))
        try:
            validate_password(attrs["password"], user=candidate)
        except Exception as exc:  # django ValidationError: report on the field
            raise serializers.ValidationError({"password": list(getattr(exc, "messages", [str(exc)]))}) from exc
        return attrs


class LoginSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})


class PasswordResetSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()


class PasswordResetConfirmSerializer(serializers.Serializer[Any]):
    uid = serializers.CharField()
    token = serializers.CharField()
    new_password = serializers.CharField(write_only=True, trim_whitespace=False)


class DetailSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()


class PartnerSerializer(serializers.ModelSerializer[Partner]):
    class Meta:
        model = Partner
        fields = ["id", "slug", "name", "kind", "website", "is_active"]


class MemberSerializer(serializers.ModelSerializer[Membership]):
    email = serializers.EmailField(source="user.email", read_only=True)
    display_name = serializers.CharField(source="user.display_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["email", "display_name", "role", "created_at"]


class ConsentSerializer(serializers.ModelSerializer[Consent]):
    partner: serializers.SlugRelatedField[Partner] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Consent
        fields = [
            "id",
            "partner",
            "purpose",
            "data_categories",
            "notice_version",
            "granted_at",
            "expires_at",
            "revoked_at",
            "is_active",
            "source",
        ]


class ConsentGrantSerializer(serializers.Serializer[Any]):
    partner: serializers.SlugRelatedField[Partner] = serializers.SlugRelatedField(
        slug_field="slug", queryset=Partner.objects.filter(is_active=True)
    )
    purpose = serializers.ChoiceField(choices=Consent.Purpose.choices)
    data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Consent.DataCategory.choices), min_length=1, max_length=10
    )
    notice_version = serializers.CharField(max_length=32)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ConsentRevokeSerializer(serializers.Serializer[Any]):
    partner: serializers.SlugRelatedField[Partner] = serializers.SlugRelatedField(
        slug_field="slug", queryset=Partner.objects.all()
    )
    purpose = serializers.ChoiceField(choices=Consent.Purpose.choices)


class ApiKeySerializer(serializers.ModelSerializer[PartnerApiKey]):
    class Meta:
        model = PartnerApiKey
        fields = ["id", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=80)
    scopes = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate_scopes(self, value: list[str]) -> list[str]:
        known = {name for name, _desc in scope_choices()}
        unknown = sorted(set(value) - known)
        if unknown:
            raise serializers.ValidationError(
                _("Unknown scopes: %(s)s. Known: %(k)s.") % {"s": ", ".join(unknown), "k": ", ".join(sorted(known))}
            )
        return value


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The raw key. Shown once; store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields
