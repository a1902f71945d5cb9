"""Profiles from events on PostgreSQL (users/second), and an audience insight query against the bare SQL it wraps.

Builds a throwaway PostgreSQL database (``<name>_bench_insights`` on the server of
``DATABASE_URL``, or 127.0.0.1 as postgres), generates users, profiles and
behaviour events with bulk SQL (``generate_series``), computes every profile
with a full ``ProfileRun`` and reports users per second. Then times one
audience-insight question (age bands of a partner's audience: suppression,
OpenDP noise, budget, release, audit) against the bare ``GROUP BY`` it wraps, in
the same run, and drops the database.

Sizes: ``BENCH_INSIGHTS_USERS`` (default 100000) and ``BENCH_INSIGHTS_EVENTS``
(default 5000000), or ``python bench/bench_insights.py --users N --events M``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run on its own: python bench/bench_insights.py --users 10000 --events 500000
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from bench.common import Figure, median_time

PRODUCTS = 2000
TOPICS = 60
PARTNERS = 20
REGIONS = ["浙江", "上海", "北京", "广东", "四川", "江苏", "湖北", "陕西"]


def _server() -> dict[str, Any]:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": "", "name": "zhiqiao"}
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": int(db.get("PORT") or 5432),
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or "",
        "name": db.get("NAME") or "zhiqiao",
    }


def _admin(server: dict[str, Any], sql: str) -> None:
    with psycopg.connect(
        host=server["host"],
        port=server["port"],
        user=server["user"],
        password=server["password"] or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(sql)


def _use_database(server: dict[str, Any], name: str) -> dict[str, Any]:
    """Point Django's default connection at ``name`` on the server; returns the old settings."""
    old = dict(settings.DATABASES["default"])
    connections.close_all()
    new = {
        **old,
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "HOST": server["host"],
        "PORT": server["port"],
        "USER": server["user"],
        "PASSWORD": server["password"],
        "CONN_MAX_AGE": 0,
        "OPTIONS": {},
    }
    settings.DATABASES["default"] = new
    connections.databases["default"] = new
    del connections["default"]
    return old


def _restore(old: dict[str, Any]) -> None:
    connections.close_all()
    settings.DATABASES["default"] = old
    connections.databases["default"] = old
    del connections["default"]


def _generate(users: int, events: int) -> tuple[Any, list[int]]:
    from catalog.models import Product, Topic
    from users.models import Partner

    partners = Partner.objects.bulk_create(
        [Partner(name=f"出版社 {i}", slug=f"bench-press-{i}", kind=Partner.Kind.PUBLISHER) for i in range(PARTNERS)]
    )
    topics = Topic.objects.bulk_create([Topic(slug=f"bench-topic-{i}", name=f"主题 {i}") for i in range(TOPICS)])
    products = Product.objects.bulk_create(
        [
            Product(
                kind=Product.Kind.BOOK if i % 3 else Product.Kind.COURSE,
                owner=partners[i % PARTNERS],
                title=f"书 {i}",
                slug=f"bench-product-{i}",
                status=Product.Status.PUBLISHED,
            )
            for i in range(PRODUCTS)
        ]
    )
    through = Product.topics.through
    through.objects.bulk_create(
        [
            through(product_id=p.pk, topic_id=topics[(i * 7 + j) % TOPICS].pk)
            for i, p in enumerate(products)
            for j in (0, 1)
        ]
    )
    product_ids = [p.pk for p in products]
    regions = "ARRAY[" + ",".join(f"'{r}'" for r in REGIONS) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO users_user (password, email, display_name, preferred_language, is_staff, is_active,
                                    is_superuser, date_joined)
            SELECT '!', 'bench' || g || '@example.com', '', 'zh-hans', false, true, false, now()
            FROM generate_series(1, %s) AS g
            """,
            [users],
        )
        cursor.execute(
            f"""
            INSERT INTO users_profile (user_id, birth_year, gender, region, occupation, declared_interests, updated_at)
            SELECT id, 1950 + (id % 56), (ARRAY['female', 'male', 'other', ''])[1 + id % 4],
                   ({regions})[1 + id % {len(REGIONS)}],
                   (ARRAY['engineer', 'teacher', 'student', 'doctor'])[1 + id % 4],
                   '[]'::jsonb, now()
            FROM users_user
            """  # noqa: S608 - constants only
        )
        cursor.execute("SELECT min(id), max(id) FROM users_user")
        first_user, _last = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO insights_event (kind, source, user_id, anonymous_id, product_id, context, occurred_at,
                                        received_at)
            SELECT (ARRAY['view', 'view', 'view', 'click', 'preview', 'add_to_cart', 'purchase'])[1 + (g * 7919) %% 7],
                   'storefront', %s + (g * 104729) %% %s, '', %s + (g * 15485863) %% %s, '{}'::jsonb,
                   now() - ((g %% 180) || ' days')::interval, now()
            FROM generate_series(1::bigint, %s) AS g
            """,
            [first_user, users, min(product_ids), PRODUCTS, events],
        )
        cursor.execute("ANALYZE")
    return partners[0], product_ids


def run(users: int | None = None, events: int | None = None) -> list[Figure]:
    users = users or int(os.environ.get("BENCH_INSIGHTS_USERS", "100000"))
    events = events or int(os.environ.get("BENCH_INSIGHTS_EVENTS", "5000000"))
    server = _server()
    name = f"{server['name']}_bench_insights"
    _admin(server, f'DROP DATABASE IF EXISTS "{name}"')
    _admin(server, f'CREATE DATABASE "{name}"')
    old = _use_database(server, name)
    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        partner, _products = _generate(users, events)
        generated = time.perf_counter() - started
        print(f"   generated {users} users and {events} events with bulk SQL in {generated:.1f} s")
        return _measure(partner=partner, users=users, events=events)
    finally:
        _restore(old)
        _admin(server, f'DROP DATABASE IF EXISTS "{name}"')


def _measure(*, partner: Any, users: int, events: int) -> list[Figure]:
    from insights.audiences import (
        audience_insight_query,
        audience_question_build,
        audience_scope_resolve,
        audience_user_ids,
    )
    from insights.audit import Actor
    from insights.privacy_models import PartnerPrivacy, ProfileRun
    from insights.profiles import profile_run_execute
    from users.models import User

    run = ProfileRun.objects.create(mode=ProfileRun.Mode.FULL)
    started = time.perf_counter()
    run = profile_run_execute(run_id=run.pk)
    elapsed = time.perf_counter() - started
    assert run.processed == users, (run.processed, users)
    print(f"   profiles: {users} users from {events} events in {elapsed:.1f} s = {users / elapsed:,.0f} users/second")

    PartnerPrivacy.objects.update_or_create(
        partner=partner, defaults={"epsilon_per_period": Decimal("999"), "epsilon_per_query": Decimal("0.01")}
    )
    today = timezone.localdate()
    questions = iter(
        audience_question_build(date_from=today - timedelta(days=90 + i), date_to=today, dimensions=("age_band",))
        for i in range(1000)
    )

    def insight() -> None:
        audience_insight_query(partner=partner, question=next(questions), actor=Actor(channel_name="bench"))

    fixed = audience_question_build(date_from=today - timedelta(days=90), date_to=today, dimensions=("age_band",))
    scope = audience_scope_resolve(partner=partner, question=fixed)

    def bare() -> None:
        list(
            User.objects.filter(pk__in=audience_user_ids(scope=scope, question=fixed))
            .values("insight_profile__age_band")
            .annotate(n=Count("pk"))
            .values_list("insight_profile__age_band", "n")
        )

    bare()  # warm the cache for both
    reference = median_time(bare, repeats=7)
    measured = median_time(insight, repeats=7)
    return [
        Figure(f"profile computation, {users} users / {events} events", elapsed, unit_count=users),
        Figure("bare age-band GROUP BY of one partner's audience (reference)", reference),
        Figure(
            "audience insight query (k-anonymity, OpenDP noise, budget, release, audit)",
            measured,
            reference_s=reference,
        ),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--events", type=int, default=None)
    arguments = parser.parse_args()
    for figure in run(users=arguments.users, events=arguments.events):
        print(f"   {figure}")
