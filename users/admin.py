from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from users import services
from users.models import Consent, Membership, Partner, PartnerApiKey, Profile, User


class ProfileInline(admin.StackedInline[Profile, User]):
    model = Profile
    can_delete = False


class MembershipInline(admin.TabularInline[Membership, Any]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "preferred_language"]
    search_fields = ["email", "display_name"]
    inlines = [ProfileInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("display_name", "preferred_language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin[Partner]):
    list_display = ["name", "slug", "kind", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "partner", "role", "created_at"]
    list_filter = ["role", "partner"]
    search_fields = ["user__email", "partner__name"]
    autocomplete_fields = ["user", "partner"]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin[Consent]):
    """Read-only: consent is given and withdrawn by the user, never edited by staff."""

    list_display = ["user", "partner", "purpose", "notice_version", "granted_at", "expires_at", "revoked_at"]
    list_filter = ["purpose", "partner", "notice_version"]
    search_fields = ["user__email", "partner__name"]
    date_hierarchy = "granted_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Consent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Consent | None = None) -> bool:
        return False


@admin.register(PartnerApiKey)
class PartnerApiKeyAdmin(admin.ModelAdmin[PartnerApiKey]):
    list_display = ["partner", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["partner"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at", "created_by"]
    fields = ["partner", "name", "scopes", "expires_at", *readonly_fields]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Keys are created where the raw key can be shown once: the partner portal or the API.
        return False

    @admin.action(description=_("Revoke selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[PartnerApiKey]) -> None:
        for key in queryset:
            services.api_key_revoke(key=key, by=None)
        messages.success(request, _("Revoked."))
