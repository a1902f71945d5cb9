"""Advertising audiences: consent, hashed emails, minimum size, audit, partner isolation."""

from __future__ import annotations

import hashlib

import pytest

from core.errors import DomainError
from insights.ad_audiences import ad_audience_export, criteria_build, email_hash
from insights.audit import Actor
from insights.privacy_errors import AudienceTooSmall, NotFoundForPartner
from insights.privacy_models import AuditEntry, DataDisclosure
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.factories.catalog import ProductFactory, sellable_book
from tests.factories.commerce import order_paid_for
from tests.factories.privacy import consenting_user, privacy_for
from users.models import Consent, Membership, Profile

pytestmark = pytest.mark.django_db
AD = Consent.Purpose.AD_AUDIENCE
C = Consent.DataCategory


def test_email_hash_is_sha256_of_the_trimmed_lower_case_address() -> None:
    assert email_hash("  Li.Hua@Example.COM ") == hashlib.sha256(b"li.hua@example.com").hexdigest()


def test_export_holds_only_users_whose_ad_consent_covers_what_the_segment_reads() -> None:
    partner = PartnerFactory()
    privacy_for(partner, ad_audience_min_size=20)
    members = [consenting_user(partner, purpose=AD, categories=[C.CONTACT, C.DEMOGRAPHICS]) for _ in range(20)]
    no_consent = UserFactory()
    other_purpose = consenting_user(partner, purpose=Consent.Purpose.MARKETING)
    no_demographics = consenting_user(partner, purpose=AD, categories=[C.CONTACT])
    other_partner = consenting_user(PartnerFactory(), purpose=AD)
    elsewhere = consenting_user(partner, purpose=AD)
    Profile.objects.filter(user=elsewhere).update(region="北京")
    criteria = criteria_build(partner=partner, data={"regions": ["浙江"]})
    export = ad_audience_export(partner=partner, criteria=criteria, actor=Actor())
    assert sorted(export.hashes) == sorted(email_hash(u.email) for u in members)
    for outsider in (no_consent, other_purpose, no_demographics, other_partner, elsewhere):
        assert email_hash(outsider.email) not in export.hashes
    entry = AuditEntry.objects.get(pk=export.audit.pk)
    assert (entry.kind, entry.row_count, entry.purpose) == (AuditEntry.Kind.AD_AUDIENCE_EXPORT, 20, AD)
    assert DataDisclosure.objects.filter(audit=entry).count() == 20
    assert export.as_csv().decode().splitlines()[0] == "email_sha256"


def test_audiences_below_the_minimum_size_are_refused_and_the_refusal_is_logged() -> None:
    partner = PartnerFactory()
    privacy_for(partner, ad_audience_min_size=20)
    for _ in range(19):
        consenting_user(partner, purpose=AD)
    criteria = criteria_build(partner=partner, data={"age_bands": ["25_34", "35_44"]})
    with pytest.raises(AudienceTooSmall):
        ad_audience_export(partner=partner, criteria=criteria, actor=Actor())
    entry = AuditEntry.objects.get(partner=partner)
    assert entry.outcome == AuditEntry.Outcome.REFUSED
    assert not DataDisclosure.objects.exists()


def test_purchase_criteria_read_only_the_partners_own_products() -> None:
    partner, other = PartnerFactory(), PartnerFactory()
    privacy_for(partner, ad_audience_min_size=20)
    mine = sellable_book(owner=partner)
    buyers = [consenting_user(partner, purpose=AD) for _ in range(20)]
    for buyer in buyers:
        order_paid_for(buyer, mine)
    browser = consenting_user(partner, purpose=AD)
    export = ad_audience_export(
        partner=partner, criteria=criteria_build(partner=partner, data={"purchased_from_partner": True}), actor=Actor()
    )
    assert email_hash(browser.email) not in export.hashes
    assert len(export.hashes) == 20
    foreign = ProductFactory(owner=other)
    with pytest.raises(NotFoundForPartner):
        criteria_build(partner=partner, data={"purchased_products": [foreign.slug]})


def test_a_segment_needs_a_criterion_and_known_values() -> None:
    partner = PartnerFactory()
    with pytest.raises(DomainError):
        criteria_build(partner=partner, data={})
    with pytest.raises(DomainError):
        criteria_build(partner=partner, data={"age_bands": ["teen"]})
    with pytest.raises(DomainError):
        criteria_build(partner=partner, data={"topics": ["no-such-topic"]})


def test_api_exports_a_saved_audience_and_hides_other_partners_audiences(client) -> None:  # type: ignore[no-untyped-def]
    partner, other = PartnerFactory(), PartnerFactory()
    privacy_for(partner, ad_audience_min_size=20)
    for _ in range(20):
        consenting_user(partner, purpose=AD)
    owner = MembershipFactory(partner=partner, role=Membership.Role.OWNER).user
    client.force_login(owner)
    created = client.post(
        f"/api/v1/partners/{partner.slug}/ad-audiences/",
        {"name": "浙江读者", "criteria": {"regions": ["浙江"]}},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    audience_id = created.json()["id"]
    export = client.post(f"/api/v1/partners/{partner.slug}/ad-audiences/{audience_id}/export/")
    assert export.status_code == 200
    assert len(export.content.decode().splitlines()) == 21
    outsider = MembershipFactory(partner=other, role=Membership.Role.OWNER).user
    client.force_login(outsider)
    assert client.post(f"/api/v1/partners/{partner.slug}/ad-audiences/{audience_id}/export/").status_code == 404
    assert client.post(f"/api/v1/partners/{other.slug}/ad-audiences/{audience_id}/export/").status_code == 404
