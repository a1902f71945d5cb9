import re

import pytest
from django.core import mail

from users.models import User

pytestmark = pytest.mark.django_db


def test_api_register_creates_account_and_session(client):
    response = client.post(
        "/api/v1/auth/register/",
        {"email": "api@example.com", "password": "a-long-pass-phrase", "display_name": "A"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["email"] == "api@example.com"
    assert client.get("/api/v1/me/").json()["email"] == "api@example.com"


def test_api_register_weak_password_gets_uniform_error_body(client):
    response = client.post(
        "/api/v1/auth/register/",
        {"email": "api@example.com", "password": "password"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert "password" in error["fields"]
    assert "too common" in error["message"]
    assert not User.objects.filter(email="api@example.com").exists()


def test_api_register_duplicate_email_is_a_clear_error(client, user):
    response = client.post(
        "/api/v1/auth/register/",
        {"email": user.email, "password": "a-long-pass-phrase"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "email_taken"


def test_api_error_messages_follow_the_request_language(client):
    response = client.post(
        "/api/v1/auth/login/",
        {"email": "nobody@example.com", "password": "x"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "邮箱或密码不正确。"


def test_api_login_then_logout(client, user, password):
    response = client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": password}, content_type="application/json"
    )
    assert response.status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_api_login_with_wrong_password_fails(client, user):
    response = client.post(
        "/api/v1/auth/login/", {"email": user.email, "password": "wrong"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_api_password_reset_answers_the_same_for_unknown_addresses(client, user):
    known = client.post("/api/v1/auth/password-reset/", {"email": user.email}, content_type="application/json")
    unknown = client.post(
        "/api/v1/auth/password-reset/", {"email": "ghost@example.com"}, content_type="application/json"
    )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(mail.outbox) == 1


def test_api_password_reset_confirm_sets_password_once(client, user):
    client.post("/api/v1/auth/password-reset/", {"email": user.email}, content_type="application/json")
    uid, token = re.search(r"/accounts/reset/([^/]+)/([^/\s]+)/", mail.outbox[0].body).groups()
    body = {"uid": uid, "token": token, "new_password": "another-good-secret"}
    assert client.post("/api/v1/auth/password-reset/confirm/", body, content_type="application/json").status_code == 200
    user.refresh_from_db()
    assert user.check_password("another-good-secret")
    replay = client.post("/api/v1/auth/password-reset/confirm/", body, content_type="application/json")
    assert replay.status_code == 400


def test_api_profile_patch_validates_and_saves(client_logged_in, user):
    bad = client_logged_in.patch("/api/v1/me/profile/", {"birth_year": 1500}, content_type="application/json")
    assert bad.status_code == 400
    good = client_logged_in.patch(
        "/api/v1/me/profile/", {"birth_year": 1999, "declared_interests": ["history"]}, content_type="application/json"
    )
    assert good.status_code == 200
    user.profile.refresh_from_db()
    assert (user.profile.birth_year, user.profile.declared_interests) == (1999, ["history"])
