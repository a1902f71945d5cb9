"""ONIX 3.0 short tags and the reference names they stand for.

ONIX 3.0 comes in two spellings of one schema: reference names
(``<RecordReference>``) and short tags (``<a001>``). In short-tag files a
composite is its reference name in lower case (``<productidentifier>``) and a
data element has a code. Only the elements this importer reads are listed;
any other element is passed over in either spelling.
"""

from __future__ import annotations

SHORT_TO_REFERENCE: dict[str, str] = {
    "a001": "RecordReference",
    "a002": "NotificationType",
    "a199": "DeletionText",
    "b221": "ProductIDType",
    "b233": "IDTypeName",
    "b244": "IDValue",
    "x314": "ProductComposition",
    "b012": "ProductForm",
    "b333": "ProductFormDetail",
    "b202": "TitleType",
    "x409": "TitleElementLevel",
    "b203": "TitleText",
    "b030": "TitlePrefix",
    "x501": "NoPrefix",
    "b031": "TitleWithoutPrefix",
    "b029": "Subtitle",
    "x410": "PartNumber",
    "b034": "SequenceNumber",
    "b035": "ContributorRole",
    "b036": "PersonName",
    "b037": "PersonNameInverted",
    "b038": "TitlesBeforeNames",
    "b039": "NamesBeforeKey",
    "b247": "PrefixToKey",
    "b040": "KeyNames",
    "b041": "NamesAfterKey",
    "b047": "CorporateName",
    "b044": "BiographicalNote",
    "b253": "LanguageRole",
    "b252": "LanguageCode",
    "b218": "ExtentType",
    "b219": "ExtentValue",
    "b220": "ExtentUnit",
    "x425": "MainSubject",
    "b067": "SubjectSchemeIdentifier",
    "b068": "SubjectSchemeVersion",
    "b069": "SubjectCode",
    "b070": "SubjectHeadingText",
    "x426": "TextType",
    "x427": "ContentAudience",
    "d104": "Text",
    "x428": "SourceTitle",
    "x436": "ResourceContentType",
    "x437": "ResourceMode",
    "x441": "ResourceForm",
    "x435": "ResourceLink",
    "b079": "ImprintName",
    "b291": "PublishingRole",
    "b081": "PublisherName",
    "b394": "PublishingStatus",
    "x448": "PublishingDateRole",
    "j260": "DateFormat",
    "b306": "Date",
    "b089": "SalesRightsType",
    "x449": "CountriesIncluded",
    "x450": "RegionsIncluded",
    "x451": "CountriesExcluded",
    "x452": "RegionsExcluded",
    "x456": "ROWSalesRightsType",
    "x454": "WorkRelationCode",
    "b201": "WorkIDType",
    "x462": "PriceType",
    "j261": "PriceQualifier",
    "j266": "PriceStatus",
    "j151": "PriceAmount",
    "j152": "CurrencyCode",
}

COMPOSITES = (
    "Product",
    "ProductIdentifier",
    "DescriptiveDetail",
    "Collection",
    "TitleDetail",
    "TitleElement",
    "Contributor",
    "Language",
    "Extent",
    "Subject",
    "CollateralDetail",
    "TextContent",
    "SupportingResource",
    "ResourceVersion",
    "PublishingDetail",
    "Imprint",
    "Publisher",
    "PublishingDate",
    "SalesRights",
    "Territory",
    "RelatedMaterial",
    "RelatedWork",
    "WorkIdentifier",
    "ProductSupply",
    "SupplyDetail",
    "Price",
)

NAME_OF: dict[str, str] = {**SHORT_TO_REFERENCE, **{name.lower(): name for name in COMPOSITES}}
ROOT_NAMES = frozenset({"ONIXMessage", "ONIXmessage"})
RECORD_NAMES = frozenset({"Product", "product"})
# Elements whose content may be XHTML: their descendants are markup, not ONIX.
MARKUP_ELEMENTS = frozenset({"Text", "BiographicalNote"})


def reference_name(local: str) -> str:
    """The reference name of an element spelled either way."""
    return NAME_OF.get(local, local)
