"""What a partner reads on a statement: the summary from what was brought forward to what is
payable, and each line's format in the reader's language, on the page and in the PDF."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from settlements.selectors import statement_summary
from tests.factories import MembershipFactory, UserFactory
from tests.factories.settlements import settled_publisher

pytestmark = pytest.mark.django_db


def test_the_summary_accounts_for_every_amount_between_what_was_brought_forward_and_what_is_payable() -> None:
    _press, (november, october) = settled_publisher()
    for statement in (november, october):
        with translation.override("en"):
            rows = {label: amount for label, amount, _total in statement_summary(statement=statement)}
        # payable + carried forward is the sum of everything above them (Statement's contract).
        above = sum((a for label, a in rows.items() if label not in ("Payable", "Carried forward")), Decimal(0))
        assert above == statement.payable + statement.carried_forward
        # Earnings and payable always; anything else only where it is not zero.
        assert {"Earnings", "Payable", "Reserve held", "Withholding tax"} <= set(rows)
        assert "Advance recouped" not in rows
        assert all(amount for label, amount in rows.items() if label not in ("Earnings", "Payable"))


def test_the_statement_page_shows_the_summary_and_each_lines_format_in_the_readers_language() -> None:
    press, (november, _october) = settled_publisher()
    client = Client()
    client.force_login(MembershipFactory(partner=press, user=UserFactory()).user)
    url = reverse("settlements:portal-statement", args=[press.slug, november.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    with translation.override("zh-hans"):
        for label, amount, _total in statement_summary(statement=november):
            assert label in page and str(amount) in page
    assert ">电子书<" in page and ">纸质书<" in page and ">课程<" in page
    assert ">ebook<" not in page
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Ebook<" in english and ">Print<" in english
