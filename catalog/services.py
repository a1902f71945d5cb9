"""Writes to the catalogue that more than one caller needs."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, ProtectedError, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.isbn import isbn13_normalize, validate_isbn13
from catalog.models import (
    Book,
    BundleItem,
    Chapter,
    Contributor,
    Course,
    Lesson,
    Product,
    ProductContributor,
    ProductStatusEvent,
    Review,
    Rights,
    Topic,
    Variant,
)
from core.errors import Conflict, DomainError
from core.money import CURRENCIES, DEFAULT_CURRENCY, money_quantize
from users.models import Partner, User


def product_rating_refresh(*, product: Product) -> Product:
    """Recompute the stored rating summary of ``product`` from its reviews."""
    summary = Review.objects.filter(product=product).aggregate(avg=Avg("rating"), n=Count("pk"))
    average = Decimal(str(summary["avg"] or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    Product.objects.filter(pk=product.pk).update(rating_average=average, rating_count=summary["n"])
    product.rating_average, product.rating_count = average, summary["n"]
    return product


@transaction.atomic
def review_upsert(*, user: User, product: Product, rating: int, title: str = "", body: str = "") -> Review:
    """Create or replace ``user``'s one review of ``product`` and refresh the summary.

    Whether the user may review (owns the product) is the caller's rule: the
    catalogue does not know about purchases."""
    if not 1 <= int(rating) <= 5:
        raise ValueError("rating must be between 1 and 5")
    review, _created = Review.objects.update_or_create(
        user=user, product=product, defaults={"rating": rating, "title": title, "body": body}
    )
    product_rating_refresh(product=product)
    return review


@transaction.atomic
def review_delete(*, review: Review) -> None:
    product = review.product
    review.delete()
    product_rating_refresh(product=product)


# --- Products: create, change, publish, withdraw ---------------------------------------------------
#
# One write is one transaction: every rule is checked before anything is saved, every
# problem is reported at once under the field it concerns (``variants[1].isbn13``), and
# a failure leaves the catalogue as it was. The same rules hold for the partner API,
# the admin and imports, so they live here rather than in a serializer.

FORMATS_BY_KIND: dict[str, frozenset[str]] = {
    Product.Kind.COURSE: frozenset({Variant.Format.COURSE}),
    Product.Kind.BOOK: frozenset({Variant.Format.EBOOK, Variant.Format.AUDIOBOOK, Variant.Format.PRINT}),
    Product.Kind.BUNDLE: frozenset({Variant.Format.BUNDLE}),
}
# Scalar product fields a caller may set; anything else goes through its own argument.
PRODUCT_FIELDS = frozenset(
    {
        "title",
        "subtitle",
        "slug",
        "description",
        "language",
        "cover_url",
        "publisher_name",
        "imprint",
        "published_on",
        "record_reference",
        "is_featured",
    }
)
COURSE_FIELDS = frozenset({"level", "what_you_learn"})
BOOK_FIELDS = frozenset({"page_count", "edition"})
_TERRITORY = re.compile(r"^[A-Z]{2}$")
_ASCII_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")

# Which status a product may move to from which; publishing needs something to sell.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    Product.Status.DRAFT: frozenset({Product.Status.PUBLISHED, Product.Status.WITHDRAWN}),
    Product.Status.PUBLISHED: frozenset({Product.Status.WITHDRAWN}),
    Product.Status.WITHDRAWN: frozenset({Product.Status.PUBLISHED}),
}


@dataclass(frozen=True)
class VariantInput:
    format: str
    price: Decimal
    currency: str = DEFAULT_CURRENCY
    isbn13: str | None = None
    # Generated from the owner, product and format when left empty.
    sku: str = ""
    is_active: bool = True


@dataclass(frozen=True)
class LessonInput:
    position: int
    title: str
    duration_seconds: int = 0
    media_ref: str = ""
    body: str = ""
    is_free_preview: bool = False


@dataclass(frozen=True)
class ChapterInput:
    number: int
    title: str
    excerpt: str = ""
    page_start: int | None = None
    page_end: int | None = None
    is_free_preview: bool = False


@dataclass(frozen=True)
class RightsInput:
    territories: str = "WORLD"
    excluded_territories: str = ""
    formats: str = ""
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class CreditInput:
    name: str
    role: str


class _Errors:
    """Collects field problems so that a caller sees all of them in one answer."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: object) -> None:
        self.by_field.setdefault(field, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _territory_codes(raw: str) -> list[str]:
    return [code for code in raw.upper().split() if code]


def _check_territories(errors: _Errors, field: str, raw: str, *, world_allowed: bool) -> None:
    given = raw.split()
    for token in given:
        code = token.upper()
        if code == "WORLD" and world_allowed and len(given) == 1:
            continue
        if not _TERRITORY.match(code):
            errors.add(
                field,
                _("%(code)s is not a territory: use WORLD or ISO 3166-1 two-letter codes such as CN HK MO TW.")
                % {"code": token},
            )


def _check_variants(errors: _Errors, *, kind: str, variants: Sequence[VariantInput]) -> None:
    allowed = FORMATS_BY_KIND[kind]
    seen: set[str] = set()
    for i, v in enumerate(variants):
        where = f"variants[{i}]"
        if v.format not in allowed:
            errors.add(
                f"{where}.format",
                _("A %(kind)s cannot be sold as %(format)s; use one of: %(allowed)s.")
                % {"kind": Product.Kind(kind).label, "format": v.format, "allowed": ", ".join(sorted(allowed))},
            )
        if v.format in seen:
            errors.add(f"{where}.format", _("Only one variant per format: %(format)s appears twice.") % v.__dict__)
        seen.add(v.format)
        if not isinstance(v.price, Decimal):
            errors.add(f"{where}.price", _("A price must be a decimal amount such as 49.00."))
        elif v.price < 0:
            errors.add(f"{where}.price", _("A price cannot be negative."))
        elif v.price != money_quantize(v.price):
            errors.add(f"{where}.price", _("A price has at most two decimal places."))
        if v.currency not in {code for code, _label in CURRENCIES}:
            errors.add(f"{where}.currency", _("%(currency)s is not a currency we sell in.") % v.__dict__)
        if v.isbn13:
            try:
                validate_isbn13(v.isbn13)
            except ValidationError as exc:
                for message in exc.messages:
                    errors.add(f"{where}.isbn13", message)
            if v.format == Variant.Format.COURSE:
                errors.add(f"{where}.isbn13", _("A course has no ISBN."))


def _check_lessons(errors: _Errors, *, lessons: Sequence[LessonInput]) -> None:
    positions: set[int] = set()
    for i, lesson in enumerate(lessons):
        if lesson.position < 1:
            errors.add(f"lessons[{i}].position", _("Lesson positions start at 1."))
        if lesson.position in positions:
            errors.add(f"lessons[{i}].position", _("Two lessons have position %(n)s.") % {"n": lesson.position})
        positions.add(lesson.position)
        if not lesson.title.strip():
            errors.add(f"lessons[{i}].title", _("A lesson needs a title."))
        if lesson.duration_seconds < 0:
            errors.add(f"lessons[{i}].duration_seconds", _("A duration cannot be negative."))


def _check_chapters(errors: _Errors, *, chapters: Sequence[ChapterInput]) -> None:
    numbers: set[int] = set()
    for i, chapter in enumerate(chapters):
        if chapter.number < 1:
            errors.add(f"chapters[{i}].number", _("Chapter numbers start at 1."))
        if chapter.number in numbers:
            errors.add(f"chapters[{i}].number", _("Two chapters have number %(n)s.") % {"n": chapter.number})
        numbers.add(chapter.number)
        if not chapter.title.strip():
            errors.add(f"chapters[{i}].title", _("A chapter needs a title."))
        if chapter.page_start is not None and chapter.page_end is not None and chapter.page_end < chapter.page_start:
            errors.add(
                f"chapters[{i}].page_end",
                _("The last page (%(end)s) comes before the first page (%(start)s).")
                % {"end": chapter.page_end, "start": chapter.page_start},
            )


def _check_rights(errors: _Errors, *, rights: Sequence[RightsInput]) -> None:
    known_formats = set(Variant.Format.values)
    for i, r in enumerate(rights):
        where = f"rights[{i}]"
        if not _territory_codes(r.territories):
            errors.add(f"{where}.territories", _("Name at least one territory, or WORLD."))
        _check_territories(errors, f"{where}.territories", r.territories, world_allowed=True)
        _check_territories(errors, f"{where}.excluded_territories", r.excluded_territories, world_allowed=False)
        for fmt in r.formats.split():
            if fmt not in known_formats:
                errors.add(
                    f"{where}.formats",
                    _("%(format)s is not a format; use %(known)s, or leave empty for all formats.")
                    % {"format": fmt, "known": ", ".join(sorted(known_formats))},
                )
        if r.valid_from and r.valid_to and r.valid_to < r.valid_from:
            errors.add(
                f"{where}.valid_to",
                _("The rights end (%(to)s) before they start (%(start)s).")
                % {"to": r.valid_to.isoformat(), "start": r.valid_from.isoformat()},
            )


def rights_problems(*, rights: RightsInput) -> dict[str, list[str]]:
    """What is wrong with one rights row, by field (empty when it is right); for forms."""
    errors = _Errors()
    _check_rights(errors, rights=[rights])
    return {field.removeprefix("rights[0]."): messages for field, messages in errors.by_field.items()}


def _bundleable_variants(*, owner: Partner, skus: Sequence[str], errors: _Errors) -> list[Variant]:
    """The variants named by ``skus`` that the platform may sell inside ``owner``'s bundle.

    An item must be an active, published, non-bundle variant with rights that have not
    run out for its format. A partner bundles only its own variants; the platform may
    bundle any partner's (the contracts with partners cover that)."""
    today = timezone.localdate()
    found = {v.sku: v for v in Variant.objects.select_related("product", "product__owner").filter(sku__in=list(skus))}
    items: list[Variant] = []
    for i, sku in enumerate(skus):
        where = f"bundle_items[{i}]"
        variant = found.get(sku)
        if variant is None:
            errors.add(where, _("No variant has the SKU %(sku)s.") % {"sku": sku})
            continue
        if owner.kind != Partner.Kind.PLATFORM and variant.product.owner_id != owner.pk:
            # Another partner's variant is as good as absent to this partner.
            errors.add(where, _("No variant has the SKU %(sku)s.") % {"sku": sku})
            continue
        if variant.format == Variant.Format.BUNDLE:
            errors.add(where, _("A bundle cannot contain another bundle (%(sku)s).") % {"sku": sku})
            continue
        rights_left = Rights.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=today),
            Q(formats="") | Q(formats__contains=variant.format),
            product_id=variant.product_id,
        ).exists()
        if not (variant.is_active and variant.product.status == Product.Status.PUBLISHED and rights_left):
            errors.add(
                where,
                _("%(sku)s cannot be sold: it must be active, published and have rights in force.") % {"sku": sku},
            )
            continue
        if sku in {v.sku for v in items}:
            errors.add(where, _("%(sku)s is in the bundle twice.") % {"sku": sku})
            continue
        items.append(variant)
    return items


def _slug_available(slug: str, *, exclude_pk: int | None) -> bool:
    taken = Product.objects.filter(slug=slug)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    return not taken.exists()


def _slug_for(title: str, kind: str) -> str:
    """An ASCII slug (the storefront URL) from the title, or a stable one from a hash for CJK titles."""
    base = slugify(title)[:80].strip("-")
    if not base:
        base = f"{kind}-{hashlib.sha1(title.encode()).hexdigest()[:10]}"  # noqa: S324 -- a name, not a secret
    slug, n = base, 2
    while not _slug_available(slug, exclude_pk=None):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _contributor_for(name: str) -> Contributor:
    """The contributor called ``name``, created on first mention."""
    existing = Contributor.objects.filter(name=name).order_by("pk").first()
    if existing is not None:
        return existing
    base = slugify(name)[:100] or f"c-{hashlib.sha1(name.encode()).hexdigest()[:10]}"  # noqa: S324
    slug, n = base, 2
    while Contributor.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return Contributor.objects.create(name=name, slug=slug)


def _check_fields(errors: _Errors, *, fields: Mapping[str, Any], owner: Partner, product: Product | None) -> None:
    unknown = set(fields) - PRODUCT_FIELDS
    for name in sorted(unknown):
        errors.add(name, _("This field cannot be set here."))
    if "title" in fields and not str(fields["title"] or "").strip():
        errors.add("title", _("A product needs a title."))
    slug = fields.get("slug")
    if slug:
        if not _ASCII_SLUG.match(slug):
            errors.add("slug", _("A slug may use only letters a–z, digits, hyphens and underscores."))
        elif not _slug_available(slug, exclude_pk=product.pk if product else None):
            errors.add("slug", _("Another product already uses the slug %(slug)s.") % {"slug": slug})
    reference = fields.get("record_reference")
    if reference:
        taken = Product.objects.filter(owner=owner, record_reference=reference)
        if product is not None:
            taken = taken.exclude(pk=product.pk)
        if taken.exists():
            errors.add("record_reference", _("Another of your products has this record reference."))


def _check_isbns_free(errors: _Errors, *, variants: Sequence[VariantInput], product: Product | None) -> None:
    wanted = {isbn13_normalize(v.isbn13): i for i, v in enumerate(variants) if v.isbn13}
    taken = Variant.objects.filter(isbn13__in=list(wanted))
    if product is not None:
        taken = taken.exclude(product=product)
    for isbn in taken.values_list("isbn13", flat=True):
        if isbn is None:
            continue
        errors.add(f"variants[{wanted[isbn]}].isbn13", _("ISBN %(isbn)s belongs to another product.") % {"isbn": isbn})
    skus = {v.sku: i for i, v in enumerate(variants) if v.sku}
    taken_skus = Variant.objects.filter(sku__in=list(skus))
    if product is not None:
        taken_skus = taken_skus.exclude(product=product)
    for sku in taken_skus.values_list("sku", flat=True):
        errors.add(f"variants[{skus[sku]}].sku", _("SKU %(sku)s belongs to another product.") % {"sku": sku})


def _topics_for(errors: _Errors, slugs: Sequence[str]) -> list[Topic]:
    topics = {t.slug: t for t in Topic.objects.filter(slug__in=list(slugs))}
    for slug in slugs:
        if slug not in topics:
            errors.add("topics", _("There is no topic %(slug)s.") % {"slug": slug})
    return [topics[s] for s in slugs if s in topics]


def _write_variants(product: Product, variants: Sequence[VariantInput]) -> None:
    """Upsert by format; a format left out is deactivated, never deleted (orders point at it)."""
    existing = {v.format: v for v in product.variants.all()}
    for v in variants:
        values = {
            "price": money_quantize(v.price),
            "currency": v.currency,
            "isbn13": isbn13_normalize(v.isbn13) if v.isbn13 else None,
            "is_active": v.is_active,
        }
        current = existing.pop(v.format, None)
        if current is None:
            sku = v.sku or f"{product.owner.slug[:24]}-{product.pk}-{v.format}".upper()
            Variant.objects.create(product=product, format=v.format, sku=sku, **values)
        else:
            if v.sku:
                values["sku"] = v.sku
            Variant.objects.filter(pk=current.pk).update(**values)
    if existing:
        Variant.objects.filter(pk__in=[v.pk for v in existing.values()]).update(is_active=False)


def _write_numbered(
    errors: _Errors,
    *,
    model: type[Lesson] | type[Chapter],
    parent: dict[str, Any],
    key: str,
    rows: Sequence[LessonInput] | Sequence[ChapterInput],
    field: str,
) -> None:
    """Replace a course's lessons (by position) or a book's chapters (by number)."""
    manager = model._default_manager
    wanted = {getattr(row, key): row for row in rows}
    stale = manager.filter(**parent).exclude(**{f"{key}__in": list(wanted)})
    try:
        stale.delete()
    except ProtectedError:
        errors.add(field, _("Some of the removed items are still in use and cannot be deleted."))
        errors.raise_if_any()
    existing = set(manager.filter(**parent).values_list(key, flat=True))
    for number, row in wanted.items():
        values = {k: v for k, v in row.__dict__.items() if k != key}
        if number in existing:
            manager.filter(**parent, **{key: number}).update(**values)
        else:
            manager.create(**parent, **{key: number}, **values)


def _write_children(
    product: Product,
    errors: _Errors,
    *,
    variants: Sequence[VariantInput] | None,
    lessons: Sequence[LessonInput] | None,
    chapters: Sequence[ChapterInput] | None,
    rights: Sequence[RightsInput] | None,
    credits: Sequence[CreditInput] | None,
    topics: list[Topic] | None,
    bundle_items: list[Variant] | None,
    details: Mapping[str, Any],
) -> None:
    if product.kind == Product.Kind.COURSE:
        course, _created = Course.objects.get_or_create(product=product)
        course_values = {k: v for k, v in details.items() if k in COURSE_FIELDS}
        if course_values:
            Course.objects.filter(pk=course.pk).update(**course_values)
        if lessons is not None:
            _write_numbered(
                errors, model=Lesson, parent={"course": course}, key="position", rows=lessons, field="lessons"
            )
    elif product.kind == Product.Kind.BOOK:
        book, _created = Book.objects.get_or_create(product=product)
        book_values = {k: v for k, v in details.items() if k in BOOK_FIELDS}
        if book_values:
            Book.objects.filter(pk=book.pk).update(**book_values)
        if chapters is not None:
            _write_numbered(errors, model=Chapter, parent={"book": book}, key="number", rows=chapters, field="chapters")
    if variants is not None:
        _write_variants(product, variants)
    if rights is not None:
        product.rights.all().delete()
        Rights.objects.bulk_create(
            [
                Rights(
                    product=product,
                    territories=" ".join(_territory_codes(r.territories)),
                    excluded_territories=" ".join(_territory_codes(r.excluded_territories)),
                    formats=" ".join(r.formats.split()),
                    valid_from=r.valid_from,
                    valid_to=r.valid_to,
                )
                for r in rights
            ]
        )
    if credits is not None:
        product.credits.all().delete()
        for position, credit in enumerate(credits):
            ProductContributor.objects.get_or_create(
                product=product,
                contributor=_contributor_for(credit.name.strip()),
                role=credit.role,
                defaults={"position": position},
            )
    if topics is not None:
        product.topics.set(topics)
    if bundle_items is not None:
        product.bundle_items.all().delete()
        BundleItem.objects.bulk_create(
            [BundleItem(bundle=product, variant=v, position=i) for i, v in enumerate(bundle_items)]
        )


def _check_write(
    *,
    owner: Partner,
    kind: str,
    product: Product | None,
    fields: Mapping[str, Any],
    details: Mapping[str, Any],
    variants: Sequence[VariantInput] | None,
    lessons: Sequence[LessonInput] | None,
    chapters: Sequence[ChapterInput] | None,
    rights: Sequence[RightsInput] | None,
    credits: Sequence[CreditInput] | None,
    topic_slugs: Sequence[str] | None,
    bundle_item_skus: Sequence[str] | None,
) -> tuple[_Errors, list[Topic] | None, list[Variant] | None]:
    errors = _Errors()
    _check_fields(errors, fields=fields, owner=owner, product=product)
    allowed_details: frozenset[str] = frozenset()
    if kind == Product.Kind.COURSE:
        allowed_details = COURSE_FIELDS
    elif kind == Product.Kind.BOOK:
        allowed_details = BOOK_FIELDS
    for name in sorted(set(details) - allowed_details):
        errors.add(name, _("A %(kind)s has no %(field)s.") % {"kind": Product.Kind(kind).label, "field": name})
    if "level" in details and details["level"] not in Course.Level.values:
        errors.add("level", _("Choose a level: %(levels)s.") % {"levels": ", ".join(Course.Level.values)})
    if variants is not None:
        _check_variants(errors, kind=kind, variants=variants)
        _check_isbns_free(errors, variants=variants, product=product)
    if lessons is not None:
        if kind != Product.Kind.COURSE:
            errors.add("lessons", _("Only a course has lessons."))
        _check_lessons(errors, lessons=lessons)
    if chapters is not None:
        if kind != Product.Kind.BOOK:
            errors.add("chapters", _("Only a book has chapters."))
        _check_chapters(errors, chapters=chapters)
    if rights is not None:
        _check_rights(errors, rights=rights)
    if credits is not None:
        roles = set(ProductContributor.Role.values)
        for i, credit in enumerate(credits):
            if not credit.name.strip():
                errors.add(f"contributors[{i}].name", _("A contributor needs a name."))
            if credit.role not in roles:
                errors.add(
                    f"contributors[{i}].role",
                    _("Choose a role: %(roles)s.") % {"roles": ", ".join(ProductContributor.Role.values)},
                )
    topics = _topics_for(errors, topic_slugs) if topic_slugs is not None else None
    items: list[Variant] | None = None
    if bundle_item_skus is not None:
        if kind != Product.Kind.BUNDLE:
            errors.add("bundle_items", _("Only a bundle contains items."))
        items = _bundleable_variants(owner=owner, skus=bundle_item_skus, errors=errors)
    return errors, topics, items


@transaction.atomic
def product_create(
    *,
    owner: Partner,
    kind: str,
    fields: Mapping[str, Any],
    variants: Sequence[VariantInput] = (),
    details: Mapping[str, Any] | None = None,
    lessons: Sequence[LessonInput] = (),
    chapters: Sequence[ChapterInput] = (),
    rights: Sequence[RightsInput] = (),
    credits: Sequence[CreditInput] = (),
    topic_slugs: Sequence[str] = (),
    bundle_item_skus: Sequence[str] = (),
    source: str = ProductStatusEvent.Source.API,
    actor: User | None = None,
) -> Product:
    """Create a draft ``kind`` product owned by ``owner`` with everything it is made of.

    Raises ``ValidationError`` with every problem keyed by field, saving nothing."""
    details = details or {}
    if kind not in Product.Kind.values:
        raise ValidationError({"kind": [_("Choose a kind: course, book or bundle.")]})
    errors, topics, items = _check_write(
        owner=owner,
        kind=kind,
        product=None,
        fields=fields,
        details=details,
        variants=variants,
        lessons=lessons if kind == Product.Kind.COURSE or lessons else None,
        chapters=chapters if kind == Product.Kind.BOOK or chapters else None,
        rights=rights,
        credits=credits,
        topic_slugs=topic_slugs,
        bundle_item_skus=bundle_item_skus if kind == Product.Kind.BUNDLE or bundle_item_skus else None,
    )
    if not str(fields.get("title") or "").strip():
        errors.add("title", _("A product needs a title."))
    errors.raise_if_any()
    values = {k: v for k, v in fields.items() if k in PRODUCT_FIELDS}
    values["slug"] = values.get("slug") or _slug_for(str(values["title"]), kind)
    try:
        product = Product.objects.create(owner=owner, kind=kind, status=Product.Status.DRAFT, **values)
        product_status_record(product=product, from_status="", source=source, actor=actor)
        _write_children(
            product,
            errors,
            variants=variants,
            lessons=lessons,
            chapters=chapters,
            rights=rights,
            credits=credits,
            topics=topics,
            bundle_items=items,
            details=details,
        )
    except IntegrityError as exc:
        # Someone else took the slug, SKU or ISBN between the check and the write.
        raise Conflict(_("Another change to the catalogue got there first; send the request again.")) from exc
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    fields: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    variants: Sequence[VariantInput] | None = None,
    lessons: Sequence[LessonInput] | None = None,
    chapters: Sequence[ChapterInput] | None = None,
    rights: Sequence[RightsInput] | None = None,
    credits: Sequence[CreditInput] | None = None,
    topic_slugs: Sequence[str] | None = None,
    bundle_item_skus: Sequence[str] | None = None,
) -> Product:
    """Change ``product``; a list that is given replaces what is there, ``None`` leaves it alone.

    Variants are matched by format (a format left out is deactivated), lessons by
    position and chapters by number. A published product keeps being sellable only if
    it still has an active variant. Raises ``ValidationError``, saving nothing."""
    fields, details = fields or {}, details or {}
    locked = Product.objects.select_for_update().select_related("owner").get(pk=product.pk)
    errors, topics, items = _check_write(
        owner=locked.owner,
        kind=locked.kind,
        product=locked,
        fields=fields,
        details=details,
        variants=variants,
        lessons=lessons,
        chapters=chapters,
        rights=rights,
        credits=credits,
        topic_slugs=topic_slugs,
        bundle_item_skus=bundle_item_skus,
    )
    if variants is not None and locked.status == Product.Status.PUBLISHED and not any(v.is_active for v in variants):
        errors.add("variants", _("A published product needs at least one active variant; withdraw it instead."))
    errors.raise_if_any()
    values = {k: v for k, v in fields.items() if k in PRODUCT_FIELDS}
    try:
        for name, value in values.items():
            setattr(locked, name, value)
        if values:
            locked.save(update_fields=[*values, "updated_at"])
        _write_children(
            locked,
            errors,
            variants=variants,
            lessons=lessons,
            chapters=chapters,
            rights=rights,
            credits=credits,
            topics=topics,
            bundle_items=items,
            details=details,
        )
        if not values:
            Product.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    except IntegrityError as exc:
        raise Conflict(_("Another change to the catalogue got there first; send the request again.")) from exc
    errors.raise_if_any()
    return locked


def _publish_problem(product: Product) -> str | None:
    if not product.variants.filter(is_active=True).exists():
        return str(_("%(title)s has no active variant to sell.") % {"title": product.title})
    if product.kind == Product.Kind.BUNDLE and not product.bundle_items.exists():
        return str(_("%(title)s is a bundle with nothing in it.") % {"title": product.title})
    return None


def product_status_record(
    *,
    product: Product,
    from_status: str,
    source: str,
    actor: User | None = None,
    note: str = "",
) -> ProductStatusEvent:
    """Append the event for ``product`` having just moved from ``from_status`` to its current status.

    ``from_status`` is empty for the status a product was created with."""
    return ProductStatusEvent.objects.create(
        product=product,
        from_status=from_status,
        to_status=product.status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        source=source,
        note=note,
    )


@transaction.atomic
def product_status_set(
    *,
    product: Product,
    status: str,
    source: str = ProductStatusEvent.Source.API,
    actor: User | None = None,
    note: str = "",
) -> Product:
    """Move ``product`` to ``status`` along ``STATUS_TRANSITIONS``; the same status again is a no-op.

    Every move appends a :class:`ProductStatusEvent` saying who (``actor``) and what (``source``) made it."""
    locked = Product.objects.select_for_update().get(pk=product.pk)
    if locked.status == status:
        return locked
    if status not in STATUS_TRANSITIONS.get(locked.status, frozenset()):
        raise Conflict(
            _("A %(current)s product cannot become %(new)s.")
            % {"current": locked.get_status_display(), "new": Product.Status(status).label},
            code="invalid_transition",
        )
    if status == Product.Status.PUBLISHED:
        problem = _publish_problem(locked)
        if problem:
            raise DomainError(problem, code="not_publishable")
    previous = locked.status
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    product_status_record(product=locked, from_status=previous, source=source, actor=actor, note=note)
    return locked


def product_publish(
    *, product: Product, source: str = ProductStatusEvent.Source.API, actor: User | None = None
) -> Product:
    return product_status_set(product=product, status=Product.Status.PUBLISHED, source=source, actor=actor)


def product_withdraw(
    *, product: Product, source: str = ProductStatusEvent.Source.API, actor: User | None = None
) -> Product:
    """Stop selling ``product``. Buyers keep what they bought; it simply leaves every sellable listing."""
    return product_status_set(product=product, status=Product.Status.WITHDRAWN, source=source, actor=actor)


def products_status_set(
    *,
    products: Iterable[Product],
    status: str,
    source: str = ProductStatusEvent.Source.ADMIN,
    actor: User | None = None,
) -> tuple[list[Product], dict[str, str]]:
    """Move each of ``products`` to ``status``; returns those moved and, by title, why the others were not.

    Each product is its own transaction: one that cannot move does not hold back the rest."""
    moved: list[Product] = []
    refused: dict[str, str] = {}
    for product in products:
        try:
            moved.append(product_status_set(product=product, status=status, source=source, actor=actor))
        except DomainError as exc:
            refused[product.title] = exc.message
    return moved, refused


def products_feature(*, products: QuerySet[Product], featured: bool) -> int:
    return products.update(is_featured=featured, updated_at=timezone.now())
