"""ONIX 3.0 import of 1,000 and 10,000 generated products: products per second and peak memory (streaming).

Each size is written to a temporary file and imported into a fresh SQLite
database in a temporary folder (the configured database is left alone when
it is SQLite; otherwise the configured database is used with a throw-away
partner whose rows are deleted afterwards). The reference is the check pass
alone (streaming parse and validation, no database), measured in the same run.
Peak memory is tracemalloc's peak over a whole import; it must not grow with
the file's size.
"""

from __future__ import annotations

import contextlib
import gc
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

from bench.common import Figure

SIZES = (1_000, 10_000)

PRODUCT = """<Product><RecordReference>BENCH-{i:07d}</RecordReference><NotificationType>03</NotificationType>
<ProductIdentifier><ProductIDType>15</ProductIDType><IDValue>{isbn}</IDValue></ProductIdentifier>
<DescriptiveDetail><ProductComposition>00</ProductComposition><ProductForm>{form}</ProductForm>
<TitleDetail><TitleType>01</TitleType><TitleElement><TitleElementLevel>01</TitleElementLevel>
<TitleText>{title}</TitleText><Subtitle>第 {i} 卷</Subtitle></TitleElement></TitleDetail>
<Contributor><SequenceNumber>1</SequenceNumber><ContributorRole>A01</ContributorRole>
<PersonName>作者{author}</PersonName></Contributor>
<Contributor><SequenceNumber>2</SequenceNumber><ContributorRole>B06</ContributorRole>
<NamesBeforeKey>Translator</NamesBeforeKey><KeyNames>No{translator}</KeyNames></Contributor>
<Language><LanguageRole>01</LanguageRole><LanguageCode>chi</LanguageCode></Language>
<Extent><ExtentType>00</ExtentType><ExtentValue>{pages}</ExtentValue><ExtentUnit>03</ExtentUnit></Extent>
<Subject><SubjectSchemeIdentifier>10</SubjectSchemeIdentifier><SubjectCode>{bisac}</SubjectCode></Subject>
<Subject><SubjectSchemeIdentifier>20</SubjectSchemeIdentifier><SubjectHeadingText>管理; 商业</SubjectHeadingText>
</Subject></DescriptiveDetail>
<CollateralDetail><TextContent><TextType>03</TextType><ContentAudience>00</ContentAudience>
<Text textformat="05"><p>第 {i} 本书的<strong>简介</strong>。{padding}</p></Text></TextContent></CollateralDetail>
<PublishingDetail><Publisher><PublishingRole>01</PublishingRole><PublisherName>基准出版社</PublisherName></Publisher>
<PublishingStatus>04</PublishingStatus><PublishingDate><PublishingDateRole>01</PublishingDateRole>
<Date>20240115</Date></PublishingDate><SalesRights><SalesRightsType>01</SalesRightsType>
<Territory><RegionsIncluded>WORLD</RegionsIncluded></Territory></SalesRights></PublishingDetail>
<ProductSupply><SupplyDetail><ProductAvailability>20</ProductAvailability>
<Price><PriceType>02</PriceType><PriceAmount>{price}</PriceAmount><CurrencyCode>CNY</CurrencyCode></Price>
<Price><PriceType>02</PriceType><PriceAmount>9.99</PriceAmount><CurrencyCode>USD</CurrencyCode></Price>
</SupplyDetail></ProductSupply></Product>
"""
FORMS = ("ED", "BC", "AJ")
BISAC = ("BUS000000", "HIS037000", "PSY000000", "FIC022000", "SEL027000")


def _isbn(i: int) -> str:
    first12 = f"979{i:09d}"
    total = sum(int(d) * (1 if k % 2 == 0 else 3) for k, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def write_onix(path: Path, count: int) -> int:
    """Write a message of ``count`` products, one at a time; return its size in bytes."""
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write('<ONIXMessage release="3.0" xmlns="http://ns.editeur.org/onix/3.0/reference">\n')
        out.write(
            "<Header><Sender><SenderName>Bench</SenderName></Sender><SentDateTime>20240101</SentDateTime></Header>\n"
        )
        for i in range(count):
            out.write(
                PRODUCT.format(
                    i=i,
                    isbn=_isbn(i),
                    form=FORMS[i % 3],
                    title=escape(f"基准图书 {i} & co"),
                    author=i % 500,
                    translator=i % 300,
                    pages=120 + i % 400,
                    bisac=BISAC[i % 5],
                    price=f"{19 + i % 80}.90",
                    padding="内容" * (i % 40),
                )
            )
        out.write("</ONIXMessage>\n")
    return path.stat().st_size


@contextlib.contextmanager
def _fresh_database(folder: Path, name: str) -> Iterator[None]:
    """A migrated SQLite database in ``folder`` as the default database, for the duration."""
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "sqlite":
        yield
        return
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = str(folder / f"{name}.sqlite3")
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


def _import(path: Path, *, trace: bool) -> tuple[float, int, int]:
    """Import ``path`` for a new partner: (seconds, peak bytes or 0, products created)."""
    from django.test.utils import override_settings

    from catalog.ingest.engine import catalog_import
    from catalog.models import Product
    from users.models import Partner

    partner = Partner.objects.create(name="Bench press", slug=f"bench-{time.monotonic_ns()}", kind="publisher")

    @contextlib.contextmanager
    def open_file() -> Iterator[IO[bytes]]:
        with path.open("rb") as handle:
            yield handle

    gc.collect()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    # As in production: with DEBUG on, Django keeps the text of the last 9,000 queries, and a
    # batch insert's text is large, so the log rather than the import would set the peak.
    with override_settings(DEBUG=False):
        result = catalog_import(partner=partner, open_file=open_file, file_format="onix", size=path.stat().st_size)
    elapsed = time.perf_counter() - started
    peak = 0
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert not result.rejected, result.message
    created = result.counts["created"]
    Product.objects.filter(owner=partner).delete()
    return elapsed, peak, created


def _check_only(path: Path) -> float:
    from catalog.ingest.onix import onix_read

    started = time.perf_counter()
    with path.open("rb") as handle:
        for _record, _errors in onix_read(handle):
            pass
    return time.perf_counter() - started


def run() -> list[Figure]:
    figures: list[Figure] = []
    peaks: dict[int, int] = {}
    with tempfile.TemporaryDirectory(prefix="zq-onix-bench-") as tmp:
        folder = Path(tmp)
        for count in SIZES:
            path = folder / f"onix-{count}.xml"
            size = write_onix(path, count)
            reference = _check_only(path)
            with _fresh_database(folder, f"speed-{count}"):
                elapsed, _peak, created = _import(path, trace=False)
            with _fresh_database(folder, f"memory-{count}"):
                _elapsed, peak, _created = _import(path, trace=True)
            peaks[count] = peak
            print(
                f"   {count:>6} products, {size / 1e6:6.1f} MB: {created / elapsed:7.0f} products/s "
                f"({elapsed:.1f} s), peak memory {peak / 1e6:.1f} MB (tracemalloc)"
            )
            figures.append(Figure(f"check pass only, {count} products (reference)", reference, unit_count=count))
            figures.append(Figure(f"import {count} products", elapsed, reference_s=reference, unit_count=count))
    small, large = peaks[SIZES[0]], peaks[SIZES[-1]]
    print(
        f"   peak memory {SIZES[-1]} vs {SIZES[0]} products: {large / small:.2f}× for {SIZES[-1] // SIZES[0]}× the file"
    )
    return figures
