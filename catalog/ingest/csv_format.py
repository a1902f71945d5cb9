"""The catalogue as CSV: for partners without ONIX, and for exporting.

One row is one variant (one format of one book or course). The columns are
:data:`COLUMNS`; the export writes the same columns, so an exported file
imports back without changing anything. UTF-8 (with or without BOM) is
expected; GB 18030 (what spreadsheet programs save on Chinese systems) is
recognised too.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.ingest import records as r
from catalog.ingest.errors import CatalogFileRejected
from catalog.ingest.markup import description_from_feed
from catalog.models import ImportedRecord, Product, ProductContributor, Rights, Variant
from users.models import Partner

Role = ProductContributor.Role
ROLE_COLUMNS = {
    "authors": Role.AUTHOR,
    "translators": Role.TRANSLATOR,
    "narrators": Role.NARRATOR,
    "editors": Role.EDITOR,
    "instructors": Role.INSTRUCTOR,
}
COLUMNS: dict[str, object] = {
    "record_reference": gettext_lazy("Your stable identifier for this row (required)."),
    "action": gettext_lazy("Empty or 'upsert' to create or update; 'withdraw' to take it off sale."),
    "isbn13": gettext_lazy("ISBN-13 (check digit verified), if it has one."),
    "format": gettext_lazy("ebook, audiobook, print or course (required)."),
    "title": gettext_lazy("Title (required)."),
    "subtitle": gettext_lazy("Subtitle."),
    "authors": gettext_lazy("Names separated by semicolons."),
    "translators": gettext_lazy("Names separated by semicolons."),
    "narrators": gettext_lazy("Names separated by semicolons."),
    "editors": gettext_lazy("Names separated by semicolons."),
    "instructors": gettext_lazy("Names separated by semicolons."),
    "language": gettext_lazy("ISO 639 code: zh, en (or chi, eng)."),
    "topics": gettext_lazy("Topic slugs or names, BISAC:CODE or THEMA:CODE, separated by semicolons."),
    "description": gettext_lazy("Description: plain text or simple HTML."),
    "publisher": gettext_lazy("Publisher."),
    "imprint": gettext_lazy("Imprint."),
    "published_on": gettext_lazy("Publication date, YYYY-MM-DD."),
    "page_count": gettext_lazy("Number of pages."),
    "price": gettext_lazy("Price, e.g. 49.00 (required)."),
    "currency": gettext_lazy("CNY (default), USD, EUR or HKD."),
    "territories": gettext_lazy("Where it may be sold: WORLD or country codes such as CN HK MO (required)."),
    "excluded_territories": gettext_lazy("Country codes taken out of the territories."),
    "cover_url": gettext_lazy("Web address of the cover image."),
    "work_reference": gettext_lazy("Rows with the same work reference are formats of one product."),
    "active": gettext_lazy("yes (default) or no."),
}
REQUIRED_COLUMNS = ("record_reference", "format", "title", "price", "territories")
EXAMPLE_REFERENCE = "EXAMPLE-DELETE-THIS-ROW"
EXAMPLE_ROW = {
    "record_reference": EXAMPLE_REFERENCE,
    "isbn13": "9787508647357",
    "format": "ebook",
    "title": "人类简史",
    "subtitle": "从动物到上帝",
    "authors": "尤瓦尔·赫拉利",
    "translators": "林俊宏",
    "language": "zh",
    "topics": "THEMA:NH; 历史",
    "description": "一部关于人类的简史。",
    "publisher": "中信出版社",
    "published_on": "2014-11-01",
    "page_count": "440",
    "price": "49.00",
    "currency": "CNY",
    "territories": "CN HK MO",
    "active": "yes",
}
TRUE_WORDS = frozenset({"", "yes", "y", "true", "1", "是"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "否"})
SNIFF_BYTES = 64 * 1024
_FORMULA_START = ("=", "+", "-", "@")


def _split_names(value: str) -> list[str]:
    for separator in ("；", "|"):
        value = value.replace(separator, ";")
    return [name.strip() for name in value.split(";") if name.strip()]


def _cell(value: str) -> str:
    """A cell as typed; a leading apostrophe that guarded a formula (see :func:`_safe`) is dropped."""
    value = value.strip()
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START:
        return value[1:]
    return value


def _safe(value: object) -> str:
    """Spreadsheet programs run cells that start with = + - @ as formulas: quote them."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


# --- Reading ------------------------------------------------------------------------------------------


def _encoding(stream: IO[bytes]) -> str:
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if head.startswith(b"PK\x03\x04"):
        raise CatalogFileRejected(
            _("This is a spreadsheet workbook, not CSV. Save it as “CSV UTF-8” and upload that file.")
        )
    if head.lstrip().startswith(b"<"):
        raise CatalogFileRejected(_("This looks like XML, not CSV. Choose the ONIX format to upload it."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=len(head) < SNIFF_BYTES)
        except UnicodeDecodeError:
            continue
        return encoding
    raise CatalogFileRejected(_("The file is not text in UTF-8 or GB 18030. Save it as “CSV UTF-8”."))


def _header(row: list[str]) -> list[str]:
    names = [name.strip().lower().lstrip("\ufeff") for name in row]
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        raise CatalogFileRejected(
            _("Unknown columns: %(cols)s. Download the template to see the columns we read.")
            % {"cols": ", ".join(unknown[:10])}
        )
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if missing:
        raise CatalogFileRejected(
            _("Required columns are missing: %(cols)s. Download the template to see the columns we read.")
            % {"cols": ", ".join(missing)}
        )
    duplicated = {n for n in names if n and names.count(n) > 1}
    if duplicated:
        raise CatalogFileRejected(_("Columns appear twice: %(cols)s.") % {"cols": ", ".join(sorted(duplicated))})
    return names


def csv_read(stream: IO[bytes]) -> Iterator[tuple[r.CatalogRecord | None, list[r.RecordError]]]:
    """Yield ``(record, [])`` per good row and ``(None, errors)`` per bad row; blank rows are skipped.

    Raises :class:`CatalogFileRejected` when the file as a whole is unreadable."""
    text = io.TextIOWrapper(stream, encoding=_encoding(stream), newline="")
    reader = csv.reader(text)
    position = 0
    try:
        try:
            header = _header(next(reader))
        except StopIteration:
            raise CatalogFileRejected(_("The file is empty.")) from None
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            position += 1
            problems = r.Problems(position=position, line=reader.line_num)
            if len(row) > len(header):
                problems.add(
                    "row", _("The row has %(n)d cells; the header has %(m)d.") % {"n": len(row), "m": len(header)}
                )
                yield None, problems.errors
                continue
            values = {name: _cell(cell) for name, cell in zip(header, row, strict=False) if name}
            record = _row(values, problems)
            yield (None, problems.errors) if problems else (record, [])
    except csv.Error as exc:
        raise CatalogFileRejected(
            _("The CSV cannot be read at line %(line)d: %(reason)s.") % {"line": reader.line_num, "reason": exc}
        ) from exc
    except UnicodeDecodeError as exc:
        raise CatalogFileRejected(
            _("The file changes its text encoding after line %(line)d. Save it again as “CSV UTF-8”.")
            % {"line": reader.line_num}
        ) from exc
    finally:
        text.detach()


def _date(value: str, problems: r.Problems) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.add("published_on", _("%(v)s is not a date: write YYYY-MM-DD.") % {"v": value[:20]})
        return None


def _row(values: dict[str, str], problems: r.Problems) -> r.CatalogRecord:
    get = values.get
    reference = r.check_reference(get("record_reference", ""), problems, field_name="record_reference")
    problems.reference = reference
    record = r.CatalogRecord(reference=reference, position=problems.position, line=problems.line)
    if reference == EXAMPLE_REFERENCE:
        problems.add("record_reference", _("This is the template's example row: delete it before uploading."))
        return record
    action = get("action", "").lower()
    if action in {"withdraw", "delete"}:
        record.action = r.Action.WITHDRAW
    elif action not in {"", "upsert", "update"}:
        problems.add("action", _("%(v)s is not an action: leave it empty, or write withdraw.") % {"v": action[:20]})
    if get("isbn13"):
        record.isbn13 = r.check_isbn13(get("isbn13", ""), problems, field_name="isbn13")
    if record.action is r.Action.WITHDRAW:
        return record
    fmt = get("format", "").lower()
    if fmt in r.VARIANT_FORMATS:
        record.format = fmt
    else:
        problems.add(
            "format",
            _("%(v)s is not a format: use ebook, audiobook, print or course.") % {"v": fmt[:20] or _("(empty)")},
        )
    record.title = r.check_text(
        get("title", ""), problems, field_name="title", max_length=r.MAX_TITLE_LENGTH, required=True
    )
    record.subtitle = r.check_text(get("subtitle", ""), problems, field_name="subtitle", max_length=r.MAX_TITLE_LENGTH)
    for column, role in ROLE_COLUMNS.items():
        for name in _split_names(get(column, "")):
            checked = r.check_text(name, problems, field_name=column, max_length=r.MAX_NAME_LENGTH)
            record.credits.append(r.Credit(role=role, name=checked))
    record.language = r.check_language(get("language", ""), problems, field_name="language")
    for entry in _split_names(get("topics", "")):
        scheme, sep, code = entry.partition(":")
        if sep and scheme.strip().upper() in {"BISAC", "THEMA"}:
            record.subjects.append(r.Subject(scheme.strip().upper(), code.strip().upper()))
        else:
            record.subjects.append(r.Subject("TOPIC", entry[:80]))
    record.description = description_from_feed(get("description", "")) if get("description") else ""
    record.publisher = r.check_text(
        get("publisher", ""), problems, field_name="publisher", max_length=r.MAX_NAME_LENGTH
    )
    record.imprint = r.check_text(get("imprint", ""), problems, field_name="imprint", max_length=r.MAX_NAME_LENGTH)
    record.published_on = _date(get("published_on", ""), problems)
    pages = get("page_count", "")
    if pages:
        if pages.isdigit() and int(pages) <= 100_000:
            record.page_count = int(pages)
        else:
            problems.add("page_count", _("%(v)s is not a number of pages.") % {"v": pages[:20]})
    record.cover_url = r.check_url(get("cover_url", ""), problems, field_name="cover_url")
    record.work_reference = r.check_text(
        get("work_reference", ""), problems, field_name="work_reference", max_length=r.MAX_REFERENCE_LENGTH
    )
    active = get("active", "").lower()
    if active in TRUE_WORDS or active in FALSE_WORDS:
        record.is_active = active in TRUE_WORDS
    else:
        problems.add("active", _("%(v)s: write yes or no.") % {"v": active[:20]})
    _price_and_rights(values, record, problems)
    return record


def _price_and_rights(values: dict[str, str], record: r.CatalogRecord, problems: r.Problems) -> None:
    currency = (values.get("currency") or "CNY").upper()
    if currency not in r.SELLING_CURRENCIES:
        problems.add(
            "currency",
            _("%(v)s is not a currency we sell in: %(ours)s.")
            % {"v": currency[:10], "ours": ", ".join(r.SELLING_CURRENCIES)},
        )
    if not values.get("price"):
        problems.add("price", _("The price is required."))
    else:
        record.price = r.check_amount(values["price"], problems, field_name="price")
        record.currency = currency
    territories = values.get("territories", "")
    if not territories.strip():
        problems.add("territories", _("Say where it may be sold: WORLD, or country codes such as CN HK MO."))
        return
    included = r.check_countries(territories, problems, field_name="territories", allow_world=True)
    excluded = r.check_countries(values.get("excluded_territories", ""), problems, field_name="excluded_territories")
    territory = r.Territory(included, excluded)
    record.rights = [territory] if included else []
    if record.price is not None:
        record.prices = [r.Price("02", record.price, currency, territory)]


# --- Writing ------------------------------------------------------------------------------------------


def csv_template_rows() -> Iterator[list[str]]:
    yield list(COLUMNS)
    yield [EXAMPLE_ROW.get(column, "") for column in COLUMNS]


def _export_queryset(partner: Partner) -> QuerySet[Variant]:
    return (
        Variant.objects.filter(product__owner=partner)
        .exclude(format=Variant.Format.BUNDLE)
        .select_related("product", "product__book", "imported_record")
        .prefetch_related(
            Prefetch(
                "product__credits",
                queryset=ProductContributor.objects.select_related("contributor").order_by("position", "pk"),
            ),
            "product__topics",
            Prefetch("product__rights", queryset=Rights.objects.order_by("pk")),
        )
        .order_by("product_id", "pk")
    )


def _reference(variant: Variant) -> str:
    try:
        return variant.imported_record.record_reference
    except ImportedRecord.DoesNotExist:
        return variant.sku


def _export_row(variant: Variant) -> list[str]:
    product: Product = variant.product
    credits = list(product.credits.all())
    rights = [
        x for x in product.rights.all() if x.formats in ("", variant.format) or variant.format in x.formats.split()
    ]
    right = rights[0] if rights else None
    page_count = ""
    if product.kind == Product.Kind.BOOK and hasattr(product, "book") and product.book.page_count is not None:
        page_count = str(product.book.page_count)
    try:
        work = variant.imported_record.work_reference
    except ImportedRecord.DoesNotExist:
        work = ""
    row = {
        "record_reference": _reference(variant),
        "isbn13": variant.isbn13 or "",
        "format": variant.format,
        "title": product.title,
        "subtitle": product.subtitle,
        "language": product.language,
        "topics": "; ".join(t.slug for t in product.topics.all()),
        "description": product.description,
        "publisher": product.publisher_name,
        "imprint": product.imprint,
        "published_on": product.published_on.isoformat() if product.published_on else "",
        "page_count": page_count,
        "price": str(variant.price),
        "currency": variant.currency,
        "territories": right.territories if right else "",
        "excluded_territories": right.excluded_territories if right else "",
        "cover_url": product.cover_url,
        "work_reference": work,
        "active": "yes" if variant.is_active else "no",
    }
    for column, role in ROLE_COLUMNS.items():
        row[column] = "; ".join(c.contributor.name for c in credits if c.role == role)
    return [_safe(row.get(column, "")) for column in COLUMNS]


def csv_export_rows(*, partner: Partner) -> Iterator[list[str]]:
    """The partner's catalogue as CSV rows (header first), streamed in chunks."""
    yield list(COLUMNS)
    for variant in _export_queryset(partner).iterator(chunk_size=500):
        yield _export_row(variant)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """CSV text line by line, for streaming responses."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow(row)


def csv_write(rows: Iterable[list[str]], out: IO[str]) -> int:
    writer = csv.writer(out)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count
