"""Training runs, the model versions they produce, and the stored top-m lists.

A :class:`TrainingRun` moves only along :attr:`TrainingRun.TRANSITIONS`
(through ``recommendations.services.training_run_transition``), leaving one
append-only :class:`TrainingRunEvent` per move. A succeeded run has produced
exactly one :class:`ModelVersion`; at most one version is active (the one that
serves), which the database holds with a partial unique index.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from commerce.models import AppendOnlyModel

DEFAULT_PIPELINE = "default"


class TrainingRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")

    class Trigger(models.TextChoices):
        ADMIN = "admin", _("Admin")
        API = "api", _("API")
        SCHEDULE = "schedule", _("Nightly schedule")
        COMMAND = "command", _("Command line")
        DEMO = "demo", _("Demo data")

    TRANSITIONS: dict[str, frozenset[str]] = {
        State.QUEUED: frozenset({State.RUNNING, State.FAILED, State.REFUSED}),
        State.RUNNING: frozenset({State.SUCCEEDED, State.FAILED}),
        # A failed run (error, lost worker) may be tried again; it is queued anew.
        State.FAILED: frozenset({State.QUEUED}),
        State.SUCCEEDED: frozenset(),
        State.REFUSED: frozenset(),
    }
    ACTIVE_STATES = (State.QUEUED, State.RUNNING)
    FINAL_STATES = (State.SUCCEEDED, State.FAILED, State.REFUSED)

    # Runs of one pipeline never overlap: at most one is queued or running.
    pipeline = models.CharField(_("pipeline"), max_length=32, default=DEFAULT_PIPELINE)
    model_name = models.CharField(_("model"), max_length=32)
    params = models.JSONField(_("hyper-parameters"), default=dict, blank=True)
    # A digest of the data watermark (``snapshot``): the same data gives the same digest.
    data_snapshot = models.CharField(_("data snapshot"), max_length=64)
    snapshot = models.JSONField(_("snapshot watermark"), default=dict, blank=True)
    # Digest of snapshot, model, parameters and evaluation protocol: the same key is the same work.
    idempotency_key = models.CharField(_("idempotency key"), max_length=64)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.ADMIN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_message = models.CharField(_("progress"), max_length=255, blank=True)
    worker = models.CharField(_("worker"), max_length=255, blank=True)
    # Seconds spent per step: data, evaluation, fit, save, top-m.
    timings = models.JSONField(_("timings"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("training run")
        verbose_name_plural = _("training runs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline"], condition=Q(state__in=["queued", "running"]), name="training_run_single_flight"
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(state__in=["queued", "running", "succeeded"]),
                name="training_run_idempotent",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "succeeded", "failed", "refused"]),
                name="training_run_state_known",
            ),
            models.CheckConstraint(
                condition=Q(progress_percent__gte=0, progress_percent__lte=100), name="training_run_progress_percent"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["succeeded", "failed", "refused"], finished_at__isnull=False)
                | Q(state__in=["queued", "running"], finished_at__isnull=True),
                name="training_run_finished_iff_final",
            ),
        ]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.model_name} ({self.get_state_display()})"

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINAL_STATES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or self.heartbeat_at
        return None if end is None else (end - self.started_at).total_seconds()


class TrainingRunEvent(AppendOnlyModel):
    """One row per state change of a training run, never changed."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training run event")
        verbose_name_plural = _("training run events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.from_state or '∅'} → {self.to_state}"


class ModelVersion(models.Model):
    """A trained model, its offline figures and the promotion decision taken on them.

    ``metrics`` holds the figures at K on the split both this model and the
    model active at the time were measured on (``metrics["split"]`` says which);
    ``baseline_ndcg`` is the active model's NDCG@K there (``None`` when nothing
    was active and the popularity fallback was the baseline, see ``baseline_label``).
    """

    class Decision(models.TextChoices):
        PROMOTED = "promoted", _("Promoted")
        REJECTED = "rejected", _("Rejected: worse than the active model")

    run = models.OneToOneField(TrainingRun, on_delete=models.PROTECT, related_name="model_version")
    tag = models.CharField(_("version"), max_length=48, unique=True)
    model_name = models.CharField(_("model"), max_length=32)
    params = models.JSONField(_("hyper-parameters"), default=dict, blank=True)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    ndcg = models.FloatField(_("NDCG@K"))
    baseline_ndcg = models.FloatField(_("baseline NDCG@K"), null=True, blank=True)
    baseline_label = models.CharField(_("baseline"), max_length=64, blank=True)
    tolerance = models.FloatField(_("tolerance"), default=0)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    decision_note = models.TextField(_("decision note"), blank=True)
    artifact_path = models.CharField(_("artifact"), max_length=500)
    n_users = models.PositiveIntegerField(_("users"), default=0)
    n_items = models.PositiveIntegerField(_("products"), default=0)
    n_interactions = models.PositiveIntegerField(_("interactions"), default=0)
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    # Top-m lists are current up to here for users without later activity (incremental refresh watermark).
    topm_refreshed_at = models.DateTimeField(_("top-m refreshed at"), null=True, blank=True)
    topm_users = models.PositiveIntegerField(_("users with a top-m list"), default=0)

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="model_version_one_active"),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(decision="promoted"), name="model_version_active_was_promoted"
            ),
            models.CheckConstraint(condition=Q(decision__in=["promoted", "rejected"]), name="model_version_decision"),
            models.CheckConstraint(
                condition=Q(deactivated_at__isnull=True) | Q(deactivated_at__gte=F("activated_at")),
                name="model_version_deactivated_after_activated",
            ),
        ]

    def __str__(self) -> str:
        return self.tag


class TopMEntry(models.Model):
    """One user's stored top-m list (the database store of the embedded default).

    ``items`` is a list of ``{"product": id, "score": float, "reason": {...}}``,
    best first; ``model_version`` the tag of the version that computed it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="topm_entry"
    )
    model_version = models.CharField(_("model version"), max_length=48)
    items = models.JSONField(_("items"), default=list)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("stored recommendations")
        verbose_name_plural = _("stored recommendations")

    def __str__(self) -> str:
        return f"top-m of {self.user_id} ({self.model_version})"
