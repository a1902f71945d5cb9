"""Every change of a product's status leaves an append-only event: from where, by whom, from which to which."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import services
from catalog.ingest import engine
from catalog.models import ImportedRecord, Product, ProductStatusEvent, Variant
from core.errors import DomainError
from core.models import EventHistoryIsAppendOnly
from tests.catalog.fixtures.ingest import english, run_import  # noqa: F401 - english: messages in English
from tests.catalog.fixtures.onix_builder import OnixProduct, isbn13, onix_message
from tests.factories import PartnerFactory, UserFactory
from tests.factories.catalog import ProductFactory, VariantFactory, sellable_book

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"


def _history(product: Product) -> list[tuple[str, str, str]]:
    return list(product.status_events.order_by("pk").values_list("from_status", "to_status", "source"))


def test_status_set_appends_an_event_with_actor_and_source() -> None:
    product = sellable_book().product
    person = UserFactory()

    services.product_withdraw(product=product, actor=person)
    services.product_publish(product=product, source=ProductStatusEvent.Source.ADMIN)

    events = list(product.status_events.order_by("pk"))
    assert [(e.from_status, e.to_status, e.source, e.actor_id) for e in events] == [
        ("published", "withdrawn", "api", person.pk),
        ("withdrawn", "published", "admin", None),
    ]


def test_refused_and_repeated_moves_leave_no_event() -> None:
    draft = ProductFactory(status=Product.Status.DRAFT)
    published = sellable_book().product

    with pytest.raises(DomainError):
        services.product_publish(product=draft)  # nothing to sell
    services.product_publish(product=published)  # already published: nothing changes

    assert not ProductStatusEvent.objects.exists()


def test_events_cannot_be_changed_or_deleted() -> None:
    product = sellable_book().product
    services.product_withdraw(product=product)
    event = ProductStatusEvent.objects.get()

    event.note = "rewritten"
    with pytest.raises(EventHistoryIsAppendOnly):
        event.save()
    with pytest.raises(EventHistoryIsAppendOnly):
        event.delete()
    with pytest.raises(EventHistoryIsAppendOnly):
        ProductStatusEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(EventHistoryIsAppendOnly):
        ProductStatusEvent.objects.all().delete()
    assert ProductStatusEvent.objects.get().note == ""


def test_admin_bulk_actions_record_the_staff_member_and_skip_what_cannot_move(client) -> None:
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    sellable = sellable_book().product
    sellable.status = Product.Status.WITHDRAWN
    sellable.save()
    empty = ProductFactory(status=Product.Status.DRAFT)

    client.post(CHANGELIST, {"action": "publish", "_selected_action": [sellable.pk, empty.pk]})

    assert _history(sellable) == [("withdrawn", "published", "admin")]
    assert sellable.status_events.get().actor_id == staff.pk
    assert _history(empty) == []


def test_admin_change_form_shows_history_and_does_not_change_status(client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    product = ProductFactory(status=Product.Status.DRAFT, title="Draft only")
    services.product_status_record(product=product, from_status="", source=ProductStatusEvent.Source.ADMIN)

    page = client.get(f"{CHANGELIST}{product.pk}/change/")

    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "status" not in form.fields
    inline = next(f for f in page.context["inline_admin_formsets"] if f.formset.model is ProductStatusEvent)
    assert not inline.has_add_permission and not inline.has_delete_permission and not inline.has_change_permission
    assert len(inline.formset.forms) == 1


def test_import_records_creation_withdrawal_and_restore() -> None:
    partner = PartnerFactory()
    record = OnixProduct(ref="EV-1", isbn=isbn13("978750000301"))

    run_import(partner, onix_message(record))
    run_import(partner, onix_message(OnixProduct(ref="EV-1", notification="05")))
    run_import(partner, onix_message(record))

    product = Product.objects.get()
    assert _history(product) == [
        ("", "published", "import"),
        ("published", "withdrawn", "import"),
        ("withdrawn", "published", "import"),
    ]


# --- Batched writing -------------------------------------------------------------------------------


def test_new_records_are_written_together_with_few_queries(monkeypatch) -> None:
    """The queries of a first delivery do not grow with its records (beyond the one-off contributors)."""
    monkeypatch.setattr(engine, "BATCH_SIZE", 100)
    partner = PartnerFactory()

    def queries(start: int, count: int) -> int:
        products = [
            OnixProduct(ref=f"Q-{i}", isbn=isbn13(f"9787500{i:05d}"), contributors=[("A01", "同一作者")])
            for i in range(start, start + count)
        ]
        with CaptureQueriesContext(connection) as ctx:
            result = run_import(partner, onix_message(*products))
        assert result.counts == {"created": count}, result.message
        return len(ctx.captured_queries)

    few, many = queries(0, 5), queries(5, 60)

    assert many <= few
    assert Product.objects.count() == 65
    assert ImportedRecord.objects.count() == Variant.objects.count() == ProductStatusEvent.objects.count() == 65


def test_a_batch_mixing_new_updated_and_grouped_records_writes_each_as_one_at_a_time_would() -> None:
    partner = PartnerFactory()
    run_import(partner, onix_message(OnixProduct(ref="OLD", isbn=isbn13("978750000401"), title="旧书名")))
    batch = onix_message(
        OnixProduct(ref="NEW-1", isbn=isbn13("978750000402")),
        OnixProduct(ref="OLD", isbn=isbn13("978750000401"), title="新书名"),
        OnixProduct(ref="W-E", isbn=isbn13("978750000403"), form="ED", work="WORK-9"),
        OnixProduct(ref="W-A", isbn=isbn13("978750000404"), form="AJ", work="WORK-9"),
        OnixProduct(ref="NEW-2", isbn=isbn13("978750000405")),
    )

    result = run_import(partner, batch)

    assert result.counts == {"created": 4, "updated": 1}
    assert Product.objects.get(record_reference="OLD").title == "新书名"
    work = Product.objects.get(record_reference__endswith="WORK-9")
    assert sorted(work.variants.values_list("format", flat=True)) == ["audiobook", "ebook"]
    assert Product.objects.count() == 4


def test_a_new_record_with_another_partners_isbn_is_refused_and_its_batch_mates_kept() -> None:
    other = VariantFactory(isbn13=isbn13("978750000501"))
    partner = PartnerFactory()
    data = onix_message(
        OnixProduct(ref="MINE-1", isbn=isbn13("978750000502")),
        OnixProduct(ref="THEIRS", isbn=other.isbn13),
        OnixProduct(ref="MINE-2", isbn=isbn13("978750000503")),
    )

    rejected = run_import(partner, data)
    kept = run_import(partner, data, valid_only=True)

    assert rejected.rejected and not rejected.counts
    assert kept.counts == {"created": 2, "refused": 1}
    assert kept.errors.first[0].reference == "THEIRS"
    assert set(Product.objects.filter(owner=partner).values_list("record_reference", flat=True)) == {"MINE-1", "MINE-2"}


def test_a_batch_whose_slug_is_taken_falls_back_to_one_at_a_time() -> None:
    partner = PartnerFactory()
    record = OnixProduct(ref="SLUG-1", isbn=isbn13("978750000601"))
    run_import(partner, onix_message(record))
    product = Product.objects.get()
    # The product no longer carries the record's reference, but keeps the slug the record would get.
    Product.objects.filter(pk=product.pk).update(record_reference="moved")
    ImportedRecord.objects.all().delete()
    Variant.objects.filter(product=product).update(isbn13=None)

    result = run_import(
        partner,
        onix_message(OnixProduct(ref="SLUG-1", isbn=isbn13("978750000602")), OnixProduct(ref="SLUG-2")),
        valid_only=True,
    )

    assert result.counts["created"] == 1
    assert result.counts["refused"] == 1
    assert result.errors.first[0].reference == "SLUG-1"


def test_admin_add_form_leaves_status_to_the_actions(client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get(f"{CHANGELIST}add/")

    assert page.status_code == 200
    assert "status" not in page.context["adminform"].form.fields
    assert not any(f.formset.model is ProductStatusEvent for f in page.context["inline_admin_formsets"])
