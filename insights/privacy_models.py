"""What insights keeps about people and about what it shared with partners.

* ``UserInsightProfile``: one row per user, computed set-based from events,
  orders and reviews by ``insights.profiles`` (``ProfileRun`` tracks each run).
* ``PartnerPrivacy`` and ``PrivacyBudget``: a partner's k-anonymity threshold,
  its differential-privacy budget per period and its pseudonymisation secret.
* ``InsightRelease``: an aggregate answer once released to a partner; asking
  the same question again in the same period returns it instead of spending
  budget on fresh noise (averaging repeated answers would defeat the noise).
* ``AuditEntry`` (append-only, kept at least three years), ``DataDisclosure``
  (which user's data reached which partner, so the user can see it) and
  ``DeletionNotice`` (a partner must delete a user it received).
* ``AdAudience``: a partner's saved advertising segment.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import DEFAULT_CURRENCY, CurrencyField, MoneyField
from users.models import Consent, Partner

# Below this no partner may go, whatever its settings say (see issue: "never below 10").
K_FLOOR = 10
DEFAULT_K = 50
AD_AUDIENCE_MIN_FLOOR = 20
AUDIT_RETENTION = timedelta(days=3 * 366)


class AgeBand(models.TextChoices):
    UNDER_18 = "under_18", _("Under 18")
    FROM_18 = "18_24", _("18–24")
    FROM_25 = "25_34", _("25–34")
    FROM_35 = "35_44", _("35–44")
    FROM_45 = "45_54", _("45–54")
    FROM_55 = "55_64", _("55–64")
    FROM_65 = "65_plus", _("65 and over")


def age_band_for(*, birth_year: int | None, today: date | None = None) -> str:
    """The age band of someone born in ``birth_year`` (age this year), or "" when unknown."""
    if not birth_year:
        return ""
    age = (today or timezone.localdate()).year - birth_year
    if age < 18:
        return AgeBand.UNDER_18
    for upper, band in ((24, AgeBand.FROM_18), (34, AgeBand.FROM_25), (44, AgeBand.FROM_35), (54, AgeBand.FROM_45)):
        if age <= upper:
            return band
    return AgeBand.FROM_55 if age <= 64 else AgeBand.FROM_65


# --- Profiles -------------------------------------------------------------------------------------


class UserInsightProfile(models.Model):
    """What the platform infers about one user, next to what they declared.

    Rewritten as a whole by each profile run: never edited by hand. The
    declared attributes are copied from ``users.Profile`` (edited there)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="insight_profile"
    )
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices, blank=True)
    gender = models.CharField(_("gender"), max_length=10, blank=True)
    region = models.CharField(_("region"), max_length=64, blank=True)
    occupation = models.CharField(_("occupation"), max_length=64, blank=True)
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True)
    events_90d = models.PositiveIntegerField(_("actions in the last 90 days"), default=0)
    active_days_90d = models.PositiveIntegerField(_("active days in the last 90 days"), default=0)
    orders_count = models.PositiveIntegerField(_("paid orders"), default=0)
    spend = MoneyField(_("spend, net of refunds"), default=Decimal("0"))
    currency = CurrencyField(_("currency"), default=DEFAULT_CURRENCY)
    formats = models.JSONField(_("formats bought"), default=list, blank=True)
    lessons_total = models.PositiveIntegerField(_("lessons in owned courses"), default=0)
    lessons_opened = models.PositiveIntegerField(_("lessons opened"), default=0)
    lessons_completed = models.PositiveIntegerField(_("lessons completed"), default=0)
    # Each a list of {"id", "slug" or "name", "weight"} with weights in (0, 1], strongest first.
    top_topics = models.JSONField(_("top topics"), default=list, blank=True)
    top_contributors = models.JSONField(_("top contributors"), default=list, blank=True)
    top_partners = models.JSONField(_("top partners"), default=list, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("user insight profile")
        verbose_name_plural = _("user insight profiles")
        constraints = [
            models.CheckConstraint(condition=Q(spend__gte=0), name="insight_profile_spend_not_negative"),
            models.CheckConstraint(
                condition=Q(lessons_completed__lte=F("lessons_opened")),
                name="insight_profile_completed_within_opened",
            ),
        ]
        indexes = [models.Index(fields=["age_band", "region"])]

    def __str__(self) -> str:
        return f"insight profile of {self.user_id}"

    @property
    def recency_days(self) -> int | None:
        if self.last_active_at is None:
            return None
        return max(0, (timezone.now() - self.last_active_at).days)

    @property
    def lesson_completion(self) -> Decimal | None:
        """Completed lessons as a share of the lessons in the courses the user owns."""
        if not self.lessons_total:
            return None
        return (Decimal(min(self.lessons_completed, self.lessons_total)) / Decimal(self.lessons_total)).quantize(
            Decimal("0.001")
        )


class ProfileRun(models.Model):
    """One computation of profiles: all users, those changed since the last run, or some users."""

    class Mode(models.TextChoices):
        FULL = "full", _("All users")
        INCREMENTAL = "incremental", _("Users with new activity")
        USERS = "users", _("Chosen users")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    user_ids = models.JSONField(_("users"), default=list, blank=True)
    # Activity recorded in [since, until) is what an incremental run looks at.
    since = models.DateTimeField(_("changes since"), null=True, blank=True)
    until = models.DateTimeField(_("changes until"), null=True, blank=True)
    total = models.PositiveIntegerField(_("users to compute"), default=0)
    processed = models.PositiveIntegerField(_("users computed"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("profile run")
        verbose_name_plural = _("profile runs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(processed__lte=F("total")), name="profile_run_processed_within_total"),
            models.CheckConstraint(
                condition=Q(mode__in=["full", "incremental", "users"]), name="profile_run_mode_known"
            ),
        ]

    def __str__(self) -> str:
        return f"profile run {self.pk} ({self.mode}, {self.status})"

    @property
    def progress(self) -> int:
        """Percent done, 0–100."""
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(self.processed * 100 / self.total) if self.total else 0


# --- Partner privacy settings and budget ----------------------------------------------------------


def pseudonym_secret_new() -> str:
    return secrets.token_hex(32)


class PartnerPrivacy(models.Model):
    """How much a partner may learn: its k, its noise budget, its minimum ad audience, its secret."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, primary_key=True, related_name="privacy")
    k_threshold = models.PositiveIntegerField(
        _("minimum group size (k)"),
        default=DEFAULT_K,
        help_text=_("Groups with fewer distinct people are merged into “other”. Never below 10."),
    )
    epsilon_per_period = models.DecimalField(
        _("privacy budget per month (ε)"), max_digits=6, decimal_places=3, default=Decimal("10")
    )
    epsilon_per_query = models.DecimalField(
        _("privacy cost of one query (ε)"), max_digits=6, decimal_places=3, default=Decimal("0.5")
    )
    ad_audience_min_size = models.PositiveIntegerField(
        _("minimum advertising audience"),
        default=100,
        help_text=_("Smaller audiences are never exported."),
    )
    # Keys the partner's pseudonymous ids (HMAC-SHA256): never shown, never shared.
    pseudonym_secret = models.CharField(max_length=64, default=pseudonym_secret_new, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("partner privacy settings")
        verbose_name_plural = _("partner privacy settings")
        constraints = [
            models.CheckConstraint(condition=Q(k_threshold__gte=K_FLOOR), name="partner_privacy_k_at_least_10"),
            models.CheckConstraint(
                condition=Q(epsilon_per_query__gt=0, epsilon_per_query__lte=F("epsilon_per_period")),
                name="partner_privacy_query_epsilon_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(ad_audience_min_size__gte=AD_AUDIENCE_MIN_FLOOR),
                name="partner_privacy_ad_audience_min_floor",
            ),
            models.CheckConstraint(condition=~Q(pseudonym_secret=""), name="partner_privacy_has_secret"),
        ]

    def __str__(self) -> str:
        return f"privacy of {self.partner_id}"


class PrivacyBudget(models.Model):
    """A partner's differential-privacy budget for one month. Spent with one
    conditional ``UPDATE`` (``insights.audiences.budget_spend``), so two
    concurrent queries can never overspend it."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="privacy_budgets")
    period_start = models.DateField(_("month"))
    epsilon_limit = models.DecimalField(_("budget (ε)"), max_digits=8, decimal_places=3)
    epsilon_spent = models.DecimalField(_("spent (ε)"), max_digits=8, decimal_places=3, default=Decimal("0"))
    queries = models.PositiveIntegerField(_("queries answered"), default=0)

    class Meta:
        verbose_name = _("privacy budget")
        verbose_name_plural = _("privacy budgets")
        ordering = ["-period_start", "partner_id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "period_start"], name="privacy_budget_one_per_month"),
            models.CheckConstraint(
                condition=Q(epsilon_spent__gte=0, epsilon_spent__lte=F("epsilon_limit")),
                name="privacy_budget_spent_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.period_start:%Y-%m}: {self.epsilon_spent}/{self.epsilon_limit}"

    @property
    def epsilon_left(self) -> Decimal:
        return self.epsilon_limit - self.epsilon_spent


class InsightRelease(models.Model):
    """An aggregate answer released to a partner, kept so that the same question
    in the same month gets the same noisy answer at no further privacy cost."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="insight_releases")
    period_start = models.DateField(_("budget month"))
    fingerprint = models.CharField(max_length=64)
    parameters = models.JSONField(_("question"), default=dict)
    result = models.JSONField(_("answer"), default=dict)
    epsilon = models.DecimalField(_("privacy cost (ε)"), max_digits=6, decimal_places=3)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("insight release")
        verbose_name_plural = _("insight releases")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "period_start", "fingerprint"], name="insight_release_once_per_month"
            ),
            models.CheckConstraint(condition=Q(epsilon__gt=0), name="insight_release_epsilon_positive"),
        ]

    def __str__(self) -> str:
        return f"release {self.pk} to {self.partner_id}"


# --- Audit ----------------------------------------------------------------------------------------


class AuditHistoryIsAppendOnly(Exception):
    pass


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    """The audit log is append-only: rows are never changed, and deleted only by
    ``insights.audit.audit_purge_expired`` once their retention has passed."""

    def update(self, **kwargs: Any) -> int:
        raise AuditHistoryIsAppendOnly("audit entries are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditHistoryIsAppendOnly("audit entries are deleted only when their retention has passed")

    def _purge_past_retention(self, *, today: date) -> int:
        deleted, _detail = models.QuerySet.delete(self.filter(retain_until__lt=today))
        return deleted


class AuditEntry(models.Model):
    class Kind(models.TextChoices):
        INSIGHT_QUERY = "insight_query", _("Aggregate insight query")
        ROW_SHARE = "row_share", _("Row-level data share")
        AD_AUDIENCE_EXPORT = "ad_audience_export", _("Advertising audience export")
        DATA_EXPORT = "data_export", _("A user downloaded their data")
        ACCOUNT_ERASURE = "account_erasure", _("A user deleted their account")

    class Outcome(models.TextChoices):
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.DONE)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # How the actor reached us: "session", "api-key:<prefix>", "task".
    channel = models.CharField(_("channel"), max_length=40, blank=True)
    purpose = models.CharField(_("purpose"), max_length=32, blank=True)
    data_categories = models.JSONField(_("data categories"), default=list, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    parameters = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    retain_until = models.DateField(_("kept until"))

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["partner", "kind", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["insight_query", "row_share", "ad_audience_export", "data_export", "account_erasure"]
                ),
                name="audit_entry_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.partner_id or '-'} · {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditHistoryIsAppendOnly("audit entries are never changed")
        if self.retain_until is None:
            self.retain_until = (self.at + AUDIT_RETENTION).date()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditHistoryIsAppendOnly("audit entries are deleted only when their retention has passed")


class DataDisclosure(models.Model):
    """One user's data reached one partner in one share or export (the user's "who received my data")."""

    audit = models.ForeignKey(AuditEntry, on_delete=models.CASCADE, related_name="disclosures")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_disclosures")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=32, choices=Consent.Purpose.choices)
    data_categories = models.JSONField(_("data categories"), default=list)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("data disclosure")
        verbose_name_plural = _("data disclosures")
        ordering = ["-at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["audit", "user"], name="data_disclosure_once_per_share")]
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["partner", "purpose", "user"])]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.partner_id} ({self.purpose})"


class DeletionNotice(models.Model):
    """A partner must delete what it received about a user: consent withdrawn or
    expired, or the account deleted. Named by the partner's pseudonymous id."""

    class Reason(models.TextChoices):
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn or expired")
        ACCOUNT_DELETED = "account_deleted", _("Account deleted")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="deletion_notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    pseudonymous_id = models.CharField(_("pseudonymous id"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=32, choices=Consent.Purpose.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    # The last share that carried the user: one notice per share a user left.
    last_disclosure = models.ForeignKey(AuditEntry, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        verbose_name = _("deletion notice")
        verbose_name_plural = _("deletion notices")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "user", "purpose", "last_disclosure"], name="deletion_notice_once_per_share"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=F("created_at")),
                name="deletion_notice_acknowledged_after_issue",
            ),
        ]
        indexes = [models.Index(fields=["partner", "acknowledged_at"])]

    def __str__(self) -> str:
        return f"delete {self.pseudonymous_id[:12]}… at {self.partner_id}"


# --- Advertising audiences ------------------------------------------------------------------------


class AdAudience(models.Model):
    """A partner's saved segment: who to reach with its advertising (criteria in ``insights.ad_audiences``)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="ad_audiences")
    name = models.CharField(_("name"), max_length=120)
    criteria = models.JSONField(_("criteria"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("advertising audience")
        verbose_name_plural = _("advertising audiences")
        ordering = ["partner_id", "name"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="ad_audience_unique_name")]

    def __str__(self) -> str:
        return self.name


__all__ = [
    "AdAudience",
    "AgeBand",
    "AuditEntry",
    "DataDisclosure",
    "DeletionNotice",
    "InsightRelease",
    "PartnerPrivacy",
    "PrivacyBudget",
    "ProfileRun",
    "UserInsightProfile",
]
