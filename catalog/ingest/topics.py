"""Subjects in a feed → topics of the catalogue.

A topic lists the subject codes that map to it in ``Topic.scheme_codes`` as
``"BISAC:FIC022000"``, ``"THEMA:FFP"`` or ``"KEYWORD:police procedural"``
(upper-case scheme, code as the scheme writes it). A code maps to the topic
that lists it, else to the topic of its broader code (BISAC ``FIC022000`` →
``FIC000000``; Thema ``FFP`` → ``FF`` → ``F``). A keyword, or a CSV topic,
also matches a topic by slug or by its Chinese or English name. A subject
that maps to nothing gets a new topic under "Imported subjects", carrying the
code, so that platform staff can rename or move it and the next delivery
finds it.
"""

from __future__ import annotations

import hashlib

from django.utils.text import slugify

from catalog.ingest.records import Subject
from catalog.models import Topic

IMPORTED_PARENT_SLUG = "imported"
MAX_TOPICS_PER_RECORD = 20


def scheme_key(scheme: str, code: str) -> str:
    return f"{scheme.upper()}:{code.lower() if scheme.upper() == 'KEYWORD' else code.upper()}"


def _broader_codes(scheme: str, code: str) -> list[str]:
    if scheme == "BISAC" and len(code) == 9 and code[3:] != "000000":
        return [code, code[:3] + "000000"]
    if scheme == "THEMA":
        return [code[:n] for n in range(len(code), 0, -1)]
    return [code]


def _imported_slug(scheme: str, code: str) -> str:
    ascii_part = slugify(code)[:36]
    digest = hashlib.sha1(f"{scheme}:{code}".encode()).hexdigest()[:8]  # noqa: S324 - a name, not a secret
    return (
        f"imported-{scheme.lower()}-{ascii_part}-{digest}"[:64] if ascii_part else f"imported-{scheme.lower()}-{digest}"
    )


class TopicResolver:
    """Maps subjects to topic ids for one delivery, creating imported topics as needed.

    It caches what it has read; :meth:`forget_created` drops the topics made
    since :meth:`mark`, for a record whose savepoint was rolled back."""

    def __init__(self) -> None:
        self._by_key: dict[str, int] | None = None
        self._by_name: dict[str, int] = {}
        self._by_slug: dict[str, int] = {}
        self._parent_id: int | None = None
        self._created: list[tuple[str, str, str]] = []
        self._mark = 0

    def _load(self) -> dict[str, int]:
        if self._by_key is None:
            self._by_key = {}
            for topic_id, slug, name, name_en, codes in Topic.objects.values_list(
                "pk", "slug", "name", "name_en", "scheme_codes"
            ):
                for code in codes or []:
                    scheme, _sep, value = str(code).partition(":")
                    self._by_key.setdefault(scheme_key(scheme, value), topic_id)
                self._by_slug[slug] = topic_id
                for label in (name, name_en):
                    if label:
                        self._by_name.setdefault(label.strip().lower(), topic_id)
        return self._by_key

    def mark(self) -> None:
        self._mark = len(self._created)

    def forget_created(self) -> None:
        by_key = self._load()
        for key, slug, name in self._created[self._mark :]:
            by_key.pop(key, None)
            self._by_slug.pop(slug, None)
            self._by_name.pop(name, None)
            if slug == IMPORTED_PARENT_SLUG:
                self._parent_id = None
        del self._created[self._mark :]

    def _parent(self) -> int:
        if self._parent_id is None:
            parent, created = Topic.objects.get_or_create(
                slug=IMPORTED_PARENT_SLUG, defaults={"name": "导入的主题", "name_en": "Imported subjects"}
            )
            self._parent_id = parent.pk
            if created:
                self._created.append(("", IMPORTED_PARENT_SLUG, ""))
        return self._parent_id

    def _find(self, subject: Subject) -> int | None:
        by_key = self._load()
        scheme = subject.scheme.upper()
        if scheme in {"BISAC", "THEMA"}:
            for code in _broader_codes(scheme, subject.code):
                found = by_key.get(scheme_key(scheme, code))
                if found:
                    return found
            return None
        found = by_key.get(scheme_key("KEYWORD", subject.code))
        if found:
            return found
        if scheme == "TOPIC" and subject.code in self._by_slug:
            return self._by_slug[subject.code]
        return self._by_name.get(subject.code.strip().lower())

    def _create(self, subject: Subject) -> int:
        scheme = "KEYWORD" if subject.scheme.upper() == "TOPIC" else subject.scheme.upper()
        key = scheme_key(scheme, subject.code)
        slug = _imported_slug(scheme, subject.code)
        if scheme == "KEYWORD":
            name = subject.code
        else:
            name = f"{subject.label} ({scheme} {subject.code})" if subject.label else f"{scheme} {subject.code}"
        topic, _created = Topic.objects.get_or_create(
            slug=slug,
            defaults={"name": name[:80], "name_en": name[:80], "parent_id": self._parent(), "scheme_codes": [key]},
        )
        self._load()[key] = topic.pk
        self._by_slug[slug] = topic.pk
        self._created.append((key, slug, ""))
        return topic.pk

    def resolve(self, subjects: list[Subject]) -> list[int]:
        ids: list[int] = []
        for subject in subjects:
            topic_id = self._find(subject) or self._create(subject)
            if topic_id not in ids:
                ids.append(topic_id)
            if len(ids) >= MAX_TOPICS_PER_RECORD:
                break
        return ids
