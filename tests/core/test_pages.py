import pytest

pytestmark = pytest.mark.django_db


def test_home_page_speaks_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-Hans"' in html
    assert "知桥" in html
    assert "登录" in html


def test_home_page_in_english_when_asked(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "Log in" in html


def test_language_switcher_sets_the_language(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "Log in" in client.get("/").content.decode()


def test_partner_portal_link_only_for_members(client, user):
    from tests.factories import MembershipFactory

    client.force_login(user)
    assert "/partner/" not in client.get("/").content.decode()
    MembershipFactory(user=user)
    assert "/partner/" in client.get("/").content.decode()


def test_every_page_template_renders_for_anonymous_visitors(client):
    for url in ["/", "/accounts/login/", "/accounts/register/", "/accounts/password-reset/"]:
        assert client.get(url).status_code == 200, url


def test_account_pages_require_login(client):
    for url in ["/accounts/profile/", "/accounts/consents/", "/partner/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_account_menu_lists_pages_registered_by_higher_apps(client, user):
    client.force_login(user)
    html = client.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/accounts/consents/"' in html
    assert 'href="/accounts/my-data/"' in html
