"""CSV import and export: columns, encodings, per-row errors, round trip."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from catalog.ingest.csv_format import COLUMNS, csv_export_rows, csv_template_rows, csv_write
from catalog.models import Product, ProductContributor, Rights, Variant
from tests.catalog.fixtures.ingest import english, run_import
from tests.catalog.fixtures.onix_builder import isbn13
from tests.factories import PartnerFactory
from tests.factories.catalog import TopicFactory

pytestmark = pytest.mark.django_db
__all__ = ["english"]  # the autouse fixture

HEADER = (
    "record_reference,isbn13,format,title,authors,translators,language,topics,price,currency,territories,published_on"
)


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_rows_become_products_with_their_fields() -> None:
    TopicFactory(slug="history", name="历史")
    data = _csv(
        f"B-1,{isbn13('978750000060')},ebook,人类简史,尤瓦尔·赫拉利,林俊宏,zh,"
        "history; BISAC:HIS000000,49.00,CNY,CN HK,2014-11-01",
        "C-1,,course,写作课,,,chi,,199,,WORLD,",
    )

    result = run_import(PartnerFactory(), data, file_format="csv")

    assert not result.rejected, result.message
    book = Variant.objects.select_related("product").get(isbn13=isbn13("978750000060"))
    assert (book.format, book.price, book.currency) == ("ebook", Decimal("49.00"), "CNY")
    assert book.product.title == "人类简史"
    assert [(c.contributor.name, c.role) for c in book.product.credits.order_by("position")] == [
        ("尤瓦尔·赫拉利", ProductContributor.Role.AUTHOR),
        ("林俊宏", ProductContributor.Role.TRANSLATOR),
    ]
    assert "history" in {t.slug for t in book.product.topics.all()}
    assert Rights.objects.get(product=book.product).territories == "CN HK"
    course = Product.objects.get(record_reference="C-1")
    assert course.kind == Product.Kind.COURSE
    assert course.language == "zh"
    assert course.variants.get().format == Variant.Format.COURSE


def test_gb18030_files_from_chinese_spreadsheets_are_read() -> None:
    data = _csv("G-1,,print,三体,刘慈欣,,zh,,23.00,CNY,CN,").decode().encode("gb18030")

    result = run_import(PartnerFactory(), data, file_format="csv")

    assert not result.rejected, result.message
    assert Product.objects.get().title == "三体"


def test_bad_rows_are_reported_by_line_and_nothing_is_saved() -> None:
    data = _csv(
        "OK-1,,ebook,好书,,,zh,,10.00,CNY,CN,",
        "BAD-1,9787500000000,ebook,,,,zz,,-3,GBP,XX,2024-13-01",
    )

    result = run_import(PartnerFactory(), data, file_format="csv")

    assert result.rejected
    fields = {e.field for e in result.errors.first}
    assert {"isbn13", "title", "language", "price", "currency", "territories", "published_on"} <= fields
    assert {e.line for e in result.errors.first} == {3}
    assert not Product.objects.exists()


def test_missing_required_column_rejects_the_file() -> None:
    result = run_import(PartnerFactory(), b"record_reference,title\nA,B\n", file_format="csv")

    assert result.rejected
    assert "format" in result.message and "price" in result.message


def test_unknown_column_rejects_the_file() -> None:
    result = run_import(PartnerFactory(), _csv(header=HEADER + ",colour"), file_format="csv")

    assert result.rejected
    assert "colour" in result.message


def test_workbook_uploaded_as_csv_gets_advice() -> None:
    result = run_import(PartnerFactory(), b"PK\x03\x04 workbook bytes", file_format="csv")

    assert result.rejected
    assert "CSV UTF-8" in result.message


def test_template_has_every_column_and_its_example_row_is_refused() -> None:
    rows = list(csv_template_rows())
    buffer = io.StringIO()
    csv_write(rows, buffer)

    result = run_import(PartnerFactory(), buffer.getvalue().encode(), file_format="csv")

    assert rows[0] == list(COLUMNS)
    assert result.rejected
    assert result.errors.first[0].field == "record_reference"


def test_export_then_import_changes_nothing() -> None:
    partner = PartnerFactory()
    data = _csv(
        f"E-1,{isbn13('978750000070')},ebook,=不是公式,甲; 乙,丙,zh,BISAC:BUS000000,49.00,CNY,WORLD,2020-01-02",
        "E-2,,audiobook,第二本,丁,,en,管理,19.90,USD,CN HK,",
    )
    run_import(partner, data, file_format="csv")
    before = list(Product.objects.order_by("pk").values())
    exported = io.StringIO()
    csv_write(csv_export_rows(partner=partner), exported)

    result = run_import(partner, exported.getvalue().encode(), file_format="csv")

    assert result.counts == {"unchanged": 2}
    assert list(Product.objects.order_by("pk").values()) == before
    # A title that a spreadsheet would run as a formula is quoted in the export.
    rows = list(csv.reader(io.StringIO(exported.getvalue())))
    assert rows[1][COLUMNS_INDEX["title"]] == "'=不是公式"


COLUMNS_INDEX = {name: i for i, name in enumerate(COLUMNS)}
