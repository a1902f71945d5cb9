"""Admin for platform staff: the audit log, profiles and their runs, partners' privacy settings,
budgets, releases, deletion notices and ad audiences. History is read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from insights.privacy_models import (
    AdAudience,
    AuditEntry,
    DeletionNotice,
    InsightRelease,
    PartnerPrivacy,
    PrivacyBudget,
    ProfileRun,
    UserInsightProfile,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    change_list_template = "insights/admin/audit_change_list.html"
    list_display = ("at", "kind", "outcome", "partner", "actor", "channel", "purpose", "row_count", "retain_until")
    list_filter = ("kind", "outcome", "partner", "purpose")
    search_fields = ("partner__name", "channel", "purpose")
    date_hierarchy = "at"
    list_select_related = ("partner", "actor")


@admin.register(UserInsightProfile)
class UserInsightProfileAdmin(ReadOnlyAdmin):
    list_display = ("user", "age_band", "region", "orders_count", "spend", "last_active_at", "computed_at")
    list_filter = ("age_band", "gender")
    search_fields = ("user__email", "region", "occupation")
    list_select_related = ("user",)


@admin.register(ProfileRun)
class ProfileRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "mode", "status", "processed", "total", "progress_percent", "created_at", "finished_at")
    list_filter = ("mode", "status")
    change_list_template = "insights/admin/profile_run_change_list.html"

    @admin.display(description=_("progress"))
    def progress_percent(self, run: ProfileRun) -> str:
        return f"{run.progress}%"


@admin.register(PartnerPrivacy)
class PartnerPrivacyAdmin(admin.ModelAdmin[PartnerPrivacy]):
    list_display = ("partner", "k_threshold", "epsilon_per_period", "epsilon_per_query", "ad_audience_min_size")
    search_fields = ("partner__name",)
    fields = ("partner", "k_threshold", "epsilon_per_period", "epsilon_per_query", "ad_audience_min_size")

    def get_readonly_fields(self, request: HttpRequest, obj: PartnerPrivacy | None = None) -> tuple[str, ...]:
        return ("partner",) if obj is not None else ()


@admin.register(PrivacyBudget)
class PrivacyBudgetAdmin(ReadOnlyAdmin):
    list_display = ("partner", "period_start", "epsilon_spent", "epsilon_limit", "queries")
    list_filter = ("period_start",)


@admin.register(InsightRelease)
class InsightReleaseAdmin(ReadOnlyAdmin):
    list_display = ("pk", "partner", "period_start", "epsilon", "created_by", "created_at")
    list_filter = ("partner", "period_start")


@admin.register(DeletionNotice)
class DeletionNoticeAdmin(ReadOnlyAdmin):
    list_display = ("partner", "pseudonymous_id", "purpose", "reason", "created_at", "acknowledged_at")
    list_filter = ("partner", "reason", "purpose")


@admin.register(AdAudience)
class AdAudienceAdmin(ReadOnlyAdmin):
    list_display = ("name", "partner", "created_by", "updated_at")
    list_filter = ("partner",)
