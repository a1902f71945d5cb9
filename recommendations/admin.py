"""The recommender in the admin: training runs with their progress, model versions with their
metrics, and a dashboard (``/admin/recommendations/modelversion/dashboard/``) with the metrics
chart, the active version, online click-through and conversion per version, and a form to start
training."""

from __future__ import annotations

import base64
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from recommendations.dashboard import metrics_chart_svg, online_figures
from recommendations.ml.base import model_names
from recommendations.models import ModelVersion, TrainingRun, TrainingRunEvent
from recommendations.selectors import model_version_list, training_run_list
from recommendations.services import model_version_activate, training_run_request, training_run_retry
from users.models import User

CHART_VERSIONS = 30


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TrainingRunEventInline(ReadOnlyInline):
    model = TrainingRunEvent
    fields = ["at", "from_state", "to_state", "note"]
    readonly_fields = ["at", "from_state", "to_state", "note"]


def _progress_bar(run: TrainingRun) -> str:
    return format_html(
        '<progress max="100" value="{}" title="{}"></progress> {}%',
        run.progress_percent,
        run.progress_message,
        run.progress_percent,
    )


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin[TrainingRun]):
    list_display = ["id", "model_name", "state", "progress", "trigger", "created_at", "duration", "version"]
    list_filter = ["state", "model_name", "trigger"]
    readonly_fields = [
        "pipeline",
        "model_name",
        "params",
        "state",
        "trigger",
        "requested_by",
        "progress",
        "progress_message",
        "data_snapshot",
        "snapshot",
        "idempotency_key",
        "attempts",
        "worker",
        "timings",
        "error",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
    ]
    exclude = ["progress_percent"]
    inlines = [TrainingRunEventInline]
    actions = ["retry"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TrainingRun]:
        return training_run_list()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, run: TrainingRun) -> str:
        return _progress_bar(run)

    @admin.display(description=gettext_lazy("duration"))
    def duration(self, run: TrainingRun) -> str:
        seconds = run.duration_seconds
        return "" if seconds is None else f"{seconds:.1f} s"

    @admin.display(description=gettext_lazy("version"))
    def version(self, run: TrainingRun) -> str:
        version = getattr(run, "model_version", None) if run.state == TrainingRun.State.SUCCEEDED else None
        return version.tag if version is not None else ""

    @admin.action(description=gettext_lazy("Retry the selected failed runs"))
    def retry(self, request: HttpRequest, queryset: QuerySet[TrainingRun]) -> None:
        for run in queryset.order_by("pk"):
            try:
                training_run_retry(run=run)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, _("Run #%(run)s is queued again.") % {"run": run.pk}, messages.SUCCESS)


class StartTrainingForm(forms.Form):
    model = forms.ChoiceField(label=gettext_lazy("Model"), choices=())
    params = forms.JSONField(
        label=gettext_lazy("Hyper-parameters"),
        required=False,
        help_text=gettext_lazy('A JSON object, e.g. {"epochs": 20}; empty for the configured defaults.'),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("main", _("main (the configured model)"))] + [(n, n) for n in model_names()]
        self.fields["model"].choices = choices  # type: ignore[attr-defined]

    def clean_params(self) -> dict[str, Any] | None:
        value = self.cleaned_data.get("params")
        if value in (None, ""):
            return None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Hyper-parameters must be a JSON object of names and values."))
        return value


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin[ModelVersion]):
    list_display = [
        "tag",
        "model_name",
        "is_active",
        "ndcg_display",
        "baseline_display",
        "coverage_display",
        "decision",
        "n_users",
        "n_items",
        "created_at",
    ]
    list_filter = ["is_active", "decision", "model_name"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    actions = ["activate"]
    change_list_template = "admin/recommendations/modelversion/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModelVersion]:
        return model_version_list()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="NDCG@K", ordering="ndcg")
    def ndcg_display(self, version: ModelVersion) -> str:
        return f"{version.ndcg:.4f}"

    @admin.display(description=gettext_lazy("baseline"))
    def baseline_display(self, version: ModelVersion) -> str:
        if version.baseline_ndcg is None:
            return ""
        return f"{version.baseline_ndcg:.4f} ({version.baseline_label})"

    @admin.display(description=gettext_lazy("coverage"))
    def coverage_display(self, version: ModelVersion) -> str:
        coverage = version.metrics.get("coverage")
        return "" if coverage is None else f"{float(coverage) * 100:.1f}%"

    @admin.action(description=gettext_lazy("Serve the selected version (roll back to it)"))
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(request, _("Choose exactly one version to serve."), messages.ERROR)
            return
        try:
            model_version_activate(version=chosen[0])
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request,
            _("%(tag)s serves now; every user's list is being refreshed.") % {"tag": chosen[0].tag},
            messages.SUCCESS,
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="recommendations_modelversion_dashboard",
            ),
            *super().get_urls(),
        ]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        form = StartTrainingForm(request.POST or None)
        if request.method == "POST":
            if not self.has_view_permission(request) or not request.user.is_staff:
                return HttpResponse(status=403)
            if form.is_valid():
                user = request.user if isinstance(request.user, User) else None
                try:
                    result = training_run_request(
                        model_name=form.cleaned_data["model"],
                        params=form.cleaned_data["params"],
                        trigger=TrainingRun.Trigger.ADMIN,
                        requested_by=user,
                    )
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    run = result.run
                    if result.refused:
                        self.message_user(request, run.error, messages.WARNING)
                    elif not result.created:
                        self.message_user(
                            request,
                            _("The same data and parameters are already in run #%(run)s (%(state)s).")
                            % {"run": run.pk, "state": run.get_state_display()},
                            messages.INFO,
                        )
                    else:
                        self.message_user(
                            request, _("Training run #%(run)s is queued.") % {"run": run.pk}, messages.SUCCESS
                        )
                    return HttpResponseRedirect(reverse("admin:recommendations_modelversion_dashboard"))
        versions = list(model_version_list()[:CHART_VERSIONS])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Recommender dashboard"),
            "active": next((v for v in versions if v.is_active), None)
            or ModelVersion.objects.filter(is_active=True).first(),
            "versions": versions,
            "chart_uri": "data:image/svg+xml;base64,"
            + base64.b64encode(metrics_chart_svg(versions=versions).encode()).decode("ascii"),
            "online": online_figures(days=30),
            "runs": list(training_run_list()[:10]),
            "form": form,
        }
        return TemplateResponse(request, "admin/recommendations/dashboard.html", context)
