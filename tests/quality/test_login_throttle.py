"""Brute force against logging in is cut off per account and per client address, on the login
page and through the API, with a message in the visitor's language saying when to try again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LIMITS = {"LOGIN_FAILURES_PER_ACCOUNT": 3, "LOGIN_FAILURES_PER_ADDRESS": 6, "LOGIN_FAILURE_WINDOW_SECONDS": 600}


@pytest.fixture(autouse=True)
def _fresh_counts() -> Iterator[None]:
    cache.clear()
    with override_settings(**LIMITS):
        yield
    cache.clear()


def _page_login(client: Client, email: str, password: str, *, lang: str = "en", address: str = "10.0.0.1") -> str:
    response = client.post(
        reverse("users:login"),
        {"username": email, "password": password},
        HTTP_ACCEPT_LANGUAGE=lang,
        REMOTE_ADDR=address,
    )
    return response.content.decode() if response.status_code == 200 else f"redirect:{response.status_code}"


def _api_login(client: Client, email: str, password: str, *, lang: str = "en", address: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/auth/login/",
        {"email": email, "password": password},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=lang,
        REMOTE_ADDR=address,
    )


def test_page_login_refuses_even_the_right_password_after_too_many_failures_for_the_account() -> None:
    user = UserFactory()
    client = Client()
    for _attempt in range(3):
        assert "Too many failed logins" not in _page_login(client, user.email, "wrong-password")
    page = _page_login(client, user.email, PASSWORD)
    assert "Too many failed logins for this account" in page
    assert "_auth_user_id" not in client.session


def test_the_refusal_is_in_chinese_for_a_chinese_visitor() -> None:
    user = UserFactory()
    client = Client()
    for _attempt in range(3):
        _page_login(client, user.email, "wrong-password", lang="zh-hans")
    page = _page_login(client, user.email, PASSWORD, lang="zh-hans")
    assert "登录失败次数过多" in page


def test_a_success_before_the_limit_clears_the_accounts_count() -> None:
    user = UserFactory()
    client = Client()
    for _attempt in range(2):
        _page_login(client, user.email, "wrong-password")
    assert _page_login(client, user.email, PASSWORD) == "redirect:302"
    client.logout()
    for _attempt in range(2):
        _page_login(client, user.email, "wrong-password")
    assert _page_login(client, user.email, PASSWORD) == "redirect:302"


def test_one_address_guessing_many_accounts_is_cut_off_but_other_addresses_are_not() -> None:
    victims = UserFactory.create_batch(3)
    client = Client()
    for victim in victims:
        for _attempt in range(2):
            _page_login(client, victim.email, "wrong-password", address="203.0.113.9")
    fresh = UserFactory()
    assert "Too many failed logins from your network" in _page_login(
        client, fresh.email, PASSWORD, address="203.0.113.9"
    )
    assert _page_login(Client(), fresh.email, PASSWORD, address="198.51.100.7") == "redirect:302"


def test_api_login_answers_429_with_retry_after_and_the_uniform_error_body() -> None:
    user = UserFactory()
    client = Client()
    for _attempt in range(3):
        assert _api_login(client, user.email, "wrong-password").status_code == 400
    response = _api_login(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert "Too many failed logins for this account" in error["message"]


def test_page_and_api_failures_count_against_the_same_account() -> None:
    user = UserFactory()
    client = Client()
    _page_login(client, user.email, "wrong-password")
    _api_login(client, user.email, "wrong-password")
    _page_login(client, user.email, "wrong-password")
    assert _api_login(client, user.email, PASSWORD).status_code == 429
