"""Writing one catalogue record into products, variants, books, contributors, topics and rights.

How a record finds what it updates, in order:

1. the variant an earlier delivery made of the same record reference (``ImportedRecord``);
2. the variant with the record's ISBN-13 (an ISBN in another partner's catalogue is refused);
3. a variant of the partner whose SKU is the record reference (rows exported as CSV without ISBN);
4. a new variant, of the partner's product with the same record reference, or of the product of
   the same work (ONIX ``RelatedWork``, CSV ``work_reference``): the records of one work are the
   formats of one product, one variant per format; otherwise of a new product.

Only values that differ are written, so re-importing a delivery changes nothing.
Product-level fields (title, description, contributors, topics) come from the
last record of a work that carried them; rights are per variant, as rights
rows whose ``formats`` is the variant's format.
"""

from __future__ import annotations

import enum
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.ingest.errors import RecordProblem
from catalog.ingest.records import Action, Block, CatalogRecord, Credit
from catalog.ingest.topics import TopicResolver
from catalog.models import (
    Book,
    Contributor,
    Course,
    ImportedRecord,
    ImportJob,
    Product,
    ProductContributor,
    ProductStatusEvent,
    Rights,
    Variant,
)
from users.models import Partner


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    WITHDRAWN = "withdrawn"
    SKIPPED = "skipped"


class ContributorResolver:
    """Contributor ids by name for one delivery; a person is matched by exact name."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._created: list[str] = []
        self._mark = 0

    def mark(self) -> None:
        self._mark = len(self._created)

    def forget_created(self) -> None:
        for name in self._created[self._mark :]:
            self._ids.pop(name, None)
        del self._created[self._mark :]

    def prefetch(self, names: set[str]) -> None:
        """Look up in one query the people of a batch of records not met yet in this delivery."""
        wanted = names - self._ids.keys()
        if not wanted:
            return
        for pk, name in Contributor.objects.filter(name__in=wanted).order_by("-pk").values_list("pk", "name"):
            self._ids[name] = pk  # the oldest row of a name wins, as in resolve()

    def resolve(self, credit: Credit) -> int:
        if credit.name in self._ids:
            return self._ids[credit.name]
        existing = Contributor.objects.filter(name=credit.name).order_by("pk").values_list("pk", flat=True).first()
        if existing is None:
            digest = hashlib.sha1(credit.name.encode()).hexdigest()[:8]  # noqa: S324 - a name, not a secret
            base = slugify(credit.name)[:100]
            slug = f"{base}-{digest}" if base else f"contributor-{digest}"
            contributor, _created = Contributor.objects.get_or_create(
                slug=slug, defaults={"name": credit.name, "sort_name": credit.sort_name, "bio": credit.bio}
            )
            existing = contributor.pk
            self._created.append(credit.name)
        self._ids[credit.name] = existing
        return existing


@dataclass
class UpsertContext:
    """What one delivery shares between its records."""

    partner: Partner
    job: ImportJob | None = None
    topics: TopicResolver = field(default_factory=TopicResolver)
    contributors: ContributorResolver = field(default_factory=ContributorResolver)

    def record_started(self) -> None:
        self.topics.mark()
        self.contributors.mark()

    def record_rolled_back(self) -> None:
        self.topics.forget_created()
        self.contributors.forget_created()


def _assign(instance: Model, values: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def _variant_by_reference(partner: Partner, reference: str) -> tuple[Variant | None, ImportedRecord | None]:
    mapping = (
        ImportedRecord.objects.select_related("variant__product")
        .filter(partner=partner, record_reference=reference)
        .first()
    )
    if mapping is not None:
        return mapping.variant, mapping
    return None, None


def _variant_by_isbn_or_sku(partner: Partner, record: CatalogRecord) -> Variant | None:
    """The variant with the record's ISBN, else the partner's variant whose SKU is the reference.

    Two indexed lookups: one query with OR across a join would scan every variant."""
    if record.isbn13:
        variant = Variant.objects.select_related("product").filter(isbn13=record.isbn13).first()
        if variant is not None:
            if variant.product.owner_id != partner.pk:
                raise RecordProblem(
                    "ProductIdentifier",
                    _(
                        "ISBN %(isbn)s is already in another partner's catalogue. "
                        "If the rights moved to you, ask us to move it."
                    )
                    % {"isbn": record.isbn13},
                )
            return variant
    return Variant.objects.select_related("product").filter(sku=record.reference, product__owner=partner).first()


def _find_variant(record: CatalogRecord, partner: Partner) -> tuple[Variant | None, ImportedRecord | None]:
    variant, mapping = _variant_by_reference(partner, record.reference)
    if variant is not None:
        return variant, mapping
    variant = _variant_by_isbn_or_sku(partner, record)
    if variant is not None:
        mapping = ImportedRecord.objects.filter(variant=variant).first()
    return variant, mapping


def _kind_for(fmt: str) -> str:
    return Product.Kind.COURSE if fmt == Variant.Format.COURSE else Product.Kind.BOOK


def _find_product(record: CatalogRecord, partner: Partner) -> tuple[Product | None, bool]:
    """The product a new variant joins, and whether it was found through the record's work."""
    if record.work_reference:
        sibling = (
            ImportedRecord.objects.select_related("variant__product")
            .filter(partner=partner, work_reference=record.work_reference)
            .first()
        )
        if sibling is not None:
            return sibling.variant.product, True
        product = Product.objects.filter(owner=partner, record_reference=f"work:{record.work_reference}"[:120]).first()
        if product is not None:
            return product, True
    return Product.objects.filter(owner=partner, record_reference=record.reference).first(), False


def _product_slug(record: CatalogRecord, partner: Partner) -> str:
    key = record.work_reference or record.reference
    digest = hashlib.sha1(f"{partner.pk}:{key}".encode()).hexdigest()[:10]  # noqa: S324 - a name, not a secret
    base = slugify(record.title, allow_unicode=True)[:150].strip("-") or "book"
    return f"{base}-{digest}"


def _sku(record: CatalogRecord, partner: Partner) -> str:
    digest = hashlib.sha1(f"{partner.pk}:{record.reference}".encode()).hexdigest()[:12]  # noqa: S324
    return f"{partner.slug[:40]}-{digest}"


def _product_values(record: CatalogRecord, partner: Partner) -> dict[str, Any]:
    assert record.format is not None
    reference = f"work:{record.work_reference}"[:120] if record.work_reference else record.reference
    return {
        "kind": _kind_for(record.format),
        "owner": partner,
        "title": record.title,
        "subtitle": record.subtitle,
        "slug": _product_slug(record, partner),
        "status": Product.Status.PUBLISHED,
        "record_reference": reference,
        "language": record.language or "zh",
        "description": record.description,
        "cover_url": record.cover_url,
        "publisher_name": record.publisher,
        "imprint": record.imprint,
        "published_on": record.published_on,
    }


def _status_event(product: Product, from_status: str, context: UpsertContext) -> ProductStatusEvent:
    job = context.job
    return ProductStatusEvent(
        product=product,
        from_status=from_status,
        to_status=product.status,
        actor_id=job.created_by_id if job is not None else None,
        source=ProductStatusEvent.Source.IMPORT,
        note=_("Catalogue import %(job)s") % {"job": job.pk} if job is not None else "",
    )


def _new_product(record: CatalogRecord, partner: Partner, context: UpsertContext) -> Product:
    product = Product.objects.create(**_product_values(record, partner))
    if product.kind == Product.Kind.COURSE:
        Course.objects.create(product=product)
    else:
        Book.objects.create(product=product, page_count=record.page_count)
    _status_event(product, "", context).save()
    return product


def _new_variant(
    record: CatalogRecord, partner: Partner, product: Product, *, via_work: bool, fresh: bool
) -> tuple[Variant, bool]:
    """The variant the record becomes, and whether it is new (else the product's variant of that format)."""
    assert record.format is not None
    if product.kind != _kind_for(record.format):
        raise RecordProblem(
            "ProductForm",
            _("The format %(fmt)s cannot be added to %(title)s, which is a %(kind)s.")
            % {"fmt": record.format, "title": product.title, "kind": product.get_kind_display()},
        )
    same_format = None if fresh else product.variants.filter(format=record.format).first()
    if same_format is not None:
        if via_work:
            raise RecordProblem(
                "ProductForm",
                _("Another record of the same work already has the %(fmt)s format; one work has one record per format.")
                % {"fmt": record.format},
            )
        return same_format, False
    assert record.price is not None
    variant = Variant.objects.create(
        product=product,
        format=record.format,
        sku=_sku(record, partner),
        isbn13=record.isbn13,
        price=record.price,
        currency=record.currency,
        list_prices=[p.as_json() for p in record.prices],
        is_active=record.is_active,
    )
    return variant, True


def _withdraw(variant: Variant | None, mapping: ImportedRecord | None, context: UpsertContext) -> Outcome:
    if variant is None:
        return Outcome.UNCHANGED  # nothing of that record here: deleting it again changes nothing
    changed = False
    if variant.is_active:
        variant.is_active = False
        variant.save(update_fields=["is_active"])
        changed = True
    product = variant.product
    if product.status != Product.Status.WITHDRAWN and not product.variants.filter(is_active=True).exists():
        previous = product.status
        product.status = Product.Status.WITHDRAWN
        product.save(update_fields=["status", "updated_at"])
        _status_event(product, previous, context).save()
        changed = True
    if mapping is not None and not mapping.is_withdrawn:
        mapping.is_withdrawn = True
        mapping.last_job = context.job
        mapping.save(update_fields=["is_withdrawn", "last_job", "updated_at"])
    return Outcome.WITHDRAWN if changed else Outcome.UNCHANGED


def record_upsert(*, record: CatalogRecord, context: UpsertContext) -> Outcome:
    """Write ``record`` for ``context.partner``.

    The caller holds the delivery's transaction and a savepoint for this
    record; :class:`RecordProblem` means the record cannot be written."""
    if record.action is Action.IGNORE:
        return Outcome.SKIPPED
    partner = context.partner
    variant, mapping = _find_variant(record, partner)
    if record.action is Action.WITHDRAW:
        return _withdraw(variant, mapping, context)

    created = fresh = False
    if variant is None:
        if Block.DESCRIPTIVE not in record.blocks or Block.SUPPLY not in record.blocks:
            raise RecordProblem(
                "NotificationType",
                _("This partial update (04) is for a record we do not have; send the complete record (03) first."),
            )
        product, via_work = _find_product(record, partner)
        fresh = product is None
        if product is None:
            product = _new_product(record, partner, context)
        variant, created = _new_variant(record, partner, product, via_work=via_work, fresh=fresh)
        mapping = None if created else ImportedRecord.objects.filter(variant=variant).first()
    product = variant.product
    if fresh:
        # A product made just now already has every field; only its relations remain.
        _add_relations(product, variant, record, context)
        ImportedRecord.objects.create(
            partner=partner,
            record_reference=record.reference,
            variant=variant,
            work_reference=record.work_reference,
            last_job=context.job,
        )
        return Outcome.CREATED
    was_withdrawn = mapping is not None and mapping.is_withdrawn
    changed = _update_variant(variant, record, was_withdrawn=was_withdrawn)
    changed = _update_product(product, record, was_withdrawn=was_withdrawn, context=context) or changed
    if Block.DESCRIPTIVE in record.blocks:
        changed = _update_credits(product, record, context) or changed
        changed = _update_topics(product, record, context) or changed
    if Block.PUBLISHING in record.blocks and record.rights is not None:
        changed = _update_rights(product, variant.format, record) or changed
    mapping_values = {
        "variant": variant,
        "work_reference": record.work_reference,
        "is_withdrawn": False,
        "record_reference": record.reference,
    }
    if mapping is None:
        ImportedRecord.objects.create(partner=partner, last_job=context.job, **mapping_values)
    else:
        mapping_changed = _assign(mapping, mapping_values)
        if mapping_changed or changed:
            mapping.last_job = context.job
            mapping.save(update_fields=[*mapping_changed, "last_job", "updated_at"])
    if created:
        return Outcome.CREATED
    return Outcome.UPDATED if changed else Outcome.UNCHANGED


def _desired_credits(record: CatalogRecord, context: UpsertContext) -> list[tuple[int, str, int]]:
    desired: list[tuple[int, str, int]] = []
    seen: set[tuple[int, str]] = set()
    for credit in record.credits:
        contributor_id = context.contributors.resolve(credit)
        if (contributor_id, credit.role) not in seen:
            seen.add((contributor_id, credit.role))
            desired.append((contributor_id, credit.role, len(desired)))
    return desired


def _add_relations(product: Product, variant: Variant, record: CatalogRecord, context: UpsertContext) -> None:
    """Credits, topics and rights of a product created by this record (nothing to compare with)."""
    ProductContributor.objects.bulk_create(
        ProductContributor(product=product, contributor_id=cid, role=role, position=pos)
        for cid, role, pos in _desired_credits(record, context)
    )
    through = Product.topics.through
    through.objects.bulk_create(
        through(product_id=product.pk, topic_id=topic_id) for topic_id in context.topics.resolve(record.subjects)
    )
    Rights.objects.bulk_create(
        Rights(product=product, territories=t.included, excluded_territories=t.excluded, formats=variant.format)
        for t in sorted(set(record.rights or []), key=lambda t: (t.included, t.excluded))
    )


def _update_variant(variant: Variant, record: CatalogRecord, *, was_withdrawn: bool) -> bool:
    values: dict[str, Any] = {}
    if record.isbn13 and record.isbn13 != variant.isbn13:
        if Variant.objects.filter(isbn13=record.isbn13).exclude(pk=variant.pk).exists():
            raise RecordProblem(
                "ProductIdentifier",
                _("ISBN %(isbn)s already belongs to another product; one ISBN is one variant.")
                % {"isbn": record.isbn13},
            )
        values["isbn13"] = record.isbn13
    if Block.DESCRIPTIVE in record.blocks and record.format and record.format != variant.format:
        if variant.product.variants.filter(format=record.format).exclude(pk=variant.pk).exists():
            raise RecordProblem(
                "ProductForm",
                _("The product already has a %(fmt)s variant; a record cannot become a second one.")
                % {"fmt": record.format},
            )
        values["format"] = record.format
    if Block.SUPPLY in record.blocks and record.price is not None:
        values["price"] = record.price
        values["currency"] = record.currency
        values["list_prices"] = [p.as_json() for p in record.prices]
    if Block.PUBLISHING in record.blocks or was_withdrawn:
        values["is_active"] = record.is_active
    changed = _assign(variant, values)
    if changed:
        variant.save(update_fields=changed)
    return bool(changed)


def _update_product(product: Product, record: CatalogRecord, *, was_withdrawn: bool, context: UpsertContext) -> bool:
    values: dict[str, Any] = {}
    if Block.DESCRIPTIVE in record.blocks:
        values.update(title=record.title, subtitle=record.subtitle)
        if record.language:
            values["language"] = record.language
    if Block.COLLATERAL in record.blocks:
        values.update(description=record.description, cover_url=record.cover_url)
    if Block.PUBLISHING in record.blocks:
        values.update(publisher_name=record.publisher, imprint=record.imprint, published_on=record.published_on)
    if was_withdrawn and product.status == Product.Status.WITHDRAWN and record.is_active:
        # A delete notification withdrew it; the partner has sent it again.
        values["status"] = Product.Status.PUBLISHED
    previous_status = product.status
    changed = _assign(product, values)
    if changed:
        product.save(update_fields=[*changed, "updated_at"])
    if "status" in changed:
        _status_event(product, previous_status, context).save()
    if Block.DESCRIPTIVE in record.blocks and record.page_count is not None and product.kind == Product.Kind.BOOK:
        book, _created = Book.objects.get_or_create(product=product)
        if book.page_count != record.page_count:
            book.page_count = record.page_count
            book.save(update_fields=["page_count"])
            changed.append("page_count")
    return bool(changed)


def _update_credits(product: Product, record: CatalogRecord, context: UpsertContext) -> bool:
    desired = _desired_credits(record, context)
    current = list(
        ProductContributor.objects.filter(product=product)
        .order_by("position", "pk")
        .values_list("contributor_id", "role", "position")
    )
    if current == desired:
        return False
    ProductContributor.objects.filter(product=product).delete()
    ProductContributor.objects.bulk_create(
        ProductContributor(product=product, contributor_id=cid, role=role, position=pos) for cid, role, pos in desired
    )
    return True


def _update_topics(product: Product, record: CatalogRecord, context: UpsertContext) -> bool:
    desired = context.topics.resolve(record.subjects)
    current = set(product.topics.values_list("pk", flat=True))
    if current == set(desired):
        return False
    product.topics.set(desired)
    return True


def _update_rights(product: Product, fmt: str, record: CatalogRecord) -> bool:
    assert record.rights is not None
    desired = {(t.included, t.excluded) for t in record.rights}
    rows = Rights.objects.filter(product=product, formats=fmt)
    current = {
        (t, x)
        for t, x, start, end in rows.values_list("territories", "excluded_territories", "valid_from", "valid_to")
        if start is None and end is None
    }
    if current == desired and rows.count() == len(current):
        return False
    rows.delete()
    Rights.objects.bulk_create(
        Rights(product=product, territories=included, excluded_territories=excluded, formats=fmt)
        for included, excluded in sorted(desired)
    )
    return True


# --- Batches ---------------------------------------------------------------------------------------
#
# Most records of a first delivery are new and stand alone: nothing stored has their reference,
# ISBN, SKU or work, and no other record of the batch shares one with them. Those are written
# together, a few inserts per batch instead of a dozen queries per record; every other record
# (an update, a withdrawal, the formats of one work, a conflict to report) goes through
# record_upsert one at a time, in file order.


def _new_and_alone(records: list[CatalogRecord], partner: Partner) -> list[CatalogRecord]:
    """The records of ``records`` that are surely new products and share nothing with the others."""
    refs = Counter(r.reference for r in records)
    isbns = Counter(r.isbn13 for r in records if r.isbn13)
    works = Counter(r.work_reference for r in records if r.work_reference)
    candidates = [
        r
        for r in records
        if r.action is Action.UPSERT
        and Block.DESCRIPTIVE in r.blocks
        and Block.SUPPLY in r.blocks
        and r.format is not None
        and r.price is not None
        and refs[r.reference] == 1
        and (not r.isbn13 or isbns[r.isbn13] == 1)
        and (not r.work_reference or works[r.work_reference] == 1)
    ]
    if not candidates:
        return []
    references = [r.reference for r in candidates]
    work_refs = [r.work_reference for r in candidates if r.work_reference]
    known_refs = set(
        ImportedRecord.objects.filter(partner=partner, record_reference__in=references).values_list(
            "record_reference", flat=True
        )
    )
    known_works = set(
        ImportedRecord.objects.filter(partner=partner, work_reference__in=work_refs).values_list(
            "work_reference", flat=True
        )
    )
    product_refs = set(
        Product.objects.filter(
            owner=partner, record_reference__in=[*references, *(f"work:{w}"[:120] for w in work_refs)]
        ).values_list("record_reference", flat=True)
    )
    known_skus = set(Variant.objects.filter(product__owner=partner, sku__in=references).values_list("sku", flat=True))
    known_isbns = set(
        Variant.objects.filter(isbn13__in=[r.isbn13 for r in candidates if r.isbn13]).values_list("isbn13", flat=True)
    )
    alone = []
    for r in candidates:
        product_ref = f"work:{r.work_reference}"[:120] if r.work_reference else r.reference
        if (
            r.reference in known_refs
            or r.reference in known_skus
            or (r.isbn13 and r.isbn13 in known_isbns)
            or (r.work_reference and r.work_reference in known_works)
            or product_ref in product_refs
            or r.reference in product_refs
        ):
            continue
        alone.append(r)
    return alone


def _create_together(records: list[CatalogRecord], context: UpsertContext) -> None:
    """Create the products of ``records`` (new, standing alone) with a few inserts for them all."""
    partner = context.partner
    context.contributors.prefetch({c.name for r in records for c in r.credits})
    products = Product.objects.bulk_create([Product(**_product_values(r, partner)) for r in records])
    Course.objects.bulk_create(Course(product=p) for p in products if p.kind == Product.Kind.COURSE)
    Book.objects.bulk_create(
        Book(product=p, page_count=r.page_count)
        for p, r in zip(products, records, strict=True)
        if p.kind != Product.Kind.COURSE
    )
    variants = Variant.objects.bulk_create(
        [
            Variant(
                product=p,
                format=r.format or "",
                sku=_sku(r, partner),
                isbn13=r.isbn13,
                price=r.price or Decimal("0"),  # never None: _new_and_alone takes only priced records
                currency=r.currency,
                list_prices=[price.as_json() for price in r.prices],
                is_active=r.is_active,
            )
            for p, r in zip(products, records, strict=True)
        ]
    )
    credits: list[ProductContributor] = []
    topics: list[Any] = []
    rights: list[Rights] = []
    through = Product.topics.through
    for product, variant, record in zip(products, variants, records, strict=True):
        credits.extend(
            ProductContributor(product=product, contributor_id=cid, role=role, position=pos)
            for cid, role, pos in _desired_credits(record, context)
        )
        topics.extend(
            through(product_id=product.pk, topic_id=topic_id) for topic_id in context.topics.resolve(record.subjects)
        )
        rights.extend(
            Rights(product=product, territories=t.included, excluded_territories=t.excluded, formats=variant.format)
            for t in sorted(set(record.rights or []), key=lambda t: (t.included, t.excluded))
        )
    ProductContributor.objects.bulk_create(credits)
    through.objects.bulk_create(topics)
    Rights.objects.bulk_create(rights)
    ImportedRecord.objects.bulk_create(
        ImportedRecord(
            partner=partner,
            record_reference=r.reference,
            variant=v,
            work_reference=r.work_reference,
            last_job=context.job,
        )
        for v, r in zip(variants, records, strict=True)
    )
    ProductStatusEvent.objects.bulk_create(_status_event(p, "", context) for p in products)


def records_create_together(*, records: list[CatalogRecord], context: UpsertContext) -> set[int]:
    """Create in one go the records of a batch that are new and stand alone; the positions of those created.

    The caller holds the delivery's transaction; the others are left to :func:`record_upsert`. If the
    database refuses the batch (a slug or SKU taken meanwhile), nothing of it stays and every record
    is left to :func:`record_upsert`, which reports the one at fault."""
    alone = _new_and_alone(records, context.partner)
    if not alone:
        return set()
    context.record_started()
    try:
        with transaction.atomic():
            _create_together(alone, context)
    except IntegrityError:
        context.record_rolled_back()
        return set()
    return {r.position for r in alone}
