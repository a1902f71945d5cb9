"""A small world with taste for the recommender: three topic clusters of products and users
who browse mostly inside their own cluster, so a model has signal and popularity does not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.utils import timezone

from catalog.models import Product, Topic
from insights.models import Event
from tests.factories import UserFactory
from tests.factories.catalog import TopicFactory, sellable_book, sellable_course
from users.models import Profile, User


@dataclass
class RecsysWorld:
    topics: list[Topic]
    products: list[Product]
    users: list[User]

    def cluster_products(self, cluster: int) -> list[Product]:
        return [p for i, p in enumerate(self.products) if i % 3 == cluster]


def recsys_world(*, n_users: int = 45, n_products: int = 24, per_user: int = 5, seed: int = 3) -> RecsysWorld:
    """Products alternate book/course and belong to cluster ``index % 3`` (one topic each);
    user ``u`` views ``per_user`` products of cluster ``u % 3`` and, one in three, adds one to the cart."""
    rng = np.random.default_rng(seed)
    topics = [TopicFactory(slug=f"cluster-{c}") for c in range(3)]
    products: list[Product] = []
    for i in range(n_products):
        variant = sellable_book() if i % 2 == 0 else sellable_course(lessons=1)
        variant.product.topics.add(topics[i % 3])
        products.append(variant.product)
    users = UserFactory.create_batch(n_users)
    Profile.objects.filter(user__in=users).update(declared_interests=[])
    now = timezone.now()
    events = []
    for u, user in enumerate(users):
        cluster = [p for i, p in enumerate(products) if i % 3 == u % 3]
        chosen = rng.choice(len(cluster), size=min(per_user, len(cluster)), replace=False)
        for n, index in enumerate(chosen):
            kind = Event.Kind.ADD_TO_CART if (n == 0 and u % 3 == 0) else Event.Kind.VIEW
            events.append(
                Event(kind=kind, user=user, product=cluster[int(index)], occurred_at=now - timedelta(days=int(n)))
            )
    Event.objects.bulk_create(events)
    return RecsysWorld(topics=topics, products=products, users=users)
