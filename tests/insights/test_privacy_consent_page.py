"""The consent page: per partner what is shared, for what, and asking again after a notice change."""

from __future__ import annotations

import pytest

from tests.factories import PartnerFactory
from users.models import Consent
from users.services import consent_grant
from users.views import CURRENT_NOTICE_VERSION

pytestmark = pytest.mark.django_db


def test_consent_page_lists_each_partner_with_purpose_and_categories(client, user) -> None:  # type: ignore[no-untyped-def]
    partner = PartnerFactory(name="学而出版社")
    consent_grant(
        user=user,
        partner=partner,
        purpose=Consent.Purpose.AD_AUDIENCE,
        data_categories=["contact", "interests"],
        notice_version=CURRENT_NOTICE_VERSION,
    )
    client.force_login(user)
    page = client.get("/accounts/consents/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "学而出版社" in page
    assert str(dict(Consent.DataCategory.choices)["contact"]) in page
    assert "/accounts/my-data/" in page
    assert 'name="purpose" value="ad_audience"' not in page  # nothing to renew


def test_a_consent_under_an_older_notice_is_asked_again(client, user) -> None:  # type: ignore[no-untyped-def]
    partner = PartnerFactory()
    consent_grant(
        user=user,
        partner=partner,
        purpose=Consent.Purpose.MARKETING,
        data_categories=["contact"],
        notice_version="2020-01",
    )
    client.force_login(user)
    page = client.get("/accounts/consents/").content.decode()
    assert 'name="purpose" value="marketing"' in page
    client.post(
        "/accounts/consents/grant/", {"partner": partner.slug, "purpose": "marketing", "data_categories": ["contact"]}
    )
    active = Consent.objects.get(user=user, partner=partner, revoked_at__isnull=True)
    assert active.notice_version == CURRENT_NOTICE_VERSION
    assert Consent.objects.filter(user=user, partner=partner).count() == 2
