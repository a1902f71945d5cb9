"""The catalogue import API: ``/api/v1/partner/catalog/imports/``.

Partner systems send their key (scope ``catalog:write``) and act for the
key's partner; partner staff (owners and managers) act for their partner, named
by ``partner`` when they belong to several. A job of another partner does not
exist for the caller (404).
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.ingest.selectors import import_job_list, import_job_progress
from catalog.ingest.services import import_job_create
from catalog.models import ImportJob
from core.errors import NotAllowed
from users.api import partner_for_request
from users.api_auth import request_partner_key
from users.models import Membership, Partner, User
from users.selectors import membership_role, partner_list_for_user

IMPORT_ROLES = (Membership.Role.OWNER, Membership.Role.MANAGER)
SCOPES = ("catalog:write",)


class ImportCreateSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="An ONIX 3.0 XML file or a CSV file in the template's columns.")
    format = serializers.ChoiceField(
        choices=ImportJob.Format.choices, required=False, help_text="Told from the file when left out."
    )
    valid_only = serializers.BooleanField(
        default=False, help_text="Import the valid records even when some are invalid (they are listed)."
    )
    again = serializers.BooleanField(
        default=False, help_text="Import even when the partner's last import was this same file."
    )
    partner = serializers.SlugField(
        required=False, help_text="The partner to import for; needed only by people who belong to several."
    )


class ImportErrorSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField(help_text="The record's number in the file, from 1.")
    line = serializers.IntegerField(allow_null=True)
    reference = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()


class ImportProgressSerializer(serializers.Serializer[Any]):
    phase = serializers.CharField()
    percent = serializers.FloatField()
    records_done = serializers.IntegerField()
    records_total = serializers.IntegerField(allow_null=True)


class ImportJobSerializer(serializers.ModelSerializer[ImportJob]):
    partner: serializers.SlugRelatedField[Partner] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    progress = serializers.SerializerMethodField()
    error_report_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "partner",
            "format",
            "original_name",
            "size",
            "checksum",
            "valid_only",
            "status",
            "source",
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
            "progress",
            "error_report_url",
        ]
        read_only_fields = fields

    @extend_schema_field(ImportProgressSerializer)
    def get_progress(self, job: ImportJob) -> dict[str, Any]:
        progress = import_job_progress(job=job)
        return {key: progress[key] for key in ("phase", "percent", "records_done", "records_total")}

    # Null until the import has an error report.
    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_error_report_url(self, job: ImportJob) -> str | None:
        if not job.error_report:
            return None
        url = reverse("api-catalog-import-errors", kwargs={"job_id": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ImportJobDetailSerializer(ImportJobSerializer):
    problems = ImportErrorSerializer(
        source="errors", many=True, read_only=True, help_text="The first 200 problems with the records."
    )

    class Meta(ImportJobSerializer.Meta):
        fields = [*ImportJobSerializer.Meta.fields, "problems"]
        read_only_fields = fields


def _readable_partners(request: Request) -> list[Partner] | Any:
    key = request_partner_key(request)
    if key is not None:
        return [key.partner]
    user = request.user
    assert isinstance(user, User)
    return partner_list_for_user(user=user)


def _partner_to_import_for(request: Request, slug: str | None) -> Partner:
    key = request_partner_key(request)
    if key is not None:
        if slug and slug != key.partner.slug:
            raise Http404
        return key.partner
    user = request.user
    assert isinstance(user, User)
    if slug:
        partner = partner_for_request(request, slug)
    else:
        candidates = list(
            Partner.objects.filter(memberships__user=user, memberships__role__in=IMPORT_ROLES).distinct()[:2]
        )
        if len(candidates) != 1:
            raise serializers.ValidationError(
                {"partner": [_("Say which partner to import for (its slug in the partner field).")]}
            )
        partner = candidates[0]
    if not user.is_staff and membership_role(user=user, partner=partner) not in IMPORT_ROLES:
        raise NotAllowed(_("Only the partner's owners and managers may import its catalogue."))
    return partner


class ImportJobListCreateView(generics.ListAPIView[ImportJob]):
    required_scopes = SCOPES
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        jobs = import_job_list(partners=_readable_partners(self.request))
        slug = self.request.query_params.get("partner")
        return jobs.filter(partner__slug=slug) if slug else jobs

    @extend_schema(
        tags=["catalogue imports"],
        parameters=[OpenApiParameter("partner", str, description="Only this partner's imports (its slug).")],
        summary="The partner's catalogue imports, newest first",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["catalogue imports"],
        request={"multipart/form-data": ImportCreateSerializer},
        responses={
            202: OpenApiResponse(ImportJobSerializer, description="Queued; poll the job for progress."),
            200: OpenApiResponse(ImportJobSerializer, description="The same file as last time: that import."),
        },
        summary="Upload an ONIX 3.0 or CSV catalogue file",
    )
    def post(self, request: Request) -> Response:
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        partner = _partner_to_import_for(request, data.validated_data.get("partner"))
        key = request_partner_key(request)
        job, created = import_job_create(
            partner=partner,
            upload=data.validated_data["file"],
            file_format=data.validated_data.get("format"),
            valid_only=data.validated_data["valid_only"],
            again=data.validated_data["again"],
            source=ImportJob.Source.API,
            created_by=request.user if key is None and isinstance(request.user, User) else None,
            api_key=key,
        )
        body = ImportJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


class ImportJobDetailView(generics.RetrieveAPIView[ImportJob]):
    required_scopes = SCOPES
    serializer_class = ImportJobDetailSerializer
    lookup_url_kwarg = "job_id"

    def get_queryset(self) -> Any:
        return ImportJob.objects.filter(partner__in=_readable_partners(self.request)).select_related("partner")

    @extend_schema(tags=["catalogue imports"], summary="One import: status, progress, counts and the first problems")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ImportJobErrorReportView(APIView):
    required_scopes = SCOPES

    @extend_schema(
        tags=["catalogue imports"],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        summary="The full error report of an import, as CSV",
    )
    def get(self, request: Request, job_id: int) -> FileResponse:
        job = ImportJob.objects.filter(partner__in=_readable_partners(request), pk=job_id).first()
        if job is None or not job.error_report:
            raise Http404
        return FileResponse(
            job.error_report.open("rb"),
            as_attachment=True,
            filename=f"import-{job.pk}-errors.csv",
            content_type="text/csv",
        )


urlpatterns = [
    path("partner/catalog/imports/", ImportJobListCreateView.as_view(), name="api-catalog-imports"),
    path("partner/catalog/imports/<int:job_id>/", ImportJobDetailView.as_view(), name="api-catalog-import"),
    path(
        "partner/catalog/imports/<int:job_id>/errors.csv",
        ImportJobErrorReportView.as_view(),
        name="api-catalog-import-errors",
    ),
]
