import re

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.urls import reverse

from users.models import Profile, User

pytestmark = pytest.mark.django_db


def test_registration_page_creates_user_with_profile_and_logs_in(client):
    response = client.post(
        reverse("users:register"),
        {
            "email": "New.Reader@Example.com",
            "display_name": "读者",
            "password": "a-long-pass-phrase",
            "password_again": "a-long-pass-phrase",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.reader@example.com")
    assert Profile.objects.filter(user=user).exists()
    assert client.get(reverse("users:profile")).status_code == 200


def test_passwords_are_hashed_with_argon2(client):
    client.post(
        reverse("users:register"),
        {"email": "a@example.com", "password": "a-long-pass-phrase", "password_again": "a-long-pass-phrase"},
    )
    assert identify_hasher(User.objects.get(email="a@example.com").password).algorithm == "argon2"


def test_registration_with_taken_email_says_so_and_creates_nothing(client, user):
    response = client.post(
        reverse("users:register"),
        {"email": user.email.upper(), "password": "a-long-pass-phrase", "password_again": "a-long-pass-phrase"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.filter(email=user.email).count() == 1


def test_registration_with_weak_password_is_refused(client):
    response = client.post(
        reverse("users:register"),
        {"email": "weak@example.com", "password": "123", "password_again": "123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@example.com").exists()
    assert "too short" in response.content.decode()


def test_login_page_accepts_email_in_any_case_and_logout_ends_session(client, user, password):
    response = client.post(reverse("users:login"), {"username": user.email.upper(), "password": password})
    assert response.status_code == 302
    assert client.get(reverse("users:profile")).status_code == 200
    client.post(reverse("users:logout"))
    assert client.get(reverse("users:profile")).status_code == 302


def test_login_page_with_wrong_password_shows_error(client, user):
    response = client.post(
        reverse("users:login"), {"username": user.email, "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "correct email" in response.content.decode()


def test_password_reset_by_page_sends_link_that_sets_new_password(client, user):
    client.post(reverse("users:password-reset"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "brand-new-secret-9", "new_password2": "brand-new-secret-9"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-secret-9")


def test_profile_page_saves_declared_attributes(client_logged_in, user):
    response = client_logged_in.post(
        reverse("users:profile"),
        {
            "display_name": "小林",
            "preferred_language": "en",
            "birth_year": "1988",
            "gender": "male",
            "region": "四川",
            "occupation": "designer",
            "declared_interests": "history，psychology, ",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "小林"
    assert user.profile.birth_year == 1988
    assert user.profile.declared_interests == ["history", "psychology"]


def test_profile_page_rejects_implausible_birth_year(client_logged_in, user):
    response = client_logged_in.post(
        reverse("users:profile"), {"preferred_language": "en", "birth_year": "1700", "gender": ""}
    )
    assert response.status_code == 200
    user.profile.refresh_from_db()
    assert user.profile.birth_year == 1990
