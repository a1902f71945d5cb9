"""Partner portal pages for the catalogue (``/partner/<slug>/catalog/``): products, uploads, imports, export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from catalog.ingest.csv_format import COLUMNS, csv_export_rows, csv_lines, csv_template_rows
from catalog.ingest.errors import CatalogFileRejected
from catalog.ingest.forms import ImportUploadForm
from catalog.ingest.selectors import import_job_list, import_job_progress
from catalog.ingest.services import import_job_create
from catalog.models import ImportJob, Product
from core.errors import DomainError
from users.models import Membership, Partner, User
from users.selectors import membership_role, partner_list_for_user

IMPORT_ROLES = frozenset({Membership.Role.OWNER, Membership.Role.MANAGER})


def portal_partner_or_404(request: HttpRequest, slug: str) -> Partner:
    """The partner whose portal page is asked for, if the user is its member (or staff)."""
    partner = get_object_or_404(Partner, slug=slug)
    user = request.user
    assert isinstance(user, User)
    if not user.is_staff and membership_role(user=user, partner=partner) is None:
        raise Http404
    return partner


def _may_import(user: User, partner: Partner) -> bool:
    return user.is_staff or membership_role(user=user, partner=partner) in IMPORT_ROLES


def _job_or_404(partner: Partner, job_id: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.select_related("partner", "created_by"), partner=partner, pk=job_id)


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    """``/partner/catalog/``: the catalogue of the user's partner, or the partner list when there are several."""
    user = request.user
    assert isinstance(user, User)
    partners = list(partner_list_for_user(user=user).exclude(kind=Partner.Kind.ADVERTISER)[:2])
    if len(partners) == 1 and not user.is_staff:
        return redirect("catalog:portal", slug=partners[0].slug)
    return redirect("users:portal")


@login_required
def portal(request: HttpRequest, slug: str) -> HttpResponse:
    partner = portal_partner_or_404(request, slug)
    user = request.user
    assert isinstance(user, User)
    may_import = _may_import(user, partner)
    form = ImportUploadForm()
    if request.method == "POST":
        if not may_import:
            raise Http404
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job, created = import_job_create(
                    partner=partner,
                    upload=form.cleaned_data["file"],
                    file_format=form.cleaned_data["format"] or None,
                    valid_only=form.cleaned_data["valid_only"],
                    source=ImportJob.Source.PORTAL,
                    created_by=user,
                )
            except (CatalogFileRejected, DomainError) as exc:
                form.add_error("file", exc.message)
            else:
                if created:
                    messages.success(request, _("The file is uploaded; the import is running."))
                else:
                    messages.info(
                        request, _("You imported this same file last time; here is that import. Nothing was changed.")
                    )
                return redirect("catalog:portal-import", slug=partner.slug, job_id=job.pk)
    products = Product.objects.filter(owner=partner).prefetch_related("variants").order_by("-updated_at")[:200]
    jobs = import_job_list(partners=[partner])[:20]
    return render(
        request,
        "catalog/portal.html",
        {
            "partner": partner,
            "products": products,
            "jobs": jobs,
            "form": form,
            "may_import": may_import,
            "columns": list(COLUMNS.items()),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def portal_import(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    partner = portal_partner_or_404(request, slug)
    job = _job_or_404(partner, job_id)
    return render(
        request,
        "catalog/import_job.html",
        {"partner": partner, "job": job, "progress": import_job_progress(job=job), "errors": job.errors[:200]},
    )


@login_required
@require_GET
def portal_import_progress(request: HttpRequest, slug: str, job_id: int) -> JsonResponse:
    partner = portal_partner_or_404(request, slug)
    return JsonResponse(import_job_progress(job=_job_or_404(partner, job_id)))


@login_required
@require_GET
def portal_import_errors(request: HttpRequest, slug: str, job_id: int) -> FileResponse:
    partner = portal_partner_or_404(request, slug)
    job = _job_or_404(partner, job_id)
    if not job.error_report:
        raise Http404
    return FileResponse(
        job.error_report.open("rb"), as_attachment=True, filename=f"import-{job.pk}-errors.csv", content_type="text/csv"
    )


def _csv_response(lines: object, filename: str) -> StreamingHttpResponse:
    # A byte-order mark first, so that spreadsheet programs read the Chinese right.
    def body() -> object:
        yield "\ufeff"
        yield from lines  # type: ignore[misc]

    response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")  # type: ignore[arg-type]
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def portal_export(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    partner = portal_partner_or_404(request, slug)
    stamp = timezone.localdate().isoformat()
    return _csv_response(csv_lines(csv_export_rows(partner=partner)), f"{partner.slug}-catalogue-{stamp}.csv")


@login_required
@require_GET
def portal_template(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    portal_partner_or_404(request, slug)
    return _csv_response(csv_lines(csv_template_rows()), "zhiqiao-catalogue-template.csv")
