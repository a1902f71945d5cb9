"""Django merges every app's catalogue into one per language, and the first app (or LOCALE_PATHS)
to translate a message wins everywhere. Each app's Chinese catalogue must therefore be what its
pages really show: the same English text means the same Chinese everywhere, and a word that means
two things (a product "Withdrawn" from sale, a consent "Withdrawn" on a date) carries a context."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext


def _catalogues() -> list[Path]:
    roots = [Path(p) for p in settings.LOCALE_PATHS] + [
        settings.BASE_DIR / app / "locale" for app in settings.DOMAIN_APPS
    ]
    return [p for root in roots if (p := root / "zh_Hans" / "LC_MESSAGES" / "django.po").exists()]


def test_every_app_has_a_chinese_catalogue() -> None:
    names = {p.parents[3].name for p in _catalogues()}
    assert set(settings.DOMAIN_APPS) <= names | {"locale"}, set(settings.DOMAIN_APPS) - names


@pytest.mark.parametrize("catalogue", _catalogues(), ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_what_a_catalogue_says_is_what_its_pages_show(catalogue: Path) -> None:
    shadowed = []
    with translation.override("zh-hans"):
        for entry in polib.pofile(str(catalogue)):
            if entry.obsolete or entry.fuzzy or not entry.msgstr or entry.msgid_plural:
                continue
            shown = pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else gettext(entry.msgid)
            if shown != entry.msgstr:
                shadowed.append(f"{entry.msgid!r} ({entry.msgctxt or 'no context'}): {entry.msgstr!r}, shown {shown!r}")
    assert not shadowed, "\n".join(shadowed)
