from typing import Any

import django.db.models.deletion
from django.db import migrations, models

# A run inserts its items and then updates each once; at half-full pages, PostgreSQL keeps the
# updated row on its page (a heap-only update) and writes no index entry for it.
FILL_FACTOR = 50


def set_fill_factor(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE settlements_settlementitem SET (fillfactor = {FILL_FACTOR})")


def reset_fill_factor(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE settlements_settlementitem RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("settlements", "0004_ledger_copies_unconstrained"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="settlementitem",
            name="settlements_contrac_97b08a_idx",
        ),
        migrations.RunPython(set_fill_factor, reset_fill_factor, elidable=False),
        migrations.AlterField(
            model_name="statementline",
            name="run",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="lines",
                to="settlements.settlementrun",
            ),
        ),
    ]
