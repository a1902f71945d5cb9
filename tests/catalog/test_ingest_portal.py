"""Catalogue uploads in the partner portal, the admin and the command line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from catalog.models import ImportJob, Product
from tests.catalog.fixtures.onix_builder import OnixProduct, catalogue, onix_message
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from users.models import Membership

pytestmark = pytest.mark.django_db


def _file(data: bytes, name: str = "feed.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/xml")


@pytest.fixture
def owner(client: Client) -> Membership:
    membership = MembershipFactory(role=Membership.Role.OWNER)
    client.force_login(membership.user)
    return membership


def test_owner_uploads_a_file_and_sees_the_finished_import(
    client: Client, owner: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    slug = owner.partner.slug
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/partner/{slug}/catalog/", {"file": _file(catalogue(2)), "format": ""})

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/partner/{slug}/catalog/imports/{job.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert job.original_name in page.content.decode()
    progress = client.get(f"/partner/{slug}/catalog/imports/{job.pk}/progress/").json()
    assert (progress["status"], progress["created_count"], progress["finished"]) == ("succeeded", 2, True)
    listing = client.get(f"/partner/{slug}/catalog/").content.decode()
    assert "书名 0" in listing


def test_rejected_upload_shows_the_problems_and_offers_the_report(
    client: Client, owner: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    slug = owner.partner.slug
    data = onix_message(OnixProduct(ref="GOOD"), OnixProduct(ref="BAD-REF", form="ZZ"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/partner/{slug}/catalog/", {"file": _file(data)})
    job = ImportJob.objects.get()

    page = client.get(f"/partner/{slug}/catalog/imports/{job.pk}/").content.decode()
    report = client.get(f"/partner/{slug}/catalog/imports/{job.pk}/errors.csv")

    assert job.status == ImportJob.Status.REJECTED
    assert "BAD-REF" in page
    assert "ProductForm" in page
    assert report.status_code == 200
    assert b"BAD-REF" in b"".join(report.streaming_content)  # type: ignore[attr-defined]
    assert not Product.objects.exists()


def test_valid_only_checkbox_imports_the_good_records(
    client: Client, owner: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    data = onix_message(OnixProduct(ref="GOOD"), OnixProduct(ref="BAD-REF", form="ZZ"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/partner/{owner.partner.slug}/catalog/", {"file": _file(data), "valid_only": "on"})

    job = ImportJob.objects.get()
    assert (job.status, job.created_count, job.invalid_count) == ("succeeded", 1, 1)
    assert Product.objects.get().record_reference == "GOOD"


def test_empty_upload_is_refused_on_the_form(client: Client, owner: Membership) -> None:
    response = client.post(f"/partner/{owner.partner.slug}/catalog/", {"file": _file(b"", "empty.xml")})

    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_analyst_sees_imports_but_cannot_upload(client: Client) -> None:
    analyst = MembershipFactory(role=Membership.Role.ANALYST)
    client.force_login(analyst.user)
    url = f"/partner/{analyst.partner.slug}/catalog/"

    page = client.get(url)
    upload = client.post(url, {"file": _file(catalogue(1))})

    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' not in page.content.decode()
    assert upload.status_code == 404
    assert not ImportJob.objects.exists()


def test_another_partners_pages_and_imports_are_404(
    client: Client, owner: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    other = MembershipFactory(role=Membership.Role.OWNER)
    other_client = Client()
    other_client.force_login(other.user)
    with django_capture_on_commit_callbacks(execute=True):
        other_client.post(f"/partner/{other.partner.slug}/catalog/", {"file": _file(catalogue(1))})
    their_job = ImportJob.objects.get()
    mine = owner.partner.slug

    assert client.get(f"/partner/{other.partner.slug}/catalog/").status_code == 404
    assert client.post(f"/partner/{other.partner.slug}/catalog/", {"file": _file(catalogue(1))}).status_code == 404
    assert client.get(f"/partner/{other.partner.slug}/catalog/export.csv").status_code == 404
    # Their job under my partner's address does not exist either.
    assert client.get(f"/partner/{mine}/catalog/imports/{their_job.pk}/").status_code == 404
    assert client.get(f"/partner/{mine}/catalog/imports/{their_job.pk}/progress/").status_code == 404
    assert ImportJob.objects.count() == 1


def test_export_and_template_download_as_csv(client: Client, owner: Membership) -> None:
    from tests.catalog.fixtures.ingest import run_import

    run_import(owner.partner, catalogue(2))
    export = client.get(f"/partner/{owner.partner.slug}/catalog/export.csv")
    template = client.get(f"/partner/{owner.partner.slug}/catalog/template.csv")

    exported = b"".join(export.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert export["Content-Type"].startswith("text/csv")
    assert exported.splitlines()[0].startswith("record_reference,action,isbn13,format,title")
    assert len(exported.splitlines()) == 3
    assert b"EXAMPLE-DELETE-THIS-ROW" in b"".join(template.streaming_content)  # type: ignore[attr-defined]


def test_partner_catalog_address_goes_to_the_users_partner(client: Client, owner: Membership) -> None:
    response = client.get("/partner/catalog/")

    assert response.status_code == 302
    assert response["Location"] == f"/partner/{owner.partner.slug}/catalog/"


def test_partner_catalog_address_lists_partners_for_someone_in_several(client: Client) -> None:
    user = UserFactory()
    MembershipFactory(user=user)
    MembershipFactory(user=user)
    client.force_login(user)

    assert client.get("/partner/catalog/")["Location"] == "/partner/"


def test_admin_upload_form_imports_for_the_chosen_partner(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    partner = PartnerFactory()
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/catalog/importjob/add/", {"partner": partner.pk, "file": _file(catalogue(1)), "format": "onix"}
        )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert (job.partner, job.source, job.created_by, job.status) == (partner, "admin", admin, "succeeded")
    assert client.get("/admin/catalog/importjob/").status_code == 200
    assert client.get(f"/admin/catalog/importjob/{job.pk}/change/").status_code == 200


def test_command_imports_with_a_summary(tmp_path: Path) -> None:
    partner = PartnerFactory()
    path = tmp_path / "feed.xml"
    path.write_bytes(catalogue(3))
    out = io.StringIO()

    call_command("import_catalog", str(path), partner=partner.slug, no_progress=True, stdout=out, stderr=io.StringIO())

    job = ImportJob.objects.get()
    assert (job.source, job.status, job.created_count) == ("command", "succeeded", 3)
    assert str(job.pk) in out.getvalue()
    assert Product.objects.filter(owner=partner).count() == 3


def test_command_fails_and_prints_the_report_when_the_file_is_rejected(tmp_path: Path) -> None:
    partner = PartnerFactory()
    path = tmp_path / "feed.csv"
    path.write_text("record_reference,format,title,price,territories\nR1,ebook,,12,CN\n", encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command(
            "import_catalog", str(path), partner=partner.slug, no_progress=True, stdout=io.StringIO(), stderr=err
        )

    assert "R1" in err.getvalue()
    assert "title" in err.getvalue()
    assert not Product.objects.exists()


def test_export_command_writes_the_partners_rows(tmp_path: Path) -> None:
    from tests.catalog.fixtures.ingest import run_import

    partner = PartnerFactory()
    run_import(partner, catalogue(2))
    target = tmp_path / "out.csv"

    call_command("export_catalog", partner=partner.slug, output=str(target), stderr=io.StringIO())

    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == 3
