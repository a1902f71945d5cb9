from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from catalog.models import Chapter, Contributor, Lesson, Product, Rights, Variant
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.factories.catalog import TopicFactory, sellable_book, sellable_course
from users.models import Membership, Partner
from users.services import api_key_create

pytestmark = pytest.mark.django_db

VALID_ISBN = "978-7-5086-1234-8"


def _auth(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


@pytest.fixture
def client():
    """Partner systems send JSON."""
    return APIClient()


@pytest.fixture
def partner():
    return PartnerFactory(slug="qingsong")


@pytest.fixture
def other_partner():
    return PartnerFactory(slug="yuanshan")


@pytest.fixture
def writer_key(partner):
    _key, raw = api_key_create(partner=partner, name="erp", scopes=["catalog:read", "catalog:write"], created_by=None)
    return raw


@pytest.fixture
def reader_key(partner):
    _key, raw = api_key_create(partner=partner, name="bi", scopes=["catalog:read"], created_by=None)
    return raw


def _url(partner_slug: str, product_slug: str = "", action: str = "") -> str:
    url = f"/api/v1/partners/{partner_slug}/catalog/products/"
    if product_slug:
        url += f"{product_slug}/"
    if action:
        url += f"{action}/"
    return url


def _book_payload(**overrides):
    payload = {
        "kind": "book",
        "title": "心流：最优体验心理学",
        "slug": "flow",
        "description": "<p>关于专注与幸福的经典。</p>",
        "topics": [],
        "contributors": [{"name": "米哈里·契克森米哈赖", "role": "author"}, {"name": "张定绮", "role": "translator"}],
        "variants": [
            {"format": "ebook", "price": "39.90", "isbn13": VALID_ISBN},
            {"format": "print", "price": "68.00"},
        ],
        "book": {"page_count": 320, "edition": "第2版"},
        "chapters": [
            {
                "number": 1,
                "title": "幸福的再思考",
                "excerpt": "……",
                "page_start": 1,
                "page_end": 30,
                "is_free_preview": True,
            },
            {"number": 2, "title": "意识的剖析", "page_start": 31, "page_end": 60},
        ],
        "rights": [{"territories": "CN HK MO TW"}],
    }
    payload.update(overrides)
    return payload


# --- Creating ------------------------------------------------------------------------------------


def test_key_with_catalog_write_creates_a_draft_book_with_everything(client, partner, writer_key):
    topic = TopicFactory(slug="psychology")

    response = client.post(_url("qingsong"), _book_payload(topics=["psychology"]), **_auth(writer_key))

    assert response.status_code == 201, response.content
    body = response.json()
    product = Product.objects.get(slug="flow")
    assert product.owner == partner
    assert product.status == Product.Status.DRAFT
    assert list(product.topics.all()) == [topic]
    assert {v.format: v.price for v in product.variants.all()} == {"ebook": Decimal("39.90"), "print": Decimal("68.00")}
    assert product.variants.get(format="ebook").isbn13 == "9787508612348"
    assert list(product.book.chapters.values_list("number", "is_free_preview")) == [(1, True), (2, False)]
    assert product.book.page_count == 320
    assert list(product.rights.values_list("territories", flat=True)) == ["CN HK MO TW"]
    assert [(c["name"], c["role"]) for c in body["contributors"]] == [
        ("米哈里·契克森米哈赖", "author"),
        ("张定绮", "translator"),
    ]
    assert body["status"] == "draft"
    assert body["book"]["chapters"][1]["title"] == "意识的剖析"


def test_created_course_has_lessons_and_a_slug_from_its_title(client, writer_key):
    payload = {
        "kind": "course",
        "title": "Negotiation Basics",
        "variants": [{"format": "course", "price": "199.00"}],
        "course": {"level": "intermediate"},
        "lessons": [
            {"position": 1, "title": "Why we negotiate", "duration_seconds": 600, "is_free_preview": True},
            {"position": 2, "title": "BATNA", "duration_seconds": 900, "media_ref": "media/2.m3u8"},
        ],
        "rights": [{"territories": "WORLD"}],
    }

    response = client.post(_url("qingsong"), payload, **_auth(writer_key))

    assert response.status_code == 201, response.content
    product = Product.objects.get(slug="negotiation-basics")
    assert product.course.level == "intermediate"
    assert list(product.course.lessons.values_list("position", "media_ref")) == [(1, ""), (2, "media/2.m3u8")]
    # The owner sees the media of every lesson of its own product.
    assert response.json()["course"]["lessons"][1]["media_ref"] == "media/2.m3u8"


def test_chinese_title_gets_an_ascii_slug(client, writer_key):
    payload = _book_payload()
    del payload["slug"]
    response = client.post(_url("qingsong"), payload, **_auth(writer_key))
    assert response.status_code == 201
    assert response.json()["slug"].isascii()


def test_wrong_isbn_check_digit_is_a_field_error_and_nothing_is_saved(client, writer_key):
    payload = _book_payload()
    payload["variants"][0]["isbn13"] = "9787508612343"

    response = client.post(_url("qingsong"), payload, HTTP_ACCEPT_LANGUAGE="en", **_auth(writer_key))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "isbn_check_digit"
    assert "check digit" in error["fields"]["variants[0].isbn13"][0]
    assert error["message"] == error["fields"]["variants[0].isbn13"][0]
    assert not Product.objects.exists()
    assert not Contributor.objects.exists()


def test_negative_price_and_reversed_rights_are_reported_together(client, writer_key):
    payload = _book_payload()
    payload["variants"][1]["price"] = "-1.00"
    payload["rights"] = [{"territories": "CN", "valid_from": "2027-01-01", "valid_to": "2026-01-01"}]

    response = client.post(_url("qingsong"), payload, HTTP_ACCEPT_LANGUAGE="en", **_auth(writer_key))

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "variants[1].price" in fields
    assert "rights[0].valid_to" in fields
    assert not Product.objects.exists()


def test_domain_rules_are_field_errors_with_paths(client, writer_key):
    sellable_book(slug="taken")
    payload = _book_payload(slug="taken", topics=["no-such-topic"])
    payload["variants"].append({"format": "course", "price": "10.00"})
    payload["rights"] = [{"territories": "China"}]
    payload["chapters"][1]["number"] = 1

    response = client.post(_url("qingsong"), payload, HTTP_ACCEPT_LANGUAGE="en", **_auth(writer_key))

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) >= {"slug", "topics", "variants[2].format", "rights[0].territories", "chapters[1].number"}
    assert "China" in fields["rights[0].territories"][0]
    assert Product.objects.count() == 1


def test_isbn_of_another_product_is_refused(client, writer_key):
    existing = sellable_book(slug="existing")
    Variant.objects.filter(pk=existing.pk).update(isbn13="9787508612348")

    response = client.post(_url("qingsong"), _book_payload(), HTTP_ACCEPT_LANGUAGE="en", **_auth(writer_key))

    assert response.status_code == 400
    assert "another product" in response.json()["error"]["fields"]["variants[0].isbn13"][0]
    assert not Product.objects.filter(slug="flow").exists()


def test_bundle_items_must_be_sellable_variants_of_the_partner(client, partner, writer_key):
    own = sellable_course(owner=partner, price="199.00")
    own_draft = sellable_book(owner=partner, status=Product.Status.DRAFT)
    foreign = sellable_book()
    payload = {
        "kind": "bundle",
        "title": "Course and book",
        "variants": [{"format": "bundle", "price": "199.00"}],
        "bundle_items": [own.sku, own_draft.sku, foreign.sku, "NO-SUCH-SKU"],
    }

    response = client.post(_url("qingsong"), payload, HTTP_ACCEPT_LANGUAGE="en", **_auth(writer_key))

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "bundle_items[0]" not in fields
    assert "cannot be sold" in fields["bundle_items[1]"][0]
    assert "No variant" in fields["bundle_items[2]"][0]
    assert "No variant" in fields["bundle_items[3]"][0]

    payload["bundle_items"] = [own.sku]
    assert client.post(_url("qingsong"), payload, **_auth(writer_key)).status_code == 201


def test_the_platform_may_bundle_any_partners_sellable_variants(client, writer_key):
    platform = PartnerFactory(slug="zhiqiao", kind=Partner.Kind.PLATFORM)
    _key, raw = api_key_create(partner=platform, name="ops", scopes=["catalog:write", "catalog:read"], created_by=None)
    course = sellable_course(owner=platform)
    book = sellable_book()
    payload = {
        "kind": "bundle",
        "title": "Course plus book",
        "variants": [{"format": "bundle", "price": "199.00"}],
        "bundle_items": [course.sku, book.sku],
    }
    response = client.post(_url("zhiqiao"), payload, **_auth(raw))
    assert response.status_code == 201, response.content
    assert response.json()["bundle"]["items_total"] == "248.00"


# --- Who may do what -----------------------------------------------------------------------------


def test_key_without_catalog_write_is_forbidden_to_write(client, reader_key):
    response = client.post(_url("qingsong"), _book_payload(), **_auth(reader_key))
    assert response.status_code == 403
    assert response.json()["error"]["status"] == 403
    assert not Product.objects.exists()


def test_key_without_catalog_read_cannot_list(client, partner):
    _key, raw = api_key_create(partner=partner, name="writer", scopes=["catalog:write"], created_by=None)
    assert client.get(_url("qingsong"), **_auth(raw)).status_code == 403


def test_partner_reads_its_own_drafts(client, partner, reader_key):
    sellable_book(owner=partner, slug="own-draft", status=Product.Status.DRAFT)
    sellable_book(slug="someone-elses")

    listing = client.get(_url("qingsong"), **_auth(reader_key)).json()
    detail = client.get(_url("qingsong", "own-draft"), **_auth(reader_key))

    assert [p["slug"] for p in listing["results"]] == ["own-draft"]
    assert detail.status_code == 200
    assert detail.json()["status"] == "draft"


def test_another_partners_product_is_404_to_read_change_or_withdraw(client, other_partner, writer_key):
    theirs = sellable_book(owner=other_partner, slug="theirs", status=Product.Status.DRAFT)

    assert client.get(_url("qingsong", "theirs"), **_auth(writer_key)).status_code == 404
    assert client.patch(_url("qingsong", "theirs"), {"title": "Mine now"}, **_auth(writer_key)).status_code == 404
    assert client.post(_url("qingsong", "theirs", "withdraw"), **_auth(writer_key)).status_code == 404
    # Nor through the other partner's own address.
    assert client.get(_url("yuanshan", "theirs"), **_auth(writer_key)).status_code == 404
    assert client.post(_url("yuanshan"), _book_payload(), **_auth(writer_key)).status_code == 404
    theirs.product.refresh_from_db()
    assert theirs.product.title != "Mine now"


def test_member_of_another_partner_gets_404(client, other_partner):
    sellable_book(owner=other_partner, slug="theirs")
    outsider = MembershipFactory(partner=PartnerFactory(slug="qingsong")).user
    client.force_login(outsider)
    assert client.get(_url("yuanshan", "theirs")).status_code == 404
    assert client.get(_url("yuanshan")).status_code == 404


def test_owner_writes_through_the_session_and_an_analyst_only_reads(client, partner):
    owner = MembershipFactory(partner=partner, role=Membership.Role.OWNER).user
    analyst = MembershipFactory(partner=partner, role=Membership.Role.ANALYST).user

    client.force_login(analyst)
    refused = client.post(_url("qingsong"), _book_payload(), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert "owners and managers" in refused.json()["error"]["message"]
    assert client.get(_url("qingsong")).status_code == 200

    client.force_login(owner)
    assert client.post(_url("qingsong"), _book_payload()).status_code == 201


def test_anonymous_visitor_cannot_reach_a_partner_catalogue(client, partner):
    assert client.get(_url("qingsong")).status_code in {401, 403}


# --- Changing, publishing, withdrawing -----------------------------------------------------------


@pytest.fixture
def own_book(client, writer_key):
    response = client.post(_url("qingsong"), _book_payload(), **_auth(writer_key))
    assert response.status_code == 201, response.content
    return Product.objects.get(slug="flow")


def test_patch_changes_fields_and_replaces_the_lists_sent(client, writer_key, own_book):
    response = client.patch(
        _url("qingsong", "flow"),
        {
            "subtitle": "新译本",
            "variants": [{"format": "ebook", "price": "29.90", "isbn13": VALID_ISBN}],
            "chapters": [{"number": 1, "title": "幸福的再思考（修订）", "is_free_preview": True}],
        },
        **_auth(writer_key),
    )

    assert response.status_code == 200, response.content
    own_book.refresh_from_db()
    assert own_book.subtitle == "新译本"
    assert own_book.title == "心流：最优体验心理学"
    variants = {v.format: (v.price, v.is_active) for v in own_book.variants.all()}
    # The print edition left out is deactivated, not deleted: orders may point at it.
    assert variants == {"ebook": (Decimal("29.90"), True), "print": (Decimal("68.00"), False)}
    assert list(Chapter.objects.filter(book=own_book.book).values_list("number", "title")) == [
        (1, "幸福的再思考（修订）")
    ]
    assert own_book.rights.count() == 1


def test_a_failed_patch_changes_nothing(client, writer_key, own_book):
    response = client.patch(
        _url("qingsong", "flow"),
        {"title": "新标题", "variants": [{"format": "ebook", "price": "10.00", "isbn13": "9780000000000"}]},
        **_auth(writer_key),
    )
    assert response.status_code == 400
    own_book.refresh_from_db()
    assert own_book.title == "心流：最优体验心理学"
    assert own_book.variants.get(format="ebook").price == Decimal("39.90")


def test_kind_cannot_change(client, writer_key, own_book):
    response = client.patch(_url("qingsong", "flow"), {"kind": "course"}, **_auth(writer_key))
    assert response.status_code == 400
    assert "kind" in response.json()["error"]["fields"]


def test_lessons_are_refused_on_a_book(client, writer_key, own_book):
    response = client.patch(_url("qingsong", "flow"), {"lessons": [{"position": 1, "title": "x"}]}, **_auth(writer_key))
    assert response.status_code == 400
    assert "lessons" in response.json()["error"]["fields"]
    assert not Lesson.objects.exists()


def test_publish_then_withdraw_moves_the_product_in_and_out_of_the_listing(client, writer_key, own_book):
    listing = "/api/v1/catalog/products/"
    assert client.get(listing).json()["count"] == 0

    published = client.post(_url("qingsong", "flow", "publish"), **_auth(writer_key))
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert [p["slug"] for p in client.get(listing).json()["results"]] == ["flow"]

    withdrawn = client.post(_url("qingsong", "flow", "withdraw"), **_auth(writer_key))
    assert withdrawn.json()["status"] == "withdrawn"
    assert client.get(listing).json()["count"] == 0
    assert client.get(f"{listing}flow/").status_code == 404


def test_a_product_with_nothing_to_sell_cannot_be_published(client, writer_key):
    payload = _book_payload(variants=[])
    assert client.post(_url("qingsong"), payload, **_auth(writer_key)).status_code == 201

    response = client.post(_url("qingsong", "flow", "publish"), HTTP_ACCEPT_LANGUAGE="en", **_auth(writer_key))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_publishable"
    assert Product.objects.get(slug="flow").status == Product.Status.DRAFT


def test_a_published_product_cannot_lose_its_last_active_variant(client, writer_key, own_book):
    client.post(_url("qingsong", "flow", "publish"), **_auth(writer_key))
    response = client.patch(
        _url("qingsong", "flow"),
        {"variants": [{"format": "ebook", "price": "39.90", "is_active": False}]},
        **_auth(writer_key),
    )
    assert response.status_code == 400
    assert own_book.variants.filter(is_active=True).count() == 2


def test_rights_replaced_through_the_api_change_where_it_sells(client, writer_key, own_book):
    client.post(_url("qingsong", "flow", "publish"), **_auth(writer_key))
    listing = "/api/v1/catalog/products/"
    assert client.get(listing, {"territory": "US"}).json()["count"] == 0

    client.patch(
        _url("qingsong", "flow"),
        {"rights": [{"territories": "WORLD", "excluded_territories": "KP"}]},
        **_auth(writer_key),
    )

    assert Rights.objects.get(product=own_book).excluded_territories == "KP"
    assert client.get(listing, {"territory": "US"}).json()["count"] == 1


def test_status_filter_on_the_partner_list(client, partner, reader_key):
    sellable_book(owner=partner, slug="live")
    sellable_book(owner=partner, slug="draft", status=Product.Status.DRAFT)
    response = client.get(_url("qingsong"), {"status": "draft"}, **_auth(reader_key))
    assert [p["slug"] for p in response.json()["results"]] == ["draft"]
    assert client.get(_url("qingsong"), {"status": "lost"}, **_auth(reader_key)).status_code == 400


def test_staff_act_for_any_partner(client, partner):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.post(_url("qingsong"), _book_payload()).status_code == 201
