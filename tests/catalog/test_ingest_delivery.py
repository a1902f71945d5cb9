"""One delivery is one transaction; re-importing changes nothing; deletes withdraw; jobs keep the story."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import translation

from catalog.ingest.services import import_job_create, import_job_requeue, import_job_run, import_job_transition
from catalog.models import ImportedRecord, ImportJob, ImportJobEvent, Product, ProductContributor, Rights, Variant
from catalog.selectors import product_list_sellable
from core.errors import Conflict
from tests.catalog.fixtures.ingest import english, run_import
from tests.catalog.fixtures.onix_builder import OnixProduct, catalogue, isbn13, onix_message
from tests.factories import PartnerFactory
from tests.factories.catalog import sellable_book

pytestmark = pytest.mark.django_db
__all__ = ["english"]  # the autouse fixture


def _with_one_bad_record() -> bytes:
    good = [OnixProduct(ref=f"G{i}", isbn=isbn13(f"97875000030{i}")) for i in range(3)]
    bad = OnixProduct(ref="BAD", isbn="9787500000000")  # wrong check digit
    return onix_message(good[0], bad, *good[1:])


def test_one_bad_record_saves_nothing_and_is_reported() -> None:
    result = run_import(PartnerFactory(), _with_one_bad_record())

    assert result.rejected
    assert (result.record_count, result.invalid_count) == (4, 1)
    [error] = result.errors.first
    assert (error.position, error.reference, error.field) == (2, "BAD", "ProductIdentifier (ISBN-13)")
    assert "check digit" in error.message
    assert "1 of 4 records" in result.message
    assert not Product.objects.exists()


def test_valid_only_saves_the_valid_records_and_lists_the_invalid() -> None:
    result = run_import(PartnerFactory(), _with_one_bad_record(), valid_only=True)

    assert not result.rejected
    assert result.counts["created"] == 3
    assert [e.reference for e in result.errors.first] == ["BAD"]
    assert sorted(ImportedRecord.objects.values_list("record_reference", flat=True)) == ["G0", "G1", "G2"]


def test_reimporting_the_same_file_changes_nothing() -> None:
    partner = PartnerFactory()
    data = catalogue(5, subjects=[("10", "BUS000000"), ("20", "管理")], contributors=[("A01", "甲"), ("B06", "乙")])
    first = run_import(partner, data)
    snapshot = {
        "products": list(Product.objects.order_by("pk").values()),
        "variants": list(Variant.objects.order_by("pk").values()),
        "credits": list(ProductContributor.objects.order_by("pk").values()),
        "rights": list(Rights.objects.order_by("pk").values()),
        "records": list(ImportedRecord.objects.order_by("pk").values()),
    }

    second = run_import(partner, data)

    assert first.counts["created"] == 5
    assert second.counts == {"unchanged": 5}
    assert snapshot == {
        "products": list(Product.objects.order_by("pk").values()),
        "variants": list(Variant.objects.order_by("pk").values()),
        "credits": list(ProductContributor.objects.order_by("pk").values()),
        "rights": list(Rights.objects.order_by("pk").values()),
        "records": list(ImportedRecord.objects.order_by("pk").values()),
    }


def test_a_changed_record_reference_is_matched_by_isbn() -> None:
    partner = PartnerFactory()
    isbn = isbn13("978750000040")
    run_import(partner, onix_message(OnixProduct(ref="OLD", isbn=isbn)))

    result = run_import(partner, onix_message(OnixProduct(ref="NEW", isbn=isbn, prices=[("02", "59.00", "CNY", "")])))

    assert result.counts == {"updated": 1}
    variant = Variant.objects.get()
    assert variant.price == Decimal("59.00")
    assert variant.imported_record.record_reference == "NEW"


def test_an_update_changes_only_what_differs() -> None:
    partner = PartnerFactory()
    run_import(partner, onix_message(OnixProduct(ref="U", title="旧书名")))
    product = Product.objects.get()
    stamp = product.updated_at

    result = run_import(partner, onix_message(OnixProduct(ref="U", title="新书名")))

    product.refresh_from_db()
    assert result.counts == {"updated": 1}
    assert product.title == "新书名"
    assert product.updated_at > stamp
    assert Product.objects.count() == 1


def test_delete_notification_withdraws_the_product_and_a_new_notice_restores_it() -> None:
    partner = PartnerFactory()
    run_import(partner, onix_message(OnixProduct(ref="D1")))
    assert product_list_sellable(territory="CN").count() == 1

    withdrawn = run_import(partner, onix_message(OnixProduct(ref="D1", notification="05")))

    product = Product.objects.get()
    assert withdrawn.counts == {"withdrawn": 1}
    assert product.status == Product.Status.WITHDRAWN
    assert not product.variants.get().is_active
    assert not product_list_sellable(territory="CN").exists()

    again = run_import(partner, onix_message(OnixProduct(ref="D1", notification="05")))
    assert again.counts == {"unchanged": 1}

    restored = run_import(partner, onix_message(OnixProduct(ref="D1")))
    product.refresh_from_db()
    assert restored.counts == {"updated": 1}
    assert product.status == Product.Status.PUBLISHED
    assert product_list_sellable(territory="CN").count() == 1


def test_partial_update_keeps_the_blocks_it_leaves_out() -> None:
    partner = PartnerFactory()
    run_import(partner, onix_message(OnixProduct(ref="P", title="书名")))
    update = OnixProduct(ref="P", notification="04", prices=[("02", "29.90", "CNY", "")], blocks=("supply",))

    result = run_import(partner, onix_message(update))

    variant = Variant.objects.select_related("product").get()
    assert result.counts == {"updated": 1}
    assert variant.price == Decimal("29.90")
    assert variant.product.title == "书名"
    assert variant.product.credits.count() == 1


def test_partial_update_of_an_unknown_record_is_refused() -> None:
    update = OnixProduct(ref="NEWP", notification="04", blocks=("supply",))

    result = run_import(PartnerFactory(), onix_message(update))

    assert result.rejected
    assert [e.field for e in result.errors.first] == ["NotificationType"]


def test_isbn_of_another_partner_rejects_the_delivery_or_only_that_record() -> None:
    taken = sellable_book()
    taken.isbn13 = isbn13("978750000050")
    taken.save()
    partner = PartnerFactory()
    data = onix_message(
        OnixProduct(ref="MINE", isbn=isbn13("978750000051")), OnixProduct(ref="THEIRS", isbn=taken.isbn13)
    )

    rejected = run_import(partner, data)
    assert rejected.rejected
    assert [(e.reference, e.field) for e in rejected.errors.first] == [("THEIRS", "ProductIdentifier")]
    assert not Product.objects.filter(owner=partner).exists()

    partial = run_import(partner, data, valid_only=True)
    assert partial.counts["created"] == 1
    assert Product.objects.filter(owner=partner).count() == 1
    taken.refresh_from_db()
    assert taken.product.owner != partner


def _upload(data: bytes, name: str = "feed.xml") -> ContentFile:
    return ContentFile(data, name=name)


def test_import_job_runs_to_success_with_counts_and_events() -> None:
    partner = PartnerFactory()

    job, created = import_job_create(
        partner=partner, upload=_upload(catalogue(3)), file_format=None, valid_only=False, source="command"
    )
    job = import_job_run(job_id=job.pk)

    assert created
    assert job.format == ImportJob.Format.ONIX
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert (job.record_count, job.created_count, job.invalid_count) == (3, 3, 0)
    assert job.finished_at is not None
    assert list(ImportJobEvent.objects.filter(job=job).values_list("from_status", "to_status")) == [
        ("", "queued"),
        ("queued", "running"),
        ("running", "succeeded"),
    ]


def test_rejected_job_keeps_a_downloadable_error_report() -> None:
    job, _ = import_job_create(
        partner=PartnerFactory(),
        upload=_upload(_with_one_bad_record()),
        file_format="onix",
        valid_only=False,
        source="api",
    )
    import_job_run(job_id=job.pk)
    job.refresh_from_db()

    assert job.status == ImportJob.Status.REJECTED
    assert job.errors[0]["reference"] == "BAD"
    with job.error_report.open("rb") as report:
        rows = list(csv.reader(io.StringIO(report.read().decode("utf-8-sig"))))
    assert rows[1][2:4] == ["BAD", "ProductIdentifier (ISBN-13)"]


def test_same_file_again_returns_the_first_job_unless_asked_to_import_again() -> None:
    partner = PartnerFactory()
    data = catalogue(2)
    first, _ = import_job_create(
        partner=partner, upload=_upload(data), file_format=None, valid_only=False, source="api"
    )
    import_job_run(job_id=first.pk)

    replay, created = import_job_create(
        partner=partner, upload=_upload(data), file_format=None, valid_only=False, source="api"
    )
    again, created_again = import_job_create(
        partner=partner, upload=_upload(data), file_format=None, valid_only=False, source="api", again=True
    )
    import_job_run(job_id=again.pk)

    assert (replay.pk, created) == (first.pk, False)
    assert created_again
    again.refresh_from_db()
    assert again.unchanged_count == 2
    assert Product.objects.count() == 2


def test_running_a_job_twice_runs_it_once() -> None:
    job, _ = import_job_create(
        partner=PartnerFactory(), upload=_upload(catalogue(1)), file_format=None, valid_only=False, source="api"
    )
    import_job_run(job_id=job.pk)

    again = import_job_run(job_id=job.pk)

    assert again.status == ImportJob.Status.SUCCEEDED
    assert ImportJobEvent.objects.filter(job=job, to_status="running").count() == 1


def test_finished_job_cannot_move_back_but_a_failed_one_can_be_queued_again(
    django_capture_on_commit_callbacks: Any,
) -> None:
    job, _ = import_job_create(
        partner=PartnerFactory(),
        upload=_upload(catalogue(1)),
        file_format=None,
        valid_only=False,
        source="api",
        enqueue=False,
    )
    import_job_transition(job=job, to=ImportJob.Status.RUNNING)
    import_job_transition(job=job, to=ImportJob.Status.FAILED, message="worker lost")
    with pytest.raises(Conflict):
        import_job_transition(job=job, to=ImportJob.Status.SUCCEEDED)

    with django_capture_on_commit_callbacks(execute=True):
        import_job_requeue(job=job)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.created_count == 1


def test_error_report_is_written_in_the_uploaders_language() -> None:
    with translation.override("zh-hans"):
        job, _ = import_job_create(
            partner=PartnerFactory(),
            upload=_upload(_with_one_bad_record()),
            file_format="onix",
            valid_only=False,
            source="portal",
        )
    import_job_run(job_id=job.pk)  # the worker runs in English here
    job.refresh_from_db()

    assert job.language == "zh-hans"
    assert "校验位" in job.errors[0]["message"]
    assert "没有导入任何内容" in job.message
