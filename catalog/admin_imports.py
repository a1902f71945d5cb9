"""Admin for catalogue imports: the jobs with their progress, counts and error reports, and an upload form."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.ingest.errors import CatalogFileRejected
from catalog.ingest.forms import AdminImportForm
from catalog.ingest.selectors import import_job_progress
from catalog.ingest.services import import_job_create, import_job_requeue
from catalog.models import ImportedRecord, ImportJob, ImportJobEvent
from core.errors import DomainError
from users.models import User


class ImportJobEventInline(admin.TabularInline[ImportJobEvent, ImportJob]):
    model = ImportJobEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin[ImportJob]):
    list_display = (
        "id",
        "partner",
        "original_name",
        "format",
        "status",
        "progress",
        "record_count",
        "created_count",
        "updated_count",
        "unchanged_count",
        "withdrawn_count",
        "invalid_count",
        "source",
        "created_at",
    )
    list_filter = ("status", "format", "source", "valid_only", "partner")
    list_select_related = ("partner",)
    search_fields = ("original_name", "checksum", "partner__name", "partner__slug")
    date_hierarchy = "created_at"
    inlines = [ImportJobEventInline]
    actions = ["requeue"]
    fieldsets = (
        (None, {"fields": ("partner", "format", "original_name", "file", "size", "checksum", "valid_only", "source")}),
        (gettext_lazy("Who"), {"fields": ("created_by", "api_key", "language")}),
        (
            gettext_lazy("Result"),
            {
                "fields": (
                    "status",
                    "progress",
                    "created_at",
                    "started_at",
                    "finished_at",
                    "record_count",
                    "created_count",
                    "updated_count",
                    "unchanged_count",
                    "withdrawn_count",
                    "skipped_count",
                    "invalid_count",
                    "message",
                    "error_report",
                    "error_table",
                )
            },
        ),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: ImportJob | None = None) -> list[str]:
        names: list[str] = []
        for _title, options in self.fieldsets:
            names.extend(str(name) for name in options["fields"])
        return names

    def has_change_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        # Jobs are a record of what happened: viewable, never edited by hand.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, job: ImportJob) -> str:
        state = import_job_progress(job=job)
        return f"{state['percent']:.0f}% · {state['phase_display']}"

    @admin.display(description=gettext_lazy("problems"))
    def error_table(self, job: ImportJob) -> str:
        if not job.errors:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            (
                (e.get("position"), e.get("line") or "", e.get("reference"), e.get("field"), e.get("message"))
                for e in job.errors
            ),
        )
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("Record"),
            _("Line"),
            _("Record reference"),
            _("Field"),
            _("Problem"),
        )
        return format_html("<table>{}{}</table>", head, rows)

    @admin.action(description=gettext_lazy("Queue the selected failed imports again"))
    def requeue(self, request: HttpRequest, queryset: QuerySet[ImportJob]) -> None:
        done = 0
        for job in queryset.filter(status=ImportJob.Status.FAILED):
            import_job_requeue(job=job)
            done += 1
        self.message_user(request, _("%(n)d imports queued again.") % {"n": done}, messages.SUCCESS)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Platform staff upload a delivery for any partner."""
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:catalog_importjob_changelist"))
        form = AdminImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            user = request.user
            try:
                job, created = import_job_create(
                    partner=form.cleaned_data["partner"],
                    upload=form.cleaned_data["file"],
                    file_format=form.cleaned_data["format"] or None,
                    valid_only=form.cleaned_data["valid_only"],
                    again=form.cleaned_data["again"],
                    source=ImportJob.Source.ADMIN,
                    created_by=user if isinstance(user, User) else None,
                )
            except (CatalogFileRejected, DomainError) as exc:
                form.add_error("file", exc.message)
            else:
                if created:
                    self.message_user(request, _("The file is uploaded; the import is running."), messages.SUCCESS)
                else:
                    self.message_user(
                        request, _("This partner's last import was this same file; here it is."), messages.WARNING
                    )
                return HttpResponseRedirect(reverse("admin:catalog_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Upload a catalogue file"),
            "form": form,
            **(extra_context or {}),
        }
        return render(request, "admin/catalog/importjob/upload.html", context, status=400 if form.errors else 200)


@admin.register(ImportedRecord)
class ImportedRecordAdmin(admin.ModelAdmin[ImportedRecord]):
    list_display = ("record_reference", "partner", "variant", "work_reference", "is_withdrawn", "updated_at")
    list_filter = ("is_withdrawn", "partner")
    list_select_related = ("partner", "variant__product")
    search_fields = ("record_reference", "work_reference", "variant__isbn13", "variant__product__title")
    readonly_fields = ("partner", "record_reference", "variant", "work_reference", "is_withdrawn", "last_job")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
