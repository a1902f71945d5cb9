"""Row-level sharing under consent: pseudonymous ids, categories, revocation, deletion notices, audit."""

from __future__ import annotations

import io
import os

import pyarrow.parquet as pq
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insights.audit import Actor, recipients_for_user
from insights.privacy_errors import NoConsentedCategories
from insights.privacy_models import AuditEntry, DataDisclosure, DeletionNotice
from insights.sharing import deletion_notices_issue, pseudonymous_ids, share_build, share_csv, share_parquet
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.factories.privacy import consenting_user
from users.models import Consent, Membership
from users.services import api_key_create, consent_grant, consent_revoke

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
TRANSFER = Consent.Purpose.PERSONAL_DATA_TRANSFER
C = Consent.DataCategory


@pytest.mark.django_db
def test_the_same_user_has_different_pseudonymous_ids_for_two_partners() -> None:
    first, second = PartnerFactory(), PartnerFactory()
    user = UserFactory()
    a = pseudonymous_ids(partner=first, user_ids=[user.pk])[user.pk]
    b = pseudonymous_ids(partner=second, user_ids=[user.pk])[user.pk]
    assert a != b
    assert len(a) == 64
    assert pseudonymous_ids(partner=first, user_ids=[user.pk])[user.pk] == a


@pytest.mark.fuzz
@pytest.mark.django_db
@settings(
    max_examples=max(3, FUZZ_EXAMPLES // 10),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plan=st.lists(
        st.tuples(
            st.sampled_from(["none", "transfer", "marketing", "revoked", "other_partner"]),
            st.sets(st.sampled_from(list(C.values)), min_size=1),
        ),
        min_size=1,
        max_size=8,
    ),
    wanted=st.sets(st.sampled_from(list(C.values)), min_size=1),
)
def test_a_user_without_consent_never_appears_in_a_share(plan: list, wanted: set[str]) -> None:  # type: ignore[type-arg]
    with transaction.atomic():
        partner, other = PartnerFactory(), PartnerFactory()
        expected: dict[int, set[str]] = {}
        users = []
        for state, categories in plan:
            user = UserFactory()
            users.append(user)
            grant = {"data_categories": sorted(categories), "notice_version": "v1"}
            if state == "transfer":
                consent_grant(user=user, partner=partner, purpose=TRANSFER, **grant)
                if categories & wanted:
                    expected[user.pk] = categories & wanted
            elif state == "marketing":
                consent_grant(user=user, partner=partner, purpose=Consent.Purpose.MARKETING, **grant)
            elif state == "revoked":
                consent_grant(user=user, partner=partner, purpose=TRANSFER, **grant)
                consent_revoke(user=user, partner=partner, purpose=TRANSFER)
            elif state == "other_partner":
                consent_grant(user=user, partner=other, purpose=TRANSFER, **grant)
        ids = pseudonymous_ids(partner=partner, user_ids=[u.pk for u in users])
        consented_elsewhere = any(state == "transfer" for state, _categories in plan)
        if consented_elsewhere and not expected:
            # People consented, none to the categories asked for: refused, not an empty file.
            with pytest.raises(NoConsentedCategories):
                share_build(partner=partner, purpose=TRANSFER, categories=wanted, actor=Actor())
        else:
            share = share_build(partner=partner, purpose=TRANSFER, categories=wanted, actor=Actor())
            by_id = {row["pseudonymous_id"]: row for row in share.rows}
            assert set(by_id) == {ids[uid] for uid in expected}
            for uid, categories in expected.items():
                assert set(by_id[ids[uid]]["data_categories"]) == categories
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_row_holds_only_the_categories_its_user_consented_to() -> None:
    partner = PartnerFactory()
    demographics_only = consenting_user(partner, categories=[C.DEMOGRAPHICS])
    everything = consenting_user(partner)
    share = share_build(partner=partner, purpose=TRANSFER, categories=[C.DEMOGRAPHICS, C.CONTACT], actor=Actor())
    ids = pseudonymous_ids(partner=partner, user_ids=[demographics_only.pk, everything.pk])
    rows = {row["pseudonymous_id"]: row for row in share.rows}
    assert rows[ids[demographics_only.pk]]["email"] is None
    assert rows[ids[everything.pk]]["email"] == everything.email
    assert "email" in share.columns
    assert "top_topics" not in share.columns


@pytest.mark.django_db
def test_revoking_consent_excludes_the_user_from_the_next_share_and_notifies_the_partner() -> None:
    partner = PartnerFactory()
    staying = consenting_user(partner)
    leaving = consenting_user(partner)
    first = share_build(partner=partner, purpose=TRANSFER, categories=[C.DEMOGRAPHICS], actor=Actor())
    assert first.row_count == 2
    consent_revoke(user=leaving, partner=partner, purpose=TRANSFER)
    second = share_build(partner=partner, purpose=TRANSFER, categories=[C.DEMOGRAPHICS], actor=Actor())
    ids = pseudonymous_ids(partner=partner, user_ids=[staying.pk, leaving.pk])
    assert [row["pseudonymous_id"] for row in second.rows] == [ids[staying.pk]]
    notice = DeletionNotice.objects.get(partner=partner)
    assert notice.pseudonymous_id == ids[leaving.pk]
    assert notice.reason == DeletionNotice.Reason.CONSENT_WITHDRAWN
    assert notice.last_disclosure_id == first.audit.pk
    # Issuing again adds nothing: one notice per share the user left.
    assert deletion_notices_issue(partner=partner) == 0


@pytest.mark.django_db
def test_every_share_writes_an_audit_row_and_the_user_sees_who_received_their_data() -> None:
    partner = PartnerFactory(name="学而出版社")
    user = consenting_user(partner)
    share = share_build(partner=partner, purpose=TRANSFER, categories=[C.INTERESTS], actor=Actor(), fmt="parquet")
    entry = AuditEntry.objects.get(pk=share.audit.pk)
    assert entry.kind == AuditEntry.Kind.ROW_SHARE
    assert entry.row_count == 1
    assert entry.data_categories == [C.INTERESTS]
    assert entry.retain_until >= (entry.at.date().replace(year=entry.at.year + 3))
    assert DataDisclosure.objects.filter(user=user, audit=entry).exists()
    [recipient] = recipients_for_user(user=user)
    assert recipient.partner_name == "学而出版社"
    assert recipient.data_categories == [C.INTERESTS]


@pytest.mark.django_db
def test_audit_rows_cannot_be_changed_or_deleted() -> None:
    from insights.privacy_models import AuditHistoryIsAppendOnly

    partner = PartnerFactory()
    share = share_build(partner=partner, purpose=TRANSFER, categories=[C.INTERESTS], actor=Actor())
    with pytest.raises(AuditHistoryIsAppendOnly):
        AuditEntry.objects.filter(pk=share.audit.pk).update(row_count=99)
    with pytest.raises(AuditHistoryIsAppendOnly):
        AuditEntry.objects.filter(pk=share.audit.pk).delete()
    with pytest.raises(AuditHistoryIsAppendOnly):
        share.audit.delete()


@pytest.mark.django_db
def test_csv_and_parquet_carry_the_same_rows() -> None:
    partner = PartnerFactory()
    consenting_user(partner)
    consenting_user(partner)
    share = share_build(partner=partner, purpose=TRANSFER, categories=[C.DEMOGRAPHICS, C.PURCHASES], actor=Actor())
    lines = share_csv(share).decode().splitlines()
    assert lines[0].split(",")[:2] == ["pseudonymous_id", "data_categories"]
    assert len(lines) == 3
    table = pq.read_table(io.BytesIO(share_parquet(share)))
    assert table.num_rows == 2
    assert sorted(table.column("pseudonymous_id").to_pylist()) == sorted(r["pseudonymous_id"] for r in share.rows)


@pytest.mark.django_db
def test_share_api_is_for_owners_managers_and_scoped_keys_of_that_partner(client) -> None:  # type: ignore[no-untyped-def]
    partner, other = PartnerFactory(), PartnerFactory()
    consenting_user(partner)
    body = {"purpose": TRANSFER, "data_categories": ["demographics"], "format": "json"}
    analyst = MembershipFactory(partner=partner, role=Membership.Role.ANALYST).user
    client.force_login(analyst)
    assert (
        client.post(f"/api/v1/partners/{partner.slug}/shares/", body, content_type="application/json").status_code
        == 403
    )
    manager = MembershipFactory(partner=partner, role=Membership.Role.MANAGER).user
    client.force_login(manager)
    response = client.post(f"/api/v1/partners/{partner.slug}/shares/", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["row_count"] == 1
    assert (
        client.post(f"/api/v1/partners/{other.slug}/shares/", body, content_type="application/json").status_code == 404
    )
    client.logout()
    _key, raw = api_key_create(partner=partner, name="dw", scopes=["insights:share"], created_by=None)
    csv_body = {**body, "format": "csv"}
    download = client.post(
        f"/api/v1/partners/{partner.slug}/shares/",
        csv_body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
    )
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert download["X-Row-Count"] == "1"
    assert AuditEntry.objects.filter(partner=partner, kind=AuditEntry.Kind.ROW_SHARE).count() == 2


@pytest.mark.django_db
def test_partner_reads_and_acknowledges_its_deletion_notices_only(client) -> None:  # type: ignore[no-untyped-def]
    partner, other = PartnerFactory(), PartnerFactory()
    leaving = consenting_user(partner)
    share_build(partner=partner, purpose=TRANSFER, categories=[C.DEMOGRAPHICS], actor=Actor())
    consent_revoke(user=leaving, partner=partner, purpose=TRANSFER)
    _key, raw = api_key_create(partner=partner, name="dw", scopes=["insights:share"], created_by=None)
    _k2, other_raw = api_key_create(partner=other, name="dw", scopes=["insights:share"], created_by=None)
    notices = client.get(f"/api/v1/partners/{partner.slug}/deletion-notices/", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    [notice] = notices.json()
    foreign = client.post(
        f"/api/v1/partners/{other.slug}/deletion-notices/acknowledge/",
        {"ids": [notice["id"]]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {other_raw}",
    )
    assert foreign.json() == {"acknowledged": 0}
    done = client.post(
        f"/api/v1/partners/{partner.slug}/deletion-notices/acknowledge/",
        {"ids": [notice["id"]]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
    )
    assert done.json() == {"acknowledged": 1}
    assert (
        client.get(f"/api/v1/partners/{partner.slug}/deletion-notices/", HTTP_AUTHORIZATION=f"Api-Key {raw}").json()
        == []
    )
