"""Aggregate audience insights: k-anonymity, noise, the privacy budget, audit, partner isolation."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insights.audiences import (
    audience_insight_query,
    audience_question_build,
    breakdown_release,
    budget_get,
)
from insights.audit import Actor
from insights.privacy_errors import NotFoundForPartner, PrivacyBudgetExhausted
from insights.privacy_models import AuditEntry, PrivacyBudget
from tests.factories import MembershipFactory, PartnerFactory
from tests.factories.catalog import ProductFactory
from tests.factories.privacy import audience_of, privacy_for
from users.models import Membership
from users.services import api_key_create

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))


def _question(days_back: int = 0, dimensions: tuple[str, ...] = ("age_band",)):  # type: ignore[no-untyped-def]
    today = timezone.localdate() - timedelta(days=days_back)
    return audience_question_build(date_from=today - timedelta(days=30), date_to=today, dimensions=dimensions)


def _check_release(true_counts: dict[str, int], released: dict, k: int) -> None:  # type: ignore[type-arg]
    shown = {cell["key"] for cell in released["cells"]}
    for cell in released["cells"]:
        assert true_counts[cell["key"]] >= k
        assert cell["count"] >= k
    merged_true = sum(n for key, n in true_counts.items() if key not in shown)
    if released["other"] is not None:
        assert merged_true >= k
        assert released["other"]["count"] >= k
    elif released["suppression"]["groups_withheld"] == 0:
        assert merged_true == 0


@pytest.mark.fuzz
@settings(max_examples=FUZZ_EXAMPLES, derandomize=True, deadline=None)
@given(
    counts=st.dictionaries(st.text(min_size=1, max_size=6), st.integers(min_value=0, max_value=400), max_size=25),
    k=st.integers(min_value=10, max_value=80),
    epsilon=st.sampled_from(["0.05", "0.5", "2"]),
    sensitivity=st.integers(min_value=1, max_value=3),
)
def test_no_released_group_is_below_k_for_any_audience(
    counts: dict[str, int], k: int, epsilon: str, sensitivity: int
) -> None:
    from decimal import Decimal

    released = breakdown_release(
        dimension="region", true_counts=counts, k=k, epsilon=Decimal(epsilon), sensitivity=sensitivity
    )
    _check_release(counts, released, k)


@pytest.mark.fuzz
@pytest.mark.django_db
@settings(
    max_examples=max(3, FUZZ_EXAMPLES // 10),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sizes=st.lists(st.integers(min_value=0, max_value=24), min_size=1, max_size=4))
def test_no_insight_response_has_a_cell_below_k_over_random_audiences_in_the_database(sizes: list[int]) -> None:
    with transaction.atomic():
        partner = PartnerFactory()
        privacy_for(partner, k_threshold=10, epsilon_per_period=100, epsilon_per_query=1)
        product = ProductFactory(owner=partner)
        regions = ["浙江", "上海", "北京", "广东"]
        truth: dict[str, int] = {}
        for region, size in zip(regions, sizes, strict=False):
            audience_of(product, count=size, region=region, age=20 + size)
            truth[region] = size
        answer = audience_insight_query(
            partner=partner, question=_question(dimensions=("region", "age_band")), actor=Actor()
        )
        _check_release({k: v for k, v in truth.items() if v}, answer.body["breakdowns"]["region"], 10)
        for cell in answer.body["breakdowns"]["age_band"]["cells"]:
            assert cell["count"] >= 10
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_counts_carry_noise_of_the_stated_scale() -> None:
    partner = PartnerFactory()
    privacy_for(partner, k_threshold=10, epsilon_per_period=10, epsilon_per_query="0.1")
    product = ProductFactory(owner=partner)
    audience_of(product, count=150, age=30)
    published = []
    for days_back in range(6):
        answer = audience_insight_query(partner=partner, question=_question(days_back), actor=Actor())
        breakdown = answer.body["breakdowns"]["age_band"]
        assert breakdown["noise"]["scale"] == pytest.approx(10.0)
        assert breakdown["noise"]["epsilon"] == "0.100000"
        published.extend(c["count"] for c in breakdown["cells"])
    assert published
    assert any(count != 150 for count in published)


@pytest.mark.django_db
def test_budget_refuses_queries_once_spent_and_audits_the_refusal() -> None:
    partner = PartnerFactory()
    privacy_for(partner, epsilon_per_period=1, epsilon_per_query="0.5")
    ProductFactory(owner=partner)
    audience_insight_query(partner=partner, question=_question(0), actor=Actor())
    audience_insight_query(partner=partner, question=_question(1), actor=Actor())
    with pytest.raises(PrivacyBudgetExhausted):
        audience_insight_query(partner=partner, question=_question(2), actor=Actor())
    budget = PrivacyBudget.objects.get(partner=partner)
    assert budget.epsilon_spent == budget.epsilon_limit
    assert AuditEntry.objects.filter(partner=partner, outcome=AuditEntry.Outcome.REFUSED).count() == 1


@pytest.mark.django_db
def test_the_same_question_again_returns_the_same_answer_without_spending() -> None:
    partner = PartnerFactory()
    privacy_for(partner, k_threshold=10, epsilon_per_period=1, epsilon_per_query="0.5")
    product = ProductFactory(owner=partner)
    audience_of(product, count=40)
    first = audience_insight_query(partner=partner, question=_question(), actor=Actor())
    again = audience_insight_query(partner=partner, question=_question(), actor=Actor())
    assert again.replayed
    assert again.body["breakdowns"] == first.body["breakdowns"]
    assert budget_get(partner=partner).queries == 1


@pytest.mark.django_db
def test_every_query_writes_an_audit_row() -> None:
    partner = PartnerFactory()
    ProductFactory(owner=partner)
    for days_back in range(3):
        audience_insight_query(partner=partner, question=_question(days_back), actor=Actor())
    audience_insight_query(partner=partner, question=_question(0), actor=Actor())  # a replay is audited too
    entries = AuditEntry.objects.filter(partner=partner, kind=AuditEntry.Kind.INSIGHT_QUERY)
    assert entries.count() == 4


@pytest.mark.django_db
def test_a_partner_cannot_ask_about_another_partners_product() -> None:
    mine, theirs = PartnerFactory(), PartnerFactory()
    product = ProductFactory(owner=theirs)
    question = audience_question_build(scope="product", reference=product.slug)
    with pytest.raises(NotFoundForPartner):
        audience_insight_query(partner=mine, question=question, actor=Actor())
    assert not AuditEntry.objects.filter(partner=mine).exists()


@pytest.mark.django_db
def test_api_gives_404_for_another_partners_audience(client) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = PartnerFactory(), PartnerFactory()
    product = ProductFactory(owner=theirs)
    member = MembershipFactory(partner=mine, role=Membership.Role.ANALYST).user
    client.force_login(member)
    url = f"/api/v1/partners/{theirs.slug}/audience-insights/"
    assert client.post(url, {}, content_type="application/json").status_code == 404
    own = f"/api/v1/partners/{mine.slug}/audience-insights/"
    body = {"scope": "product", "reference": product.slug, "dimensions": ["age_band"]}
    response = client.post(own, body, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_api_key_needs_the_scope_and_reaches_only_its_partner(client) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = PartnerFactory(), PartnerFactory()
    ProductFactory(owner=mine)
    _key, raw = api_key_create(partner=mine, name="bi", scopes=["insights:read"], created_by=None)
    _key2, no_scope = api_key_create(partner=mine, name="other", scopes=["partner:read"], created_by=None)
    body = {"dimensions": ["funnel"]}
    ok = client.post(
        f"/api/v1/partners/{mine.slug}/audience-insights/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["breakdowns"]["funnel"]["noise"]["sensitivity"] == 3
    other = client.post(
        f"/api/v1/partners/{theirs.slug}/audience-insights/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
    )
    assert other.status_code == 404
    unscoped = client.post(
        f"/api/v1/partners/{mine.slug}/audience-insights/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {no_scope}",
    )
    assert unscoped.status_code == 403
    entry = AuditEntry.objects.get(partner=mine)
    assert entry.channel.startswith("api-key:")


@pytest.mark.django_db
def test_exhausted_budget_answers_403_with_a_clear_code(client) -> None:  # type: ignore[no-untyped-def]
    partner = PartnerFactory()
    privacy_for(partner, epsilon_per_period="0.5", epsilon_per_query="0.5")
    member = MembershipFactory(partner=partner).user
    client.force_login(member)
    url = f"/api/v1/partners/{partner.slug}/audience-insights/"
    assert client.post(url, {"dimensions": ["gender"]}, content_type="application/json").status_code == 200
    refused = client.post(url, {"dimensions": ["region"]}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "privacy_budget_exhausted"


@pytest.mark.django_db
def test_k_can_never_be_set_below_ten() -> None:
    from django.db import IntegrityError

    partner = PartnerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        privacy_for(partner, k_threshold=9)


@pytest.mark.django_db
def test_portal_page_shows_the_answer_to_members_and_404_to_others(client) -> None:  # type: ignore[no-untyped-def]
    partner, other = PartnerFactory(), PartnerFactory()
    privacy_for(partner, k_threshold=10)
    product = ProductFactory(owner=partner)
    audience_of(product, count=30)
    member = MembershipFactory(partner=partner, role=Membership.Role.ANALYST).user
    client.force_login(member)
    response = client.post(f"/partner/{partner.slug}/audience/", {"scope": "all", "dimensions": ["age_band"]})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "25–34" in page.content.decode()
    assert client.get(f"/partner/{other.slug}/audience/").status_code == 404
