"""ONIX 3.0 import: the public samples, our own fixtures, both tag spellings, every field we read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from catalog.models import Book, ImportedRecord, Product, ProductContributor, Rights, Topic, Variant
from catalog.selectors import variant_is_sellable
from tests.catalog.fixtures.ingest import HERE, english, run_import, shared_sample
from tests.catalog.fixtures.onix_builder import OnixProduct, isbn13, onix_message
from tests.factories import PartnerFactory
from tests.factories.catalog import TopicFactory

pytestmark = pytest.mark.django_db
__all__ = ["english"]  # the autouse fixture


def test_editeur_sample_imports_roseanna_with_its_fields() -> None:
    partner = PartnerFactory()
    result = run_import(partner, shared_sample("editeur_Onix3sample_refnames.xml"))

    assert not result.rejected, result.message
    assert result.counts["created"] == 1
    variant = Variant.objects.select_related("product").get(isbn13="9780007232833")
    product = variant.product
    assert product.owner == partner
    assert product.kind == Product.Kind.BOOK
    assert product.title == "Roseanna"
    assert product.language == "en"
    assert product.publisher_name == "HarperCollins Publishers"
    assert product.imprint == "HarperPerennial"
    assert product.published_on == date(2006, 8, 7)
    assert product.cover_url == "http://www.harpercollins.co.uk/covers/9780007232833.jpg"
    assert product.description.startswith("<p>Widely recognised")
    assert "<em>Roseanna</em>" in product.description
    assert variant.format == Variant.Format.PRINT
    # No CNY price: the first consumer price in a currency we sell in (GBP is not one).
    assert (variant.price, variant.currency) == (Decimal("8.99"), "EUR")
    assert [p["currency"] for p in variant.list_prices] == ["GBP", "EUR", "GBP"]
    assert Book.objects.get(product=product).page_count == 245
    credits = [(c.contributor.name, c.contributor.sort_name, c.role) for c in product.credits.order_by("position")]
    assert credits == [
        ("Maj Sjöwall", "Sjöwall, Maj", ProductContributor.Role.AUTHOR),
        ("Per Wahlöö", "Wahlöö, Per", ProductContributor.Role.AUTHOR),
        ("Lois Roth", "Roth, Lois", ProductContributor.Role.TRANSLATOR),
    ]
    # Sold everywhere but the US territories (not-for-sale rights), by the rest-of-world rule.
    rights = Rights.objects.get(product=product)
    assert rights.territories == "WORLD"
    assert rights.excluded_territories == "AS CA GU MP PH PR US VI"
    assert rights.formats == Variant.Format.PRINT
    assert variant_is_sellable(variant=variant, territory="CN")
    assert not variant_is_sellable(variant=variant, territory="US")
    topic_codes = {code for t in product.topics.all() for code in t.scheme_codes}
    assert {"BISAC:FIC022000", "THEMA:FFP", "THEMA:FYT", "KEYWORD:police procedural"} <= topic_codes
    assert ImportedRecord.objects.get(partner=partner).record_reference == "com.globalbookinfo.onix.01734529"


def test_google_sample_imports_an_ebook_with_world_rights_and_usd_price() -> None:
    partner = PartnerFactory()
    result = run_import(partner, shared_sample("onixcheck_valid_google_onix_3.xml"))

    assert not result.rejected, result.message
    variant = Variant.objects.select_related("product").get(isbn13="9789999999991")
    assert variant.format == Variant.Format.EBOOK
    assert (variant.price, variant.currency) == (Decimal("9.99"), "USD")
    assert variant.product.title == "This Is My Distinctive Title"
    assert variant.product.subtitle == "This Is A Subtitle"
    assert variant.product.description == "<p>I am a description of the book.</p>"
    assert variant.product.published_on == date(2012, 9, 27)
    assert Rights.objects.get(product=variant.product).territories == "WORLD"
    assert variant_is_sellable(variant=variant, territory="CN")


def test_audio_sample_with_wrong_namespace_is_read_and_its_bad_gtin_rejected() -> None:
    partner = PartnerFactory()
    result = run_import(partner, shared_sample("im_onix_audio1.xml"))

    assert result.rejected
    assert result.record_count == 1
    [error] = result.errors.first
    assert error.reference == "xxxxxx_XXXXXX_XXXXXXXXXXXXX"
    assert error.field == "ProductIdentifier (GTIN-13)"
    assert "9780000000000" in error.message
    assert "2" in error.message  # the check digit it should have
    assert not Product.objects.exists()


def test_audio_sample_valid_only_saves_nothing_but_lists_the_record() -> None:
    partner = PartnerFactory()
    result = run_import(partner, shared_sample("im_onix_audio1.xml"), valid_only=True)

    assert result.invalid_count == 1
    assert not Variant.objects.exists()


def test_short_tag_file_reads_like_reference_names() -> None:
    partner = PartnerFactory()
    result = run_import(partner, (HERE / "short_tags.xml").read_bytes())

    assert not result.rejected, result.message
    variant = Variant.objects.select_related("product").get()
    assert variant.isbn13 == "9787508647357"
    assert variant.format == Variant.Format.AUDIOBOOK
    assert (variant.price, variant.currency) == (Decimal("39.90"), "CNY")
    product = variant.product
    assert product.title == "The Three-Body Problem"
    assert product.subtitle == "Remembrance of Earth's Past"
    assert product.language == "zh"
    assert [(c.contributor.name, c.role) for c in product.credits.order_by("position")] == [
        ("刘慈欣", ProductContributor.Role.AUTHOR),
        ("Ken Liu", ProductContributor.Role.TRANSLATOR),
        ("Luke Daniels", ProductContributor.Role.NARRATOR),
    ]
    assert product.description == "<p>A <em>first contact</em> story.</p>"
    assert Rights.objects.get(product=product).territories == "CN HK MO"


def test_file_without_namespace_is_read() -> None:
    partner = PartnerFactory()
    data = onix_message(OnixProduct(ref="A", isbn=isbn13("978750000001")), namespace=None)

    result = run_import(partner, data)

    assert not result.rejected, result.message
    assert Variant.objects.filter(isbn13=isbn13("978750000001")).exists()


def test_product_forms_map_to_formats() -> None:
    partner = PartnerFactory()
    forms = {"BB": "print", "BC": "print", "EA": "ebook", "ED": "ebook", "AJ": "audiobook", "AN": "audiobook"}
    products = [OnixProduct(ref=f"R{i}", isbn=isbn13(f"97875000010{i}"), form=f) for i, f in enumerate(forms)]

    result = run_import(partner, onix_message(*products))

    assert not result.rejected, result.message
    got = {v.imported_record.record_reference: v.format for v in Variant.objects.select_related("imported_record")}
    assert got == {f"R{i}": fmt for i, fmt in enumerate(forms.values())}


def test_unknown_product_form_is_a_record_error() -> None:
    partner = PartnerFactory()
    result = run_import(partner, onix_message(OnixProduct(ref="V1", form="VI")))

    assert result.rejected
    assert [(e.reference, e.field) for e in result.errors.first] == [("V1", "ProductForm")]


def test_cny_price_is_chosen_over_the_first_price_and_all_prices_are_kept() -> None:
    partner = PartnerFactory()
    prices = [("02", "12.99", "USD", "US"), ("05", "20.00", "CNY", "CN"), ("02", "68.00", "CNY", "CN")]
    run_import(partner, onix_message(OnixProduct(ref="P", prices=prices)))

    variant = Variant.objects.get()
    # The supplier's net price (type 05) is not what a shopper pays.
    assert (variant.price, variant.currency) == (Decimal("68.00"), "CNY")
    assert [p["amount"] for p in variant.list_prices] == ["12.99", "20.00", "68.00"]


def test_record_without_a_consumer_price_in_our_currencies_is_rejected() -> None:
    partner = PartnerFactory()
    result = run_import(partner, onix_message(OnixProduct(ref="P", prices=[("02", "9.99", "GBP", "GB")])))

    assert result.rejected
    [error] = result.errors.first
    assert error.field == "Price"
    assert "GBP" in error.message


def test_title_prefix_and_keynames_are_assembled() -> None:
    data = onix_message(OnixProduct(ref="T", isbn=isbn13("978750000009"))).replace(
        b"<TitleText>\xe6\x95\xb0\xe5\xad\x97\xe5\x8c\x96\xe8\xbd\xac\xe5\x9e\x8b\xe5\xae\x9e\xe6\x88\x98</TitleText>",
        b"<TitlePrefix>The</TitlePrefix><TitleWithoutPrefix>Art of War</TitleWithoutPrefix>",
    )
    data = data.replace(
        "<PersonName>王小波</PersonName>".encode(),
        "<NamesBeforeKey>小波</NamesBeforeKey><KeyNames>王</KeyNames>".encode(),
    )
    run_import(PartnerFactory(), data)

    product = Product.objects.get()
    assert product.title == "The Art of War"
    credit = product.credits.select_related("contributor").get()
    assert (credit.contributor.name, credit.contributor.sort_name) == ("王小波", "王小波")


def test_subjects_map_to_existing_topics_by_code_and_broader_code() -> None:
    history = TopicFactory(slug="history", name="历史", name_en="History", scheme_codes=["BISAC:HIS000000"])
    fiction = TopicFactory(slug="fiction", name="小说", name_en="Fiction", scheme_codes=["THEMA:F"])
    subjects = [("10", "HIS037000"), ("93", "FFP"), ("20", "历史; Fiction")]

    run_import(PartnerFactory(), onix_message(OnixProduct(ref="S", subjects=subjects)))

    product = Product.objects.get()
    assert set(product.topics.all()) == {history, fiction}
    assert not Topic.objects.filter(slug="imported").exists()


def test_unmapped_subjects_become_topics_under_imported_and_are_reused() -> None:
    subjects = [("10", "BUS000000"), ("20", "管理")]
    run_import(PartnerFactory(), onix_message(OnixProduct(ref="S1", subjects=subjects)))
    run_import(PartnerFactory(), onix_message(OnixProduct(ref="S2", subjects=subjects, isbn=isbn13("978750000017"))))

    parent = Topic.objects.get(slug="imported")
    children = Topic.objects.filter(parent=parent)
    assert sorted(c.scheme_codes[0] for c in children) == ["BISAC:BUS000000", "KEYWORD:管理"]
    assert children.count() == 2
    for product in Product.objects.all():
        assert set(product.topics.all()) == set(children)


def test_description_xhtml_is_sanitised() -> None:
    description = '<p onclick="steal()">Hi<script>alert(1)</script> <a href="javascript:x()">x</a></p>'
    run_import(PartnerFactory(), onix_message(OnixProduct(ref="X", description=description)))

    stored = Product.objects.get().description
    assert "script" not in stored
    assert "onclick" not in stored
    assert "javascript" not in stored
    assert stored.startswith("<p>Hi")


def test_not_for_sale_countries_are_excluded_from_world_rights() -> None:
    rights = [("01", "WORLD", ""), ("03", "US CA", "")]
    run_import(PartnerFactory(), onix_message(OnixProduct(ref="R", rights=rights)))

    row = Rights.objects.get()
    assert (row.territories, row.excluded_territories) == ("WORLD", "CA US")


def test_records_of_one_work_become_formats_of_one_product() -> None:
    partner = PartnerFactory()
    ebook = OnixProduct(ref="W-E", isbn=isbn13("978750000020"), form="ED", work="WORK-1")
    audio = OnixProduct(ref="W-A", isbn=isbn13("978750000021"), form="AJ", work="WORK-1", rights=[("01", "CN", "")])

    result = run_import(partner, onix_message(ebook, audio))

    assert not result.rejected, result.message
    product = Product.objects.get()
    assert sorted(product.variants.values_list("format", flat=True)) == ["audiobook", "ebook"]
    assert sorted(Rights.objects.filter(product=product).values_list("formats", "territories")) == [
        ("audiobook", "CN"),
        ("ebook", "WORLD"),
    ]


def test_inactive_publishing_status_makes_the_variant_unsellable() -> None:
    run_import(PartnerFactory(), onix_message(OnixProduct(ref="OP", status="07")))

    variant = Variant.objects.get()
    assert not variant.is_active
    assert not variant_is_sellable(variant=variant, territory="CN")


def test_test_records_are_checked_but_not_saved() -> None:
    result = run_import(PartnerFactory(), onix_message(OnixProduct(ref="T", notification="88")))

    assert not result.rejected
    assert result.counts["skipped"] == 1
    assert not Product.objects.exists()


def test_onix_2_release_is_rejected_with_advice() -> None:
    data = onix_message(OnixProduct(ref="A")).replace(b'release="3.0"', b'release="2.1"')

    result = run_import(PartnerFactory(), data)

    assert result.rejected
    assert "3.0" in result.message
