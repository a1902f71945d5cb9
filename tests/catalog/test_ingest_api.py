"""The import API: partner keys with catalog:write and partner staff upload, poll, and only see their own."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog.models import ImportJob, Product
from tests.catalog.fixtures.onix_builder import OnixProduct, catalogue, onix_message
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from users.models import Membership
from users.services import api_key_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/partner/catalog/imports/"


def _key(partner: Any, scopes: list[str]) -> dict[str, str]:
    _row, raw = api_key_create(partner=partner, name="erp", scopes=scopes, created_by=None)
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


def _file(data: bytes, name: str = "feed.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/xml")


def test_partner_key_uploads_and_polls_its_import(client: Client, django_capture_on_commit_callbacks: Any) -> None:
    partner = PartnerFactory()
    headers = _key(partner, ["catalog:write"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"file": _file(catalogue(2))}, **headers)

    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    detail = client.get(f"{URL}{job_id}/", **headers)
    assert detail.status_code == 200
    body = detail.json()
    assert (body["status"], body["created_count"], body["partner"]) == ("succeeded", 2, partner.slug)
    assert body["progress"]["percent"] == 100.0
    assert Product.objects.filter(owner=partner).count() == 2
    listing = client.get(URL, **headers).json()
    assert [j["id"] for j in listing["results"]] == [job_id]


def test_rejected_upload_reports_each_bad_record(client: Client, django_capture_on_commit_callbacks: Any) -> None:
    partner = PartnerFactory()
    headers = _key(partner, ["catalog:write"])
    data = onix_message(OnixProduct(ref="OK"), OnixProduct(ref="BAD", isbn="9787500000000"))

    with django_capture_on_commit_callbacks(execute=True):
        job_id = client.post(URL, {"file": _file(data)}, **headers).json()["id"]
    body = client.get(f"{URL}{job_id}/", **headers).json()
    report = client.get(f"{URL}{job_id}/errors.csv", **headers)

    assert body["status"] == "rejected"
    assert [(e["reference"], e["field"]) for e in body["problems"]] == [("BAD", "ProductIdentifier (ISBN-13)")]
    assert report.status_code == 200
    assert b"BAD" in b"".join(report.streaming_content)  # type: ignore[attr-defined]
    assert not Product.objects.exists()


def test_same_file_twice_returns_the_first_import(client: Client, django_capture_on_commit_callbacks: Any) -> None:
    headers = _key(PartnerFactory(), ["catalog:write"])
    data = catalogue(1)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(URL, {"file": _file(data)}, **headers)
    second = client.post(URL, {"file": _file(data)}, **headers)

    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["id"] == second.json()["id"]
    assert ImportJob.objects.count() == 1


def test_key_without_catalog_write_is_refused(client: Client) -> None:
    headers = _key(PartnerFactory(), ["catalog:read"])

    response = client.post(URL, {"file": _file(catalogue(1))}, **headers)

    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_another_partners_import_does_not_exist_for_a_key(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    mine, theirs = PartnerFactory(), PartnerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        their_job = client.post(URL, {"file": _file(catalogue(1))}, **_key(theirs, ["catalog:write"])).json()["id"]
    headers = _key(mine, ["catalog:write"])

    assert client.get(f"{URL}{their_job}/", **headers).status_code == 404
    assert client.get(f"{URL}{their_job}/errors.csv", **headers).status_code == 404
    assert client.get(URL, **headers).json()["results"] == []
    # Naming the other partner is no way in either.
    response = client.post(URL, {"file": _file(catalogue(1, prefix="X")), "partner": theirs.slug}, **headers)
    assert response.status_code == 404


def test_partner_manager_imports_for_their_partner_and_analyst_may_not(client: Client) -> None:
    membership = MembershipFactory(role=Membership.Role.MANAGER)
    analyst = MembershipFactory(partner=membership.partner, role=Membership.Role.ANALYST).user

    client.force_login(membership.user)
    accepted = client.post(URL, {"file": _file(catalogue(1))})
    client.force_login(analyst)
    refused = client.post(URL, {"file": _file(catalogue(1, prefix="Y")), "partner": membership.partner.slug})

    assert accepted.status_code == 202
    assert accepted.json()["partner"] == membership.partner.slug
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_allowed"


def test_user_of_another_partner_gets_404(client: Client) -> None:
    outsider = UserFactory()
    MembershipFactory(user=outsider, role=Membership.Role.OWNER)
    target = PartnerFactory()
    client.force_login(outsider)

    response = client.post(URL, {"file": _file(catalogue(1)), "partner": target.slug})

    assert response.status_code == 404


def test_empty_file_is_a_clear_error_in_chinese(client: Client) -> None:
    headers = _key(PartnerFactory(), ["catalog:write"])

    response = client.post(URL, {"file": _file(b"")}, HTTP_ACCEPT_LANGUAGE="zh-hans", **headers)

    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_import_endpoints_are_in_the_schema(client: Client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()

    assert "/api/v1/partner/catalog/imports/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/partner/catalog/imports/"]
    assert "/api/v1/partner/catalog/imports/{job_id}/" in schema["paths"]
