"""``id_in``: "this column is one of these ids" as one bound array on PostgreSQL.

A listing filters by the set of sellable ids (hundreds or thousands of them).
``pk__in=[...]`` writes one placeholder per id, and building, quoting and
parsing such a statement costs more than running it; ``= ANY(%s)`` binds the
whole list as one array parameter, so the statement's text is short and the
same on every request. Other databases (SQLite, the embedded default) get a
plain ``IN``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Lookup
from django.db.models.sql.compiler import SQLCompiler

# SQLite refuses statements with more than this many parameters (999 in old builds).
SQLITE_MAX_PARAMS = 900


class IdIn(Lookup):
    lookup_name = "storefront_id_in"
    prepare_rhs = False
    can_use_none_as_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = [int(i) for i in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, ids]
        if not ids:
            return "1 = 0", list(lhs_params)
        if len(ids) <= SQLITE_MAX_PARAMS:
            return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*lhs_params, *ids]
        # Past the parameter limit the ids (integers, checked above) are written out.
        return f"{lhs} IN ({', '.join(str(i) for i in ids)})", list(lhs_params)


def id_in(field: str, ids: Iterable[int]) -> IdIn:
    """A filter: ``field`` (a path like ``"pk"`` or ``"product_id"``) is one of ``ids``."""
    return IdIn(F(field), list(ids))
