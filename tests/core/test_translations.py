"""Django merges every app's catalogue into one per language, and the first app (or LOCALE_PATHS)
to translate a message wins everywhere. Each app's Chinese catalogue must therefore be what its
pages really show: the same English text means the same Chinese everywhere, a word that means two
things (a product "Withdrawn" from sale, a consent "Withdrawn" on a date) carries a context, and no
catalogue keeps a copy of a text whose source is gone, where it would still win over the live one."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext


def _catalogues() -> dict[Path, Path]:
    """Each Chinese catalogue, keyed by the folder its source references are relative to."""
    bases = [settings.BASE_DIR] + [settings.BASE_DIR / app for app in settings.DOMAIN_APPS]
    found = {base: base / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po" for base in bases}
    return {base: po for base, po in found.items() if po.exists()}


CATALOGUES = _catalogues()
IDS = [str(po.relative_to(settings.BASE_DIR)) for po in CATALOGUES.values()]


def test_every_app_has_a_chinese_catalogue() -> None:
    missing = set(settings.DOMAIN_APPS) - {base.name for base in CATALOGUES}
    assert not missing, missing


@pytest.mark.parametrize("catalogue", CATALOGUES.values(), ids=IDS)
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


@pytest.mark.parametrize(("base", "catalogue"), CATALOGUES.items(), ids=IDS)
def test_every_text_in_a_catalogue_comes_from_a_file_that_exists(base: Path, catalogue: Path) -> None:
    orphans = [
        f"{entry.msgid!r} from {[path for path, _line in entry.occurrences]}"
        for entry in polib.pofile(str(catalogue))
        if not entry.obsolete
        and entry.occurrences
        and not any((base / path).exists() for path, _line in entry.occurrences)
    ]
    assert not orphans, "\n".join(orphans)
