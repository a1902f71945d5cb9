from django.contrib import admin
from django.http import HttpRequest

from insights.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    """Events are facts: staff read them, nobody edits them."""

    list_display = ["occurred_at", "kind", "source", "user", "anonymous_id", "product", "partner"]
    list_filter = ["kind", "source"]
    search_fields = ["anonymous_id", "user__email", "product__title"]
    raw_id_fields = ["user", "product", "partner"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False
