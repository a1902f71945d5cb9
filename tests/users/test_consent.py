from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from tests.factories import PartnerFactory
from users.models import Consent, ConsentHistoryIsAppendOnly
from users.selectors import consent_is_active, consenting_user_ids
from users.services import consent_expiry_sweep, consent_grant, consent_revoke

pytestmark = pytest.mark.django_db

PURPOSE = Consent.Purpose.AUDIENCE_INSIGHTS


def _grant(user, partner, categories=("demographics",), notice="2026-10", **kw):
    return consent_grant(
        user=user, partner=partner, purpose=PURPOSE, data_categories=categories, notice_version=notice, **kw
    )


def test_grant_then_revoke_leaves_both_in_history(user):
    partner = PartnerFactory()
    granted = _grant(user, partner)
    assert consent_is_active(user=user, partner=partner, purpose=PURPOSE, data_category="demographics")
    revoked = consent_revoke(user=user, partner=partner, purpose=PURPOSE)
    assert revoked.pk == granted.pk and revoked.revoked_at is not None
    assert not consent_is_active(user=user, partner=partner, purpose=PURPOSE)
    assert Consent.objects.filter(user=user).count() == 1


def test_identical_grant_is_idempotent(user):
    partner = PartnerFactory()
    first = _grant(user, partner, categories=["interests", "demographics"])
    second = _grant(user, partner, categories=["demographics", "interests"])
    assert first.pk == second.pk
    assert Consent.objects.filter(user=user).count() == 1


def test_changed_grant_appends_a_row_and_closes_the_old_one(user):
    partner = PartnerFactory()
    old = _grant(user, partner, notice="2026-01")
    new = _grant(user, partner, categories=["demographics", "purchases"], notice="2026-10")
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert new.pk != old.pk and new.revoked_at is None
    assert list(Consent.objects.filter(user=user).order_by("pk").values_list("notice_version", flat=True)) == [
        "2026-01",
        "2026-10",
    ]


def test_regrant_after_revoke_is_a_new_row(user):
    partner = PartnerFactory()
    _grant(user, partner)
    consent_revoke(user=user, partner=partner, purpose=PURPOSE)
    _grant(user, partner)
    assert Consent.objects.filter(user=user).count() == 2
    assert Consent.objects.filter(user=user, revoked_at__isnull=True).count() == 1


def test_consent_rows_cannot_be_edited(user):
    consent = _grant(user, PartnerFactory())
    consent.data_categories = ["contact"]
    with pytest.raises(ConsentHistoryIsAppendOnly):
        consent.save()
    with pytest.raises(ConsentHistoryIsAppendOnly):
        Consent.objects.filter(pk=consent.pk).update(notice_version="forged")


def test_revoked_consent_cannot_be_revived(user):
    partner = PartnerFactory()
    consent = _grant(user, partner)
    consent_revoke(user=user, partner=partner, purpose=PURPOSE)
    consent.refresh_from_db()
    consent.revoked_at = None
    with pytest.raises(ConsentHistoryIsAppendOnly):
        consent.save()


def test_consent_rows_cannot_be_deleted(user):
    consent = _grant(user, PartnerFactory())
    with pytest.raises(ConsentHistoryIsAppendOnly):
        consent.delete()
    with pytest.raises(ConsentHistoryIsAppendOnly):
        Consent.objects.filter(user=user).delete()
    assert Consent.objects.filter(pk=consent.pk).exists()


def test_database_holds_one_active_consent_per_purpose(user):
    partner = PartnerFactory()
    _grant(user, partner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(
            user=user, partner=partner, purpose=PURPOSE, data_categories=["interests"], notice_version="x"
        )


def test_grant_with_unknown_category_is_refused(user):
    with pytest.raises(DomainError):
        _grant(user, PartnerFactory(), categories=["shoe_size"])
    assert not Consent.objects.exists()


def test_expired_consent_is_inactive_and_swept(user):
    partner = PartnerFactory()
    _grant(user, partner, expires_at=timezone.now() + timedelta(days=1))
    later = timezone.now() + timedelta(days=2)
    assert consent_expiry_sweep(now=later) == 1
    assert not consent_is_active(user=user, partner=partner, purpose=PURPOSE)


def test_consenting_users_cover_only_the_granted_category(user):
    partner = PartnerFactory()
    _grant(user, partner, categories=["demographics"])
    assert list(consenting_user_ids(partner=partner, purpose=PURPOSE, data_category="demographics")) == [user.pk]
    assert list(consenting_user_ids(partner=partner, purpose=PURPOSE, data_category="purchases")) == []


def test_consent_page_grants_and_withdraws(client_logged_in, user):
    partner = PartnerFactory()
    client_logged_in.post(
        reverse("users:consent-grant"),
        {"partner": partner.slug, "purpose": PURPOSE, "data_categories": ["interests", "behaviour"]},
    )
    consent = Consent.objects.get(user=user)
    assert consent.data_categories == ["behaviour", "interests"]
    page = client_logged_in.get(reverse("users:consents"))
    assert partner.name in page.content.decode()
    client_logged_in.post(reverse("users:consent-revoke", args=[consent.pk]))
    consent.refresh_from_db()
    assert consent.revoked_at is not None


def test_user_cannot_withdraw_someone_elses_consent(client_logged_in):
    from tests.factories import UserFactory

    other = UserFactory()
    consent = _grant(other, PartnerFactory())
    response = client_logged_in.post(reverse("users:consent-revoke", args=[consent.pk]))
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_at is None


def test_consent_api_grant_history_and_revoke(client_logged_in, user):
    partner = PartnerFactory()
    grant = client_logged_in.post(
        "/api/v1/me/consents/grant/",
        {"partner": partner.slug, "purpose": PURPOSE, "data_categories": ["demographics"], "notice_version": "2026-10"},
        content_type="application/json",
    )
    assert grant.status_code == 201, grant.json()
    revoke = client_logged_in.post(
        "/api/v1/me/consents/revoke/", {"partner": partner.slug, "purpose": PURPOSE}, content_type="application/json"
    )
    assert revoke.status_code == 200
    history = client_logged_in.get("/api/v1/me/consents/").json()["results"]
    assert len(history) == 1 and history[0]["revoked_at"] is not None
