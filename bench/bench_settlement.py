"""Settling a month of 1,000,000 order lines over 200 contracts on PostgreSQL, against a plain SUM … GROUP BY.

Runs in a throwaway PostgreSQL database (``test_<name>`` next to ``DATABASE_URL``'s, created and
dropped here), filled with bulk SQL: 200 partners each with a contract (tiers, reserves,
advances, withholding), 1,000 products, the order lines (one in twenty a bundle of two items)
and their payments, and refunds of one line in fifty. The reference is the plain aggregate a
naive report would run over the same lines in the same database: ``SUM(price_paid) GROUP BY owner``.

Quick check: ``python bench/bench_settlement.py --lines 20000`` (or ``BENCH_SETTLEMENT_LINES``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Figure, median_time  # noqa: E402

DEFAULT_LINES = 1_000_000
CONTRACTS = 200
PERIOD = (date(2025, 3, 1), date(2025, 3, 31))


def _fill(*, lines: int) -> None:
    from django.db import connection

    from catalog.models import BundleItem, Product, Variant
    from settlements.models import FeeRate
    from settlements.services.contracts import RuleSpec, Terms, TierSpec, contract_create
    from users.models import Partner, User

    buyer = User.objects.create_user(email="bench-buyer@example.com", password=None)
    Partner.objects.get_or_create(kind=Partner.Kind.PLATFORM, defaults={"name": "平台", "slug": "bench-platform"})
    partners = Partner.objects.bulk_create(
        [Partner(name=f"出版社 {i}", slug=f"bench-{i}", kind=Partner.Kind.PUBLISHER) for i in range(CONTRACTS)]
    )
    formats = ["ebook", "audiobook", "print", "course", "ebook"]
    products = Product.objects.bulk_create(
        [
            Product(
                kind="course" if f == "course" else "book",
                owner=p,
                title=f"书 {p.pk}-{j}",
                slug=f"b-{p.pk}-{j}",
                status="published",
            )
            for p in partners
            for j, f in enumerate(formats)
        ]
    )
    variants = Variant.objects.bulk_create(
        [
            Variant(
                product=pr, format=formats[i % 5], sku=f"B{pr.pk}", price=Decimal(19 + (i * 7) % 180) + Decimal("0.90")
            )
            for i, pr in enumerate(products)
        ]
    )
    # 50 bundles of a course and an ebook from two partners.
    bundle_products = Product.objects.bulk_create(
        [
            Product(kind="bundle", owner=partners[i], title=f"套装 {i}", slug=f"bundle-{i}", status="published")
            for i in range(50)
        ]
    )
    bundles = Variant.objects.bulk_create(
        [Variant(product=b, format="bundle", sku=f"BB{b.pk}", price=Decimal("199.00")) for b in bundle_products]
    )
    BundleItem.objects.bulk_create(
        [
            BundleItem(bundle=b, variant=variants[(i * 5 + 3) % len(variants)], position=0)
            for i, b in enumerate(bundle_products)
        ]
        + [
            BundleItem(bundle=b, variant=variants[(i * 5 + 11) % len(variants)], position=1)
            for i, b in enumerate(bundle_products)
        ]
    )
    for i, partner in enumerate(partners):
        tiers = [
            TierSpec(threshold=Decimal(0), rate=Decimal(10)),
            TierSpec(threshold=Decimal(50 + i), rate=Decimal("12.5")),
            TierSpec(threshold=Decimal(200 + i), rate=Decimal(15)),
        ]
        contract_create(
            partner=partner,
            number=f"BENCH-{i:03d}",
            title=f"Bench contract {i}",
            currency="CNY",
            starts_on=date(2024, 1 + i % 12, 1),
            terms=Terms(
                basis="net" if i % 2 else "list",
                rules=[
                    RuleSpec(format="ebook", tiers=[TierSpec(threshold=Decimal(0), rate=Decimal(70))]),
                    RuleSpec(format="audiobook", tiers=[TierSpec(threshold=Decimal(0), rate=Decimal(40))]),
                    RuleSpec(format="print", tiers=tiers),
                    RuleSpec(
                        format="course",
                        tiers=[
                            TierSpec(threshold=Decimal(0), rate=Decimal(30)),
                            TierSpec(threshold=Decimal(5000), rate=Decimal(35)),
                        ],
                        tier_measure="revenue",
                    ),
                ],
                advance=Decimal(2000 * (i % 4)),
                reserve_rate=Decimal(10 * (i % 3)),
                withholding_rate=Decimal(3 if i % 5 == 0 else 0),
            ),
        )
    FeeRate.objects.create(kind="payment", key="sandbox", rate=Decimal("0.6"), valid_from=date(2024, 1, 1))
    FeeRate.objects.create(kind="channel", key="app", rate=Decimal("30"), valid_from=date(2024, 1, 1))

    per_order = 4
    orders = (lines + per_order - 1) // per_order
    v_first, v_count = variants[0].pk, len(variants)
    b_first = bundles[0].pk
    with connection.cursor() as c:
        c.execute(
            """
            INSERT INTO commerce_order (number, user_id, status, currency, subtotal, discount, total, refunded_total,
                territory, channel, idempotency_key, request_fingerprint, created_at, updated_at, paid_at)
            SELECT 'BENCH' || g, %s, 'paid', 'CNY', 0, 0, 0, 0, 'CN',
                (ARRAY['web', 'web', 'app', 'partner_api'])[1 + g %% 4], 'bench-' || g, 'bench', now(), now(),
                %s::timestamptz + (g %% (30 * 24 * 60)) * interval '1 minute'
            FROM generate_series(1, %s) g
            """,
            [buyer.pk, f"{PERIOD[0].isoformat()} 00:30:00+08:00", orders],
        )
        # Four distinct variants per order; one line in twenty is a bundle.
        c.execute(
            """
            INSERT INTO commerce_orderline (order_id, line_ref, variant_id, product_id, owner_id, format, title, sku,
                quantity,
                unit_price, list_price, discount, price_paid, refunded_amount, attribution)
            SELECT o.id, 'B' || o.id || '-' || k, v.id, p.id, p.owner_id, v.format, p.title, v.sku, q.quantity,
                v.price, v.price * q.quantity,
                d.discount, v.price * q.quantity - d.discount, 0, '{}'::jsonb
            FROM commerce_order o
            CROSS JOIN generate_series(0, %s - 1) k
            CROSS JOIN LATERAL (
                SELECT CASE WHEN (o.id + k) %% 20 = 0 THEN %s + (o.id %% 50)
                            ELSE %s + ((o.id * 7 + k * 13) %% %s) END AS variant_id
            ) pick
            JOIN catalog_variant v ON v.id = pick.variant_id
            JOIN catalog_product p ON p.id = v.product_id
            CROSS JOIN LATERAL (SELECT CASE WHEN v.format = 'print' THEN 1 + (o.id %% 3) ELSE 1 END AS quantity) q
            CROSS JOIN LATERAL (
                SELECT CASE WHEN o.id %% 10 = 0 THEN round(v.price * q.quantity * 0.1, 2) ELSE 0 END AS discount
            ) d
            WHERE o.number LIKE 'BENCH%%'
            """,
            [per_order, b_first, v_first, v_count],
        )
        # Bundle items: the price paid and the list price split by the two standalone prices (the first
        # rounded, the second the rest).
        c.execute(
            """
            INSERT INTO commerce_orderlineitem (line_id, variant_id, product_id, owner_id, format, title,
                standalone_price, share, list_share, refunded_amount)
            SELECT l.id, iv.id, ip.id, ip.owner_id, iv.format, ip.title, iv.price,
                CASE WHEN bi.position = 0 THEN round(l.price_paid * iv.price / w.total, 2)
                     ELSE l.price_paid - round(l.price_paid * first.price / w.total, 2) END,
                CASE WHEN bi.position = 0 THEN round(l.list_price * iv.price / w.total, 2)
                     ELSE l.list_price - round(l.list_price * first.price / w.total, 2) END, 0
            FROM commerce_orderline l
            JOIN catalog_bundleitem bi ON bi.bundle_id = l.product_id
            JOIN catalog_variant iv ON iv.id = bi.variant_id
            JOIN catalog_product ip ON ip.id = iv.product_id
            JOIN LATERAL (SELECT sum(v2.price) AS total FROM catalog_bundleitem b2
                          JOIN catalog_variant v2 ON v2.id = b2.variant_id
                          WHERE b2.bundle_id = l.product_id) w ON true
            JOIN LATERAL (SELECT v3.price FROM catalog_bundleitem b3 JOIN catalog_variant v3 ON v3.id = b3.variant_id
                          WHERE b3.bundle_id = l.product_id AND b3.position = 0) first ON true
            WHERE l.format = 'bundle'
            """
        )
        c.execute(
            """
            UPDATE commerce_order o SET subtotal = t.list, discount = t.discount, total = t.paid
            FROM (SELECT order_id, sum(list_price) AS list, sum(discount) AS discount, sum(price_paid) AS paid
                  FROM commerce_orderline GROUP BY order_id) t
            WHERE t.order_id = o.id
            """
        )
        c.execute(
            """
            INSERT INTO commerce_payment (order_id, public_id, provider, redirect_url, return_url, amount, currency,
                refunded_amount, status, created_at, updated_at, succeeded_at)
            SELECT id, gen_random_uuid(), 'sandbox', '', '', total, 'CNY', 0, 'succeeded', now(), now(), paid_at
            FROM commerce_order WHERE number LIKE 'BENCH%%'
            """
        )
        # One plain line in fifty is refunded in full later in the month.
        c.execute(
            """
            WITH chosen AS (
                SELECT l.id AS line_id, l.order_id, l.price_paid FROM commerce_orderline l
                WHERE l.id %% 50 = 7 AND l.format <> 'bundle' AND l.price_paid > 0
            ), refunds AS (
                INSERT INTO commerce_refund (order_id, payment_id, public_id, idempotency_key, amount, currency, reason,
                    status, provider_ref, failure_message, created_at, completed_at)
                SELECT ch.order_id, p.id, gen_random_uuid(), 'bench-' || ch.line_id, ch.price_paid, 'CNY', 'bench',
                    'succeeded', '', '', now(), o.paid_at + interval '12 hours'
                FROM chosen ch JOIN commerce_payment p ON p.order_id = ch.order_id
                JOIN commerce_order o ON o.id = ch.order_id
                WHERE o.paid_at + interval '12 hours' < %s::timestamptz
                RETURNING id, order_id, idempotency_key, amount
            )
            INSERT INTO commerce_refundline (refund_id, order_line_id, item_id, amount)
            SELECT r.id, substr(r.idempotency_key, 7)::bigint, NULL, r.amount FROM refunds r
            """,
            [f"{PERIOD[1].isoformat()} 23:59:00+08:00"],
        )
        c.execute("ANALYZE")


def run(lines: int | None = None) -> list[Figure]:
    from django.db import connection

    if connection.vendor != "postgresql":
        print("   skipped: needs DATABASE_URL pointing at PostgreSQL")
        return []
    lines = lines or int(os.environ.get("BENCH_SETTLEMENT_LINES", DEFAULT_LINES))
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from settlements.models import SettlementItem, StatementLine
        from settlements.services.runs import settlement_run_create

        started = time.perf_counter()
        _fill(lines=lines)
        print(f"   filled {lines:,} lines over {CONTRACTS} contracts in {time.perf_counter() - started:.1f} s")

        def reference() -> object:
            with connection.cursor() as c:
                c.execute(
                    """
                    SELECT l.owner_id, sum(l.price_paid) FROM commerce_orderline l
                    JOIN commerce_order o ON o.id = l.order_id
                    WHERE o.status IN ('paid', 'partially_refunded', 'refunded') AND o.paid_at >= %s AND o.paid_at < %s
                    GROUP BY l.owner_id
                    """,
                    [f"{PERIOD[0].isoformat()} 00:00+08:00", "2025-04-01 00:00+08:00"],
                )
                return c.fetchall()

        ref = median_time(reference, repeats=3)

        def progress(done: int, total: int, step: str) -> None:
            print(f"   [{done:>2}/{total}] {step} ({time.perf_counter() - run_started:.1f} s)")

        run_started = time.perf_counter()
        settled = settlement_run_create(period_start=PERIOD[0], period_end=PERIOD[1], progress=progress)
        elapsed = time.perf_counter() - run_started
        cny = settled.report["currencies"]["CNY"]
        print(
            f"   reconciles={settled.reconciles}: received {cny['received']} = partners {cny['shares']['partners']} + "
            f"fees {cny['shares']['fees']} + platform {cny['shares']['platform']}; "
            f"{SettlementItem.objects.count():,} items, {StatementLine.objects.count():,} lines"
        )
        return [
            Figure("SUM(price_paid) GROUP BY owner (reference)", ref, unit_count=lines),
            Figure(
                f"settlement run, {lines:,} lines / {CONTRACTS} contracts", elapsed, reference_s=ref, unit_count=lines
            ),
        ]
    finally:
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=None, help=f"order lines to settle (default {DEFAULT_LINES:,})")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    for figure in run(lines=args.lines):
        print(f"   {figure}")
