"""The ONIX for Books 3.0 reader.

Reads reference names and short tags alike, in any namespace or none (feeds
in the wild get the namespace wrong), one ``<Product>`` at a time. Each
product becomes one :class:`CatalogRecord` (one variant) or a list of
:class:`RecordError`.

What is read, and how it maps:

* ``RecordReference`` → the record's stable key; ``NotificationType`` 01–04
  upsert (04 is a block update: blocks it leaves out keep their values), 05
  withdraws, 88/89 (test records) are checked and skipped.
* ``ProductIdentifier``: ISBN-13 (type 15), else GTIN-13 (type 03), check digit verified.
* ``ProductForm``: B* print, E* (and DG) ebook, A* audiobook; anything else is refused.
* ``TitleDetail`` type 01 at product level: ``TitleText`` or prefix + ``TitleWithoutPrefix``; ``Subtitle``.
* ``Contributor``: A01/A02/A09 author, B06 translator, E03/E07 narrator, B01/B11/B13 editor
  (other roles, such as an introduction's author, are not credited);
  ``PersonName``, or ``NamesBeforeKey`` + ``KeyNames``, or ``PersonNameInverted``, or ``CorporateName``.
* ``Language`` (role 01) → ISO 639-1; ``Extent`` pages → the book's page count.
* ``Subject``: BISAC (10), Thema (93), keywords (20) → topics (see :mod:`.topics`).
* ``TextContent``: description (03, else short description 02), XHTML sanitised; front cover link.
* ``Publisher``/``Imprint``, ``PublishingDate`` (role 01), ``PublishingStatus`` (cancelled,
  out of print, withdrawn, recalled… make the variant inactive).
* ``SalesRights`` → rights rows (see :func:`sales_rights`).
* ``Price`` → every price kept in ``Variant.list_prices``; the price sold at is the CNY
  consumer price when there is one, else the first consumer price in a currency the platform sells in.
* ``RelatedWork`` (relation 01, "manifestation of") → the work the record belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import IO
from xml.etree.ElementTree import Element, tostring

from django.utils.translation import gettext as _

from catalog.ingest import records as r
from catalog.ingest.errors import CatalogFileRejected
from catalog.ingest.markup import description_from_feed, plain_text
from catalog.ingest.onix_tags import MARKUP_ELEMENTS, RECORD_NAMES, ROOT_NAMES, reference_name
from catalog.ingest.xml_safe import XmlLimits, iter_records, local_name
from catalog.models import ProductContributor, Variant

Role = ProductContributor.Role
Format = Variant.Format

CONTRIBUTOR_ROLES = {
    "A01": Role.AUTHOR,
    "A02": Role.AUTHOR,
    "A09": Role.AUTHOR,
    "B06": Role.TRANSLATOR,
    "E03": Role.NARRATOR,
    "E07": Role.NARRATOR,
    "B01": Role.EDITOR,
    "B11": Role.EDITOR,
    "B13": Role.EDITOR,
}
UPSERT_NOTIFICATIONS = frozenset({"01", "02", "03", "04"})
PARTIAL_UPDATE = "04"
DELETE = "05"
TEST_NOTIFICATIONS = frozenset({"88", "89"})
# Recommended / fixed retail prices (ordinary, special-sale, pre-order, publisher's): what a shopper pays.
CONSUMER_PRICE_TYPES = frozenset({"01", "02", "03", "04", "11", "12", "13", "14", "21", "22", "23", "24", "41", "42"})
FOR_SALE_RIGHTS = frozenset({"01", "02", "07", "08"})
NOT_FOR_SALE_RIGHTS = frozenset({"03", "04", "05", "06"})
INACTIVE_PUBLISHING_STATUS = frozenset({"01", "05", "07", "08", "11", "12"})
PAGE_EXTENT_TYPES = ("00", "11", "05", "10")
PAGES_UNIT = "03"
MAX_KEYWORDS = 10
MAX_PRICES = 200
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def product_form_format(code: str) -> str | None:
    code = code.strip().upper()
    if code.startswith("B"):
        return Format.PRINT
    if code.startswith("E") or code == "DG":
        return Format.EBOOK
    if code.startswith("A"):
        return Format.AUDIOBOOK
    return None


# --- Element helpers (elements are normalised to reference names, no namespace) ---------------------


def _normalise(element: Element, *, in_markup: bool = False) -> None:
    """Rename ``element`` and its descendants to local reference names, in place.

    Inside XHTML text (``<Text textformat="05">``) only the namespace is
    dropped: ``<p>`` stays ``<p>``."""
    name = local_name(element.tag)
    element.tag = name if in_markup else reference_name(name)
    markup = in_markup or element.tag in MARKUP_ELEMENTS
    for child in element:
        _normalise(child, in_markup=markup)


def _text(element: Element | None, name: str) -> str:
    if element is None:
        return ""
    child = element.find(name)
    return (child.text or "").strip() if child is not None else ""


def _markup(element: Element) -> tuple[str, bool | None]:
    """The inner content of a text element and whether it is markup (None: unknown)."""
    text_format = (element.get("textformat") or "").strip()
    inner = (element.text or "") + "".join(tostring(child, encoding="unicode") for child in element)
    if len(element):
        return inner, True
    if text_format in {"02", "05"}:
        return inner, True
    if text_format in {"06", "07"}:
        return inner, False
    return inner, None


# --- The reader -------------------------------------------------------------------------------------


def _check_root(tag: str, attributes: dict[str, str]) -> None:
    name = local_name(tag)
    if name not in ROOT_NAMES:
        raise CatalogFileRejected(
            _("This XML file is not an ONIX message: its root element is <%(name)s>, not <ONIXMessage>.")
            % {"name": name[:60]}
        )
    release = (attributes.get("release") or "").strip()
    if release and not release.startswith("3."):
        raise CatalogFileRejected(
            _("This is ONIX release %(release)s; we read ONIX 3.0. Ask your ONIX supplier for a 3.0 export.")
            % {"release": release[:10]}
        )


def onix_read(
    stream: IO[bytes], *, limits: XmlLimits | None = None
) -> Iterator[tuple[r.CatalogRecord | None, list[r.RecordError]]]:
    """Yield ``(record, [])`` for each good product and ``(None, errors)`` for each bad one.

    Raises :class:`CatalogFileRejected` when the file as a whole is unreadable."""
    elements = iter_records(stream, is_record=lambda name: name in RECORD_NAMES, on_root=_check_root, limits=limits)
    for position, (element, line) in enumerate(elements, start=1):
        _normalise(element)
        problems = r.Problems(position=position, reference=_text(element, "RecordReference"), line=line)
        record = _product(element, problems)
        element.clear()
        if problems:
            yield None, problems.errors
        else:
            yield record, []


def _product(product: Element, problems: r.Problems) -> r.CatalogRecord:
    reference = r.check_reference(_text(product, "RecordReference"), problems, field_name="RecordReference")
    record = r.CatalogRecord(reference=reference, position=problems.position, line=problems.line)
    notification = _text(product, "NotificationType")
    if notification == DELETE:
        record.action = r.Action.WITHDRAW
    elif notification in TEST_NOTIFICATIONS:
        record.action = r.Action.IGNORE
    elif notification not in UPSERT_NOTIFICATIONS:
        problems.add(
            "NotificationType",
            _("NotificationType %(v)s is not one we read: use 03 (new or complete), 04 (update) or 05 (delete).")
            % {"v": notification or _("(missing)")},
        )
        return record
    if notification == PARTIAL_UPDATE:
        present = {
            r.Block.DESCRIPTIVE: product.find("DescriptiveDetail") is not None,
            r.Block.COLLATERAL: product.find("CollateralDetail") is not None,
            r.Block.PUBLISHING: product.find("PublishingDetail") is not None,
            r.Block.SUPPLY: product.find("ProductSupply") is not None,
        }
        record.blocks = frozenset(block for block, here in present.items() if here)
    record.isbn13 = _identifier(product, problems)
    if record.action is r.Action.WITHDRAW:
        return record
    _work(product, record)
    if r.Block.DESCRIPTIVE in record.blocks:
        _descriptive(product.find("DescriptiveDetail"), record, problems)
    if r.Block.COLLATERAL in record.blocks:
        _collateral(product.find("CollateralDetail"), record)
    if r.Block.PUBLISHING in record.blocks:
        _publishing(product.find("PublishingDetail"), record, problems)
    if r.Block.SUPPLY in record.blocks:
        _supply(product.find("ProductSupply"), record, problems)
    return record


def _identifier(product: Element, problems: r.Problems) -> str | None:
    by_type: dict[str, str] = {}
    for identifier in product.findall("ProductIdentifier"):
        by_type.setdefault(_text(identifier, "ProductIDType"), _text(identifier, "IDValue"))
    for id_type, label in (("15", "ISBN-13"), ("03", "GTIN-13")):
        value = by_type.get(id_type)
        if value:
            checked = r.check_isbn13(value, problems, field_name=f"ProductIdentifier ({label})")
            return checked
    return None


def _work(product: Element, record: r.CatalogRecord) -> None:
    for work in product.findall("RelatedMaterial/RelatedWork"):
        if _text(work, "WorkRelationCode") != "01":
            continue
        identifier = work.find("WorkIdentifier")
        value = _text(identifier, "IDValue")
        if value:
            record.work_reference = f"{_text(identifier, 'WorkIDType')}:{value}"[: r.MAX_REFERENCE_LENGTH]
            return


def _descriptive(detail: Element | None, record: r.CatalogRecord, problems: r.Problems) -> None:
    form = _text(detail, "ProductForm")
    record.format = product_form_format(form) if form else None
    if not form:
        problems.add("ProductForm", _("The record has no ProductForm, so we cannot tell print, ebook or audio."))
    elif record.format is None:
        problems.add(
            "ProductForm",
            _("ProductForm %(v)s is not a format we sell: print (B…), ebook (E…) or audiobook (A…).") % {"v": form},
        )
    if detail is None:
        problems.add("TitleDetail", _("The record has no title."))
        return
    _title(detail, record, problems)
    _contributors(detail, record, problems)
    languages = detail.findall("Language")
    main = next((lang for lang in languages if _text(lang, "LanguageRole") == "01"), None)
    main = main if main is not None else (languages[0] if languages else None)
    if main is not None:
        record.language = r.check_language(_text(main, "LanguageCode"), problems, field_name="Language")
    record.page_count = _page_count(detail, problems)
    record.subjects = _subjects(detail)


def _title(detail: Element, record: r.CatalogRecord, problems: r.Problems) -> None:
    titles = detail.findall("TitleDetail")
    chosen = next((t for t in titles if _text(t, "TitleType") == "01"), titles[0] if titles else None)
    elements = chosen.findall("TitleElement") if chosen is not None else []
    element = next((e for e in elements if _text(e, "TitleElementLevel") == "01"), elements[0] if elements else None)
    title = subtitle = ""
    if element is not None:
        title = _text(element, "TitleText")
        if not title:
            title = " ".join(p for p in (_text(element, "TitlePrefix"), _text(element, "TitleWithoutPrefix")) if p)
        subtitle = _text(element, "Subtitle")
    record.title = r.check_text(title, problems, field_name="TitleDetail", max_length=r.MAX_TITLE_LENGTH)
    if not record.title:
        problems.add("TitleDetail", _("The record has no title (TitleText, or TitlePrefix and TitleWithoutPrefix)."))
    record.subtitle = r.check_text(subtitle, problems, field_name="Subtitle", max_length=r.MAX_TITLE_LENGTH)


def _person_name(contributor: Element) -> tuple[str, str]:
    """(display name, sort name)."""
    before = _text(contributor, "NamesBeforeKey")
    key = " ".join(p for p in (_text(contributor, "PrefixToKey"), _text(contributor, "KeyNames")) if p)
    after = _text(contributor, "NamesAfterKey")
    inverted = _text(contributor, "PersonNameInverted")
    name = _text(contributor, "PersonName")
    sort_name = ""
    if key:
        # Chinese, Japanese and Korean names put the family name first, with no space.
        sort_name = f"{key}{before}" if _CJK.search(key + before) else ", ".join(p for p in (key, before) if p)
    if not name and key:
        name = f"{key}{before}" if _CJK.search(key + before) else " ".join(p for p in (before, key, after) if p)
    if not name and inverted:
        family, _sep, given = inverted.partition(",")
        name = " ".join(p for p in (given.strip(), family.strip()) if p)
    if not name:
        name = _text(contributor, "CorporateName")
    return name, (sort_name or inverted)


def _contributors(detail: Element, record: r.CatalogRecord, problems: r.Problems) -> None:
    entries = []
    for index, contributor in enumerate(detail.findall("Contributor")):
        roles = [CONTRIBUTOR_ROLES.get((e.text or "").strip()) for e in contributor.findall("ContributorRole")]
        role = next((x for x in roles if x), None)
        if role is None:
            continue
        name, sort_name = _person_name(contributor)
        name = r.check_text(name, problems, field_name="Contributor", max_length=r.MAX_NAME_LENGTH)
        if not name:
            problems.add("Contributor", _("Contributor %(n)d has no name.") % {"n": index + 1})
            continue
        bio_element = contributor.find("BiographicalNote")
        bio = ""
        if bio_element is not None:
            bio = plain_text(_markup(bio_element)[0])
        sequence = _text(contributor, "SequenceNumber")
        order = int(sequence) if sequence.isdigit() else 10_000 + index
        entries.append((order, r.Credit(role=role, name=name, sort_name=sort_name[: r.MAX_NAME_LENGTH], bio=bio)))
    record.credits = [credit for _order, credit in sorted(entries, key=lambda e: e[0])]


def _page_count(detail: Element, problems: r.Problems) -> int | None:
    extents = {
        _text(e, "ExtentType"): _text(e, "ExtentValue")
        for e in detail.findall("Extent")
        if _text(e, "ExtentUnit") == PAGES_UNIT
    }
    for extent_type in PAGE_EXTENT_TYPES:
        value = extents.get(extent_type)
        if value:
            if not value.isdigit() or int(value) > 100_000:
                problems.add("Extent", _("%(v)s is not a number of pages.") % {"v": value})
                return None
            return int(value)
    return None


def _subjects(detail: Element) -> list[r.Subject]:
    subjects: list[r.Subject] = []
    for subject in detail.findall("Subject"):
        scheme = _text(subject, "SubjectSchemeIdentifier")
        code = _text(subject, "SubjectCode")
        heading = _text(subject, "SubjectHeadingText")
        if scheme == "10" and code:
            subjects.append(r.Subject("BISAC", code.upper(), heading))
        elif scheme == "93" and code:
            subjects.append(r.Subject("THEMA", code.upper(), heading))
        elif scheme == "20" and heading:
            words = [w.strip() for w in re.split(r"[;；,，]", heading) if w.strip()]
            subjects.extend(r.Subject("KEYWORD", w[:80]) for w in words[:MAX_KEYWORDS])
    return subjects


def _collateral(detail: Element | None, record: r.CatalogRecord) -> None:
    record.description = ""
    record.cover_url = ""
    if detail is None:
        return
    texts: dict[str, Element] = {}
    for content in detail.findall("TextContent"):
        text = content.find("Text")
        if text is not None:
            texts.setdefault(_text(content, "TextType"), text)
    for text_type in ("03", "02", "01"):
        if text_type in texts:
            raw, is_markup = _markup(texts[text_type])
            record.description = description_from_feed(raw, is_markup=is_markup)
            break
    for resource in detail.findall("SupportingResource"):
        if _text(resource, "ResourceContentType") != "01" or _text(resource, "ResourceMode") != "03":
            continue
        for version in resource.findall("ResourceVersion"):
            # A cover link that is not a web address is left out rather than refusing the book for it.
            url = r.check_url(_text(version, "ResourceLink"), r.Problems(position=0), field_name="ResourceLink")
            if url:
                record.cover_url = url
                return


def _onix_date(element: Element | None) -> date | None:
    """ONIX dates: YYYYMMDD (format 00), YYYYMM (01), YYYY (05), or with a time (13, 14)."""
    if element is None:
        return None
    raw = (element.text or "").strip().replace("-", "")
    digits = re.match(r"\d+", raw)
    value = digits.group(0) if digits else ""
    try:
        if len(value) >= 8:
            return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        if len(value) == 6:
            return date(int(value[:4]), int(value[4:6]), 1)
        if len(value) == 4:
            return date(int(value), 1, 1)
    except ValueError:
        return None
    return None


def _publishing(detail: Element | None, record: r.CatalogRecord, problems: r.Problems) -> None:
    record.rights = []
    if detail is None:
        return
    record.imprint = r.check_text(
        _text(detail.find("Imprint"), "ImprintName"), problems, field_name="Imprint", max_length=r.MAX_NAME_LENGTH
    )
    publishers = detail.findall("Publisher")
    publisher = next((p for p in publishers if _text(p, "PublishingRole") == "01"), None)
    publisher = publisher if publisher is not None else (publishers[0] if publishers else None)
    record.publisher = r.check_text(
        _text(publisher, "PublisherName"), problems, field_name="Publisher", max_length=r.MAX_NAME_LENGTH
    )
    record.is_active = _text(detail, "PublishingStatus") not in INACTIVE_PUBLISHING_STATUS
    dates = detail.findall("PublishingDate")
    chosen = next((d for d in dates if _text(d, "PublishingDateRole") == "01"), None)
    if chosen is not None:
        date_element = chosen.find("Date")
        record.published_on = _onix_date(date_element)
        if record.published_on is None and date_element is not None and (date_element.text or "").strip():
            problems.add(
                "PublishingDate",
                _("%(v)s is not a date (write YYYYMMDD).") % {"v": (date_element.text or "").strip()[:20]},
            )
    record.rights = sales_rights(detail, problems)


def _territory(territory: Element | None, problems: r.Problems, *, field_name: str) -> r.Territory | None:
    """A territory as rights understand it, or None when it names only regions we do not sell by."""
    if territory is None:
        return None
    regions = _text(territory, "RegionsIncluded").upper().split()
    countries = r.check_countries(_text(territory, "CountriesIncluded"), problems, field_name=field_name)
    excluded = r.check_countries(_text(territory, "CountriesExcluded"), problems, field_name=field_name)
    if r.WORLD in regions:
        return r.Territory(r.WORLD, excluded)
    if countries:
        return r.Territory(countries, "")
    return None


def sales_rights(detail: Element, problems: r.Problems) -> list[r.Territory]:
    """Rights rows from ``SalesRights``.

    Each "for sale" composite (types 01, 02, 07, 08) is a row; the countries of
    "not for sale" composites (03–06) are taken out of every row; a "for sale"
    ``ROWSalesRightsType`` adds the rest of the world. Regions other than
    WORLD (e.g. ECZ) are not sold by: a narrower right is the safe reading."""
    for_sale: list[r.Territory] = []
    not_for_sale: set[str] = set()
    for rights in detail.findall("SalesRights"):
        rights_type = _text(rights, "SalesRightsType")
        territory = _territory(rights.find("Territory"), problems, field_name="SalesRights")
        if territory is None:
            continue
        if rights_type in FOR_SALE_RIGHTS:
            for_sale.append(territory)
        elif rights_type in NOT_FOR_SALE_RIGHTS and territory.included != r.WORLD:
            not_for_sale.update(territory.included.split())
    if _text(detail, "ROWSalesRightsType") in FOR_SALE_RIGHTS:
        for_sale = [r.Territory(r.WORLD, "")]
    rows: list[r.Territory] = []
    for territory in for_sale:
        if territory.included == r.WORLD:
            excluded = " ".join(sorted(set(territory.excluded.split()) | not_for_sale))
            row = r.Territory(r.WORLD, excluded)
        else:
            included = " ".join(sorted(set(territory.included.split()) - not_for_sale))
            if not included:
                continue
            row = r.Territory(included, "")
        if row not in rows:
            rows.append(row)
    return rows


def _supply(supply: Element | None, record: r.CatalogRecord, problems: r.Problems) -> None:
    prices: list[r.Price] = []
    for price in supply.findall("SupplyDetail/Price") if supply is not None else []:
        amount_text = _text(price, "PriceAmount")
        if not amount_text:
            continue  # an unpriced item, or a price given only as a discount
        amount = r.check_amount(amount_text, problems, field_name="Price")
        currency = _text(price, "CurrencyCode").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            problems.add("Price", _("The price %(a)s has no ISO 4217 CurrencyCode.") % {"a": amount_text})
            continue
        territory = _territory(price.find("Territory"), problems, field_name="Price") or r.Territory(r.WORLD)
        if amount is not None:
            prices.append(r.Price(_text(price, "PriceType") or "02", amount, currency, territory))
    record.prices = prices[:MAX_PRICES]
    chosen = r.choose_price(prices, consumer_types=CONSUMER_PRICE_TYPES)
    if chosen is None:
        found = sorted({p.currency for p in prices})
        problems.add(
            "Price",
            _("No consumer price in a currency we sell in (%(ours)s); the record has %(found)s.")
            % {"ours": ", ".join(r.SELLING_CURRENCIES), "found": ", ".join(found) or _("no price")},
        )
        return
    record.price, record.currency = chosen.amount, chosen.currency
