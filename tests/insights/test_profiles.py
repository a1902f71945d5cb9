"""User profiles computed from events, orders, entitlements and reviews."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Topic
from catalog.services import review_upsert
from commerce.services import RefundTarget, refund_create
from insights.models import Event
from insights.privacy_models import ProfileRun, UserInsightProfile, age_band_for
from insights.profiles import profile_run_execute, profile_run_start, profiles_compute_for
from tests.factories import UserFactory
from tests.factories.catalog import ContributorFactory, CreditFactory, sellable_book, sellable_course
from tests.factories.commerce import order_paid_for
from users.models import Profile

pytestmark = pytest.mark.django_db


def test_age_bands_follow_the_birth_year() -> None:
    today = timezone.localdate()
    assert age_band_for(birth_year=today.year - 17, today=today) == "under_18"
    assert age_band_for(birth_year=today.year - 18, today=today) == "18_24"
    assert age_band_for(birth_year=today.year - 34, today=today) == "25_34"
    assert age_band_for(birth_year=today.year - 70, today=today) == "65_plus"
    assert age_band_for(birth_year=None, today=today) == ""


def test_profile_holds_declared_attributes_behaviour_spend_and_preferences() -> None:
    psychology = Topic.objects.create(slug="psychology", name="心理学", name_en="Psychology")
    history = Topic.objects.create(slug="history", name="历史", name_en="History")
    user = UserFactory()
    Profile.objects.filter(user=user).update(birth_year=timezone.localdate().year - 30, region="上海")
    book = sellable_book(price="40.00")
    book.product.topics.add(history)
    course = sellable_course(price="100.00", lessons=4)
    course.product.topics.add(psychology)
    author = ContributorFactory(name="王老师")
    CreditFactory(product=course.product, contributor=author)
    order = order_paid_for(user, book, course)
    refund_create(
        order=order,
        reason="wrong book",
        idempotency_key="r1",
        requested_by=user,
        targets=[RefundTarget(line=order.lines.get(variant=book))],
    )
    now = timezone.now()
    Event.objects.bulk_create(
        [
            Event(kind=Event.Kind.VIEW, user=user, product=course.product, occurred_at=now - timedelta(days=d))
            for d in (1, 2, 3)
        ]
        + [
            Event(kind=Event.Kind.VIEW, user=user, product=course.product, context={"lesson": 1, "completed": True}),
            Event(kind=Event.Kind.VIEW, user=user, product=course.product, context={"lesson": 2, "progress": 0.95}),
            Event(kind=Event.Kind.VIEW, user=user, product=course.product, context={"lesson": 3, "progress": 0.2}),
        ]
    )
    review_upsert(user=user, product=course.product, rating=5)

    assert profiles_compute_for(user_ids=[user.pk]) == 1
    profile = UserInsightProfile.objects.get(user=user)
    assert profile.age_band == "25_34"
    assert profile.region == "上海"
    assert profile.orders_count == 1
    assert profile.spend == Decimal("100.00")  # the refunded book does not count
    assert sorted(profile.formats) == ["course", "ebook"]
    assert profile.lessons_total == 4
    assert (profile.lessons_opened, profile.lessons_completed) == (3, 2)
    assert profile.lesson_completion == Decimal("0.500")
    assert profile.top_topics[0]["slug"] == "psychology"
    assert profile.top_topics[0]["weight"] == 1.0
    assert profile.top_contributors[0]["name"] == "王老师"
    assert profile.top_partners[0]["id"] == course.product.owner_id
    assert profile.events_90d >= 6
    assert profile.last_active_at is not None


def test_declared_interests_count_towards_top_topics() -> None:
    Topic.objects.create(slug="poetry", name="诗歌")
    user = UserFactory()
    Profile.objects.filter(user=user).update(declared_interests=["poetry"])
    profiles_compute_for(user_ids=[user.pk])
    assert [t["slug"] for t in UserInsightProfile.objects.get(user=user).top_topics] == ["poetry"]


def test_a_full_run_computes_everyone_and_shows_its_progress() -> None:
    users = UserFactory.create_batch(5)
    run = profile_run_start(mode=ProfileRun.Mode.FULL)  # in-process tasks: runs on commit
    run = profile_run_execute(run_id=run.pk)
    assert run.status == ProfileRun.Status.SUCCEEDED
    assert run.total == run.processed >= 5
    assert run.progress == 100
    assert UserInsightProfile.objects.filter(user__in=users).count() == 5


def test_an_incremental_run_recomputes_only_users_with_new_activity() -> None:
    quiet, busy = UserFactory(), UserFactory()
    first = profile_run_execute(run_id=ProfileRun.objects.create(mode=ProfileRun.Mode.FULL, until=timezone.now()).pk)
    assert first.status == ProfileRun.Status.SUCCEEDED
    product = sellable_book().product
    Event.objects.create(kind=Event.Kind.VIEW, user=busy, product=product)
    run = profile_run_execute(run_id=ProfileRun.objects.create(mode=ProfileRun.Mode.INCREMENTAL).pk)
    assert run.total == 1
    assert UserInsightProfile.objects.get(user=busy).events_90d == 1
    assert UserInsightProfile.objects.get(user=quiet).events_90d == 0


def test_running_a_finished_run_again_changes_nothing() -> None:
    UserFactory()
    run = profile_run_execute(run_id=ProfileRun.objects.create(mode=ProfileRun.Mode.FULL).pk)
    again = profile_run_execute(run_id=run.pk)
    assert again.finished_at == run.finished_at


def test_inactive_accounts_lose_their_profile() -> None:
    user = UserFactory()
    profiles_compute_for(user_ids=[user.pk])
    user.is_active = False
    user.save()
    profiles_compute_for(user_ids=[user.pk])
    assert not UserInsightProfile.objects.filter(user=user).exists()
