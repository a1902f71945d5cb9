"""The privacy budget holds under concurrent queries on PostgreSQL (one conditional UPDATE each)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from insights.audiences import budget_get, budget_spend
from insights.privacy_models import PrivacyBudget
from tests.factories import PartnerFactory
from tests.factories.privacy import privacy_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_queries_never_overspend_the_budget() -> None:
    partner = PartnerFactory()
    privacy_for(partner, epsilon_per_period="2.5", epsilon_per_query="0.5")
    budget = budget_get(partner=partner)

    def spend(_: int) -> bool:
        try:
            return budget_spend(budget=budget, epsilon=Decimal("0.5"))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(spend, range(24)))
    assert results.count(True) == 5
    budget = PrivacyBudget.objects.get(pk=budget.pk)
    assert budget.epsilon_spent == Decimal("2.500")
    assert budget.queries == 5
