"""Behaviour events: what shoppers do on the storefront and in partner apps.

Events are append-only facts. The recommender and the funnels read them;
nothing ever updates one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from users.models import Partner


class EventKind(models.TextChoices):
    VIEW = "view", _("View")
    CLICK = "click", _("Click")
    ADD_TO_CART = "add_to_cart", _("Add to cart")
    PURCHASE = "purchase", _("Purchase")
    RATING = "rating", _("Rating")
    PREVIEW = "preview", _("Free preview")
    SEARCH = "search", _("Search")
    RECOMMENDATION_IMPRESSION = "recommendation_impression", _("Recommendation shown")


class Event(models.Model):
    Kind = EventKind

    class Source(models.TextChoices):
        STOREFRONT = "storefront", _("Storefront (server)")
        BEACON = "beacon", _("Storefront (browser beacon)")
        PARTNER_API = "partner_api", _("Partner app")
        SYSTEM = "system", _("System")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.STOREFRONT)
    # Deleting an account deletes its behaviour: nothing about a person outlives them here.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    # A visitor cookie on the storefront, or a partner app's own pseudonymous id.
    anonymous_id = models.CharField(_("anonymous id"), max_length=64, blank=True)
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    # The partner whose app sent the event (partner API only).
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    # The sender's own id of the event, so that a batch sent twice is stored once.
    client_event_id = models.CharField(_("client event id"), max_length=64, null=True, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(anonymous_id=""), name="event_has_someone"),
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_known"),
            models.UniqueConstraint(
                fields=["partner", "client_event_id"],
                condition=Q(client_event_id__isnull=False),
                name="event_unique_client_id_per_partner",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "occurred_at"]),
            models.Index(fields=["product", "kind"]),
            models.Index(fields=["user", "occurred_at"]),
            models.Index(fields=["anonymous_id", "occurred_at"]),
        ]

    def __str__(self) -> str:
        who = self.user_id or self.anonymous_id
        return f"{self.kind} by {who} on {self.product_id or '-'} at {self.occurred_at:%Y-%m-%d %H:%M}"


# Models in other modules of this app load with it (profiles, audiences, sharing, audit).
from insights.privacy_models import *  # noqa: E402, F403
