from decimal import Decimal
from typing import Any

from django.db import migrations

import core.money
from core.money import money_split


def list_shares_fill(apps: Any, schema_editor: Any) -> None:
    """Each bundle item bought so far gets its share of its line's list price, split as checkout
    now splits it: by largest remainder on the items' standalone prices, in the order they were
    recorded (ties to the earlier item)."""
    order_line_item = apps.get_model("commerce", "OrderLineItem")
    batch: list[Any] = []
    items = (
        order_line_item.objects.select_related("line")
        .only("pk", "line_id", "line__list_price", "standalone_price")
        .order_by("line_id", "pk")
    )
    line: list[Any] = []

    def flush_line() -> None:
        shares = money_split(amount=line[0].line.list_price, weights=[i.standalone_price for i in line])
        for item, share in zip(line, shares, strict=True):
            item.list_share = share
        batch.extend(line)
        line.clear()

    for item in items.iterator(chunk_size=2000):
        if line and line[0].line_id != item.line_id:
            flush_line()
        line.append(item)
        if len(batch) >= 2000:
            order_line_item.objects.bulk_update(batch, ["list_share"])
            batch.clear()
    if line:
        flush_line()
    if batch:
        order_line_item.objects.bulk_update(batch, ["list_share"])


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0002_promotions"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderlineitem",
            name="list_share",
            field=core.money.MoneyField(
                decimal_places=2, default=Decimal(0), max_digits=14, verbose_name="share of list price"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(list_shares_fill, migrations.RunPython.noop, elidable=False),
    ]
