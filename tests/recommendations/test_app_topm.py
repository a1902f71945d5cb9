"""Top-m lists: exclusions, cold start, reasons, chunked and incremental refresh, the two stores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Product, Rights
from insights.models import Event
from recommendations.models import ModelVersion, TopMEntry
from recommendations.services import training_run_execute, training_run_request
from recommendations.store import DatabaseTopMStore, RedisTopMStore, StoredItem, StoredList
from recommendations.tasks import refresh_topm, refresh_topm_incremental
from recommendations.topm import topm_user_ranges
from tests.factories import UserFactory
from tests.factories.commerce import order_paid_for
from tests.recommendations import app_fixtures

recsys_settings = app_fixtures.recsys_settings
world = app_fixtures.world

pytestmark = pytest.mark.django_db


def _active_version() -> ModelVersion:
    request = training_run_request(enqueue=False)
    run = training_run_execute(run_id=request.run.pk)
    assert run.state == "succeeded", run.error
    version = ModelVersion.objects.get(run=run)
    refresh_topm(version.pk)
    return version


def _stored(user) -> list[int]:
    return [item["product"] for item in TopMEntry.objects.get(user=user).items]


def test_owned_and_unsellable_products_never_appear_in_a_top_m_list(recsys_settings, world):
    buyer = world.users[0]
    cluster = world.cluster_products(0)
    owned = cluster[0]
    order_paid_for(buyer, owned.variants.get())
    withdrawn = cluster[1]
    Product.objects.filter(pk=withdrawn.pk).update(status=Product.Status.WITHDRAWN)
    expired = cluster[2]
    Rights.objects.filter(product=expired).update(valid_to=timezone.localdate() - timedelta(days=1))
    _active_version()
    assert owned.pk not in _stored(buyer)
    for entry in TopMEntry.objects.all():
        ids = [item["product"] for item in entry.items]
        assert withdrawn.pk not in ids
        assert expired.pk not in ids
        assert len(ids) == len(set(ids))
    # Everyone in cluster 0 who has not bought it may still get the bought product.
    assert any(owned.pk in _stored(u) for u in world.users[3::3])


def test_users_get_products_of_their_own_taste_with_a_reason_naming_their_history(recsys_settings, world):
    _active_version()
    user = world.users[1]
    mine = {p.pk for p in world.cluster_products(1)}
    top = TopMEntry.objects.get(user=user).items[:3]
    assert all(item["product"] in mine for item in top)
    reason = top[0]["reason"]
    assert reason["code"] == "because_viewed"
    assert reason["product"] in mine
    assert Event.objects.filter(user=user, product_id=reason["product"]).exists()


def test_a_user_without_history_gets_popular_products_within_declared_interests(recsys_settings, world):
    newcomer = UserFactory()
    newcomer.profile.declared_interests = [world.topics[2].slug]
    newcomer.profile.save()
    _active_version()
    entry = TopMEntry.objects.get(user=newcomer)
    wanted = {p.pk for p in world.cluster_products(2)}
    assert [item["product"] in wanted for item in entry.items[: len(wanted)]] == [True] * len(wanted)
    assert entry.items[0]["reason"] == {"code": "popular_in_topic", "topic": world.topics[2].slug}


def test_a_full_refresh_in_chunks_covers_every_active_user(recsys_settings, world, settings):
    settings.RECOMMENDER = {**settings.RECOMMENDER, "TOPM_CHUNK_USERS": 10}
    version = _active_version()
    assert len(topm_user_ranges()) == 5  # 45 users in chunks of 10
    version.refresh_from_db()
    assert version.topm_users == 45
    assert version.topm_refreshed_at is not None
    assert TopMEntry.objects.filter(model_version=version.tag).count() == 45


def test_an_incremental_refresh_recomputes_only_users_with_new_activity(recsys_settings, world):
    version = _active_version()
    ModelVersion.objects.filter(pk=version.pk).update(topm_refreshed_at=timezone.now())
    TopMEntry.objects.update(model_version="old")
    moved = world.users[0]
    target = world.cluster_products(1)[0]
    Event.objects.create(kind=Event.Kind.ADD_TO_CART, user=moved, product=target)
    assert refresh_topm_incremental() == 1
    assert TopMEntry.objects.get(user=moved).model_version == version.tag
    assert TopMEntry.objects.filter(model_version="old").count() == len(world.users) - 1
    version.refresh_from_db()
    assert version.topm_refreshed_at > timezone.now() - timedelta(seconds=30)


def test_the_database_store_replaces_a_users_list(db, user):
    store = DatabaseTopMStore()
    now = timezone.now()
    store.write_many([StoredList(user.pk, "v1", [StoredItem(1, 0.5, {"code": "popular"})], now)])
    store.write_many([StoredList(user.pk, "v2", [StoredItem(2, 0.9, {"code": "popular"})], now)])
    stored = store.read(user.pk)
    assert stored is not None
    assert stored.model_version == "v2"
    assert [i.product_id for i in stored.items] == [2]
    store.delete([user.pk])
    assert store.read(user.pk) is None


@pytest.mark.redis
def test_the_redis_store_keeps_one_hash_per_user_with_the_model_version(db, user, settings):
    store = RedisTopMStore(settings.REDIS_URL)
    now = timezone.now()
    store.write_many(
        [StoredList(user.pk, "r7-ease", [StoredItem(5, 1.5, {"code": "because_bought", "product": 3})], now)]
    )
    raw = store.client.hgetall(store.key(user.pk))
    assert raw[b"v"] == b"r7-ease"
    assert store.client.ttl(store.key(user.pk)) > 0
    stored = store.read(user.pk)
    assert stored is not None
    assert stored.items[0].reason == {"code": "because_bought", "product": 3}
    store.delete([user.pk])
    assert store.read(user.pk) is None


def test_an_erased_account_keeps_no_stored_list(recsys_settings, world):
    from insights.user_rights import account_erased

    _active_version()
    user = world.users[4]
    assert TopMEntry.objects.filter(user=user).exists()
    account_erased.send(sender=type(user), user_id=user.pk, reference="erased-x")
    assert not TopMEntry.objects.filter(user=user).exists()
