"""Every form that posts carries Django's CSRF token, in every template of the project; and
the middleware that checks it is on. A new template with a bare POST form fails here."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post[\"']?[^>]*>(.*?)</form>", re.IGNORECASE | re.DOTALL)


def _templates() -> list[Path]:
    found = list((ROOT / "templates").rglob("*.html"))
    for app in settings.DOMAIN_APPS:
        found += list((ROOT / app / "templates").rglob("*.html"))
    return sorted(found)


def test_the_project_has_post_forms_to_check() -> None:
    assert sum(len(POST_FORM.findall(p.read_text(encoding="utf-8"))) for p in _templates()) > 10


def test_every_post_form_in_every_template_carries_the_csrf_token() -> None:
    bare = []
    for path in _templates():
        for body in POST_FORM.findall(path.read_text(encoding="utf-8")):
            if "csrf_token" not in body:
                bare.append(f"{path.relative_to(ROOT)}: {body.strip()[:80]!r}")
    assert not bare, "POST forms without {% csrf_token %}:\n" + "\n".join(bare)


def test_csrf_checking_is_on_for_every_request() -> None:
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
