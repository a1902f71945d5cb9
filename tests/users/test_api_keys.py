from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import NotAllowed
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from users.models import Membership, PartnerApiKey
from users.services import api_key_create, api_key_hash, api_key_revoke

pytestmark = pytest.mark.django_db


def _auth(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


@pytest.fixture
def partner():
    return PartnerFactory(slug="qingsong")


@pytest.fixture
def key(partner):
    return api_key_create(partner=partner, name="erp", scopes=["partner:read"], created_by=None)


def test_valid_key_reads_its_own_partner(client, partner, key):
    _row, raw = key
    response = client.get(f"/api/v1/partners/{partner.slug}/", **_auth(raw))
    assert response.status_code == 200
    assert response.json()["slug"] == "qingsong"
    assert [p["slug"] for p in client.get("/api/v1/partners/", **_auth(raw)).json()["results"]] == ["qingsong"]


def test_key_is_stored_only_as_a_hash(key):
    row, raw = key
    stored = PartnerApiKey.objects.get(pk=row.pk)
    assert stored.key_hash == api_key_hash(raw)
    assert raw not in {stored.key_hash, stored.prefix, stored.name}


def test_revoked_key_is_refused(client, partner, key):
    row, raw = key
    api_key_revoke(key=row, by=None)
    response = client.get(f"/api/v1/partners/{partner.slug}/", HTTP_ACCEPT_LANGUAGE="en", **_auth(raw))
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_expired_key_is_refused(client, partner):
    _row, raw = api_key_create(
        partner=partner,
        name="old",
        scopes=["partner:read"],
        created_by=None,
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert client.get(f"/api/v1/partners/{partner.slug}/", **_auth(raw)).status_code == 401


def test_tampered_key_is_refused(client, partner, key):
    _row, raw = key
    assert client.get(f"/api/v1/partners/{partner.slug}/", **_auth(raw[:-2] + "xx")).status_code == 401
    assert client.get(f"/api/v1/partners/{partner.slug}/", **_auth("garbage")).status_code == 401


def test_key_without_the_scope_is_forbidden(client, partner):
    from users.scopes import scope_register

    scope_register(name="test:other", description="another scope")
    _row, raw = api_key_create(partner=partner, name="narrow", scopes=["test:other"], created_by=None)
    response = client.get(f"/api/v1/partners/{partner.slug}/", **_auth(raw))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_another_partners_key_sees_nothing(client, partner, key):
    other = PartnerFactory(slug="yuanshan")
    _row, other_raw = api_key_create(partner=other, name="theirs", scopes=["partner:read"], created_by=None)
    assert client.get(f"/api/v1/partners/{partner.slug}/", **_auth(other_raw)).status_code == 404
    assert client.get(f"/api/v1/partners/{partner.slug}/members/", **_auth(other_raw)).status_code == 404


def test_keys_cannot_act_as_people(client, key):
    _row, raw = key
    assert client.get("/api/v1/me/", **_auth(raw)).status_code == 403


def test_keys_cannot_manage_keys(client, partner, key):
    _row, raw = key
    response = client.post(
        f"/api/v1/partners/{partner.slug}/api-keys/",
        {"name": "x", "scopes": ["partner:read"]},
        content_type="application/json",
        **_auth(raw),
    )
    assert response.status_code == 403
    assert PartnerApiKey.objects.count() == 1


def test_owner_creates_key_over_api_and_sees_raw_key_once(client, partner):
    owner = MembershipFactory(partner=partner, role=Membership.Role.OWNER).user
    client.force_login(owner)
    created = client.post(
        f"/api/v1/partners/{partner.slug}/api-keys/",
        {"name": "shop", "scopes": ["partner:read"]},
        content_type="application/json",
    )
    assert created.status_code == 201
    raw = created.json()["key"]
    listed = client.get(f"/api/v1/partners/{partner.slug}/api-keys/").json()
    assert all("key" not in item for item in listed)
    client.logout()
    assert client.get(f"/api/v1/partners/{partner.slug}/", **_auth(raw)).status_code == 200


def test_analyst_cannot_create_keys(partner):
    analyst = MembershipFactory(partner=partner, role=Membership.Role.ANALYST).user
    with pytest.raises(NotAllowed):
        api_key_create(partner=partner, name="x", scopes=["partner:read"], created_by=analyst)


def test_non_member_cannot_see_partner_or_its_keys(client, partner):
    client.force_login(UserFactory())
    assert client.get(f"/api/v1/partners/{partner.slug}/").status_code == 404
    assert client.get(f"/api/v1/partners/{partner.slug}/api-keys/").status_code == 404
    assert client.get(f"/partner/{partner.slug}/").status_code == 404


def test_portal_page_creates_and_revokes_keys_for_managers(client, partner):
    manager = MembershipFactory(partner=partner, role=Membership.Role.MANAGER).user
    client.force_login(manager)
    client.post(f"/partner/{partner.slug}/api-keys/", {"name": "warehouse", "scopes": ["partner:read"]})
    page = client.get(f"/partner/{partner.slug}/")
    key = PartnerApiKey.objects.get(partner=partner)
    assert key.prefix in page.content.decode()
    client.post(f"/partner/{partner.slug}/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None
