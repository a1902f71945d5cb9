"""Set-based building blocks: integer-cent arithmetic in SQL and INSERT … SELECT from a queryset.

Everything the run computes in the database is done in integer cents (and
rates in millionths of a unit), so PostgreSQL and SQLite (whose decimals are
floating point) round alike and exactly: half up, on non-negative values.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.models import ExpressionWrapper, F, Sum, Value
from django.db.models.functions import Cast, Round

INT: models.BigIntegerField[Any, Any] = models.BigIntegerField()
MONEY: models.DecimalField[Any, Any] = models.DecimalField(max_digits=14, decimal_places=2)
RATE_SCALE = 1_000_000  # a rate of 12.5 % is 125_000 millionths
INFINITY = 10**15


def cents(expression: Any) -> Any:
    """An amount column or expression (yuan) as integer cents."""
    if isinstance(expression, str):
        expression = F(expression)
    return Cast(Round(ExpressionWrapper(expression * Value(100), output_field=MONEY)), INT)


def rate_millionths(expression: Any) -> Any:
    """A percentage column (12.5000) as millionths of one (125000)."""
    if isinstance(expression, str):
        expression = F(expression)
    return Cast(Round(ExpressionWrapper(expression * Value(10_000), output_field=MONEY)), INT)


def int_expr(expression: Any) -> Any:
    return ExpressionWrapper(expression, output_field=INT)


def int_sum(expression: Any, *, filter: Any = None) -> Any:
    """SUM of integers as an integer (PostgreSQL sums bigint as numeric, which would turn the
    integer divisions that round amounts into exact ones); ``filter`` as for any aggregate."""
    return Cast(Sum(expression, output_field=INT, filter=filter), INT)


def half_up(numerator: Any, denominator: Any) -> Any:
    """``round(numerator / denominator)`` half up, for a non-negative numerator and a positive
    denominator, in integers: ``(2n + d) div 2d``. Each operand appears once or twice, so nested
    uses stay small (amounts here are far below the 4.6 × 10^18 where ``2n`` would overflow)."""
    return int_expr(int_expr(numerator * 2 + denominator) / int_expr(denominator * 2))


def money_from_cents(expression: Any) -> Any:
    """Integer cents as an amount (yuan) for a money column."""
    return ExpressionWrapper(expression * Value(Decimal("0.01")), output_field=MONEY)


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    assert field.column
    return field.column


def insert_select(
    model: type[models.Model],
    columns: dict[str, Any],
    queryset: models.QuerySet[Any],
    *,
    skip_existing: str | None = None,
) -> int:
    """``INSERT INTO model (columns…) SELECT …`` from ``queryset`` annotated with ``columns``
    (field name → expression). Returns the number of rows inserted.

    ``skip_existing`` names a unique field: rows whose value is already in the table are left out
    (``ON CONFLICT … DO NOTHING``), checked against the unique index row by row. An anti-join would
    do the same, but a planner that believes the table empty scans it again for every row written."""
    aliases = {f"c{i}_{name}"[:60]: expression for i, (name, expression) in enumerate(columns.items())}
    # Only the aliases are selected, in this order.
    query = queryset.annotate(**aliases).values(*aliases.keys()).query
    sql, params = query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(_column(model, name)) for name in columns)
    conflict = ""
    if skip_existing is not None:
        # SQLite reads ``ON`` after a SELECT as a join's unless the SELECT has a WHERE clause.
        assert " WHERE " in sql, "skip_existing needs a filtered queryset"
        conflict = f" ON CONFLICT ({connection.ops.quote_name(_column(model, skip_existing))}) DO NOTHING"
    with connection.cursor() as cursor:
        # Identifiers come from model metadata, values are parameters.
        cursor.execute(f"INSERT INTO {table} ({cols}) {sql}{conflict}", params)
        return cursor.rowcount


def update_from(
    model: type[models.Model],
    set_columns: dict[str, str],
    source: models.QuerySet[Any],
    *,
    key: str = "id",
    run_id: int,
) -> int:
    """``UPDATE model SET column = s.alias … FROM (source) s WHERE model.id = s.<key> AND model.run_id = run_id``:
    write values that need window functions (which an UPDATE cannot hold) computed by ``source``, to one run's rows."""
    # The rows' order does not matter to an UPDATE: no sort of the whole source.
    sql, params = source.order_by().query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(_column(model, field))} = s.{connection.ops.quote_name(alias)}"
        for field, alias in set_columns.items()
    )
    pk = connection.ops.quote_name(_column(model, "id"))
    run_column = connection.ops.quote_name("run_id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM ({sql}) AS s "  # noqa: S608
            f"WHERE {table}.{pk} = s.{connection.ops.quote_name(key)} AND {table}.{run_column} = %s",
            [*params, run_id],
        )
        return cursor.rowcount


__all__ = [
    "INFINITY",
    "INT",
    "MONEY",
    "RATE_SCALE",
    "cents",
    "half_up",
    "insert_select",
    "int_expr",
    "int_sum",
    "money_from_cents",
    "rate_millionths",
    "update_from",
]
