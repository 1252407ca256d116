"""Model instances from a hand-written query, for the few queries every request makes.

Building a query with the ORM costs far more than running it: the access query behind every partnership
page and API call (a membership with its partner, partnership and organisation, and the officer flag)
takes about 1 ms of Python to build and compile and some 70 µs in SQLite. ``ModelColumns`` lets such a
query be written once as SQL (table and column names from the models' metadata, every value a parameter)
and still give model instances: the database's values go through the same converters the ORM applies
(``Field.from_db_value`` and the backend's, e.g. SQLite's text dates and UUIDs), then ``Model.from_db``.

Use it only where a benchmark shows the ORM's cost, and keep an ORM version of the query next to it in a
test that compares the two (see ``partnerships/tests/test_access_sql.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections
from django.db.models import Model


class ModelColumns:
    """The concrete columns of ``model`` under the table alias ``alias``: ``sql(connection)`` is the
    select list, ``load(connection, values)`` the instance made from a row's slice of values."""

    def __init__(self, model: type[Model], alias: str):
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.names = [field.attname for field in self.fields]
        self.width = len(self.fields)
        self._converters: dict[str, list] = {}

    def sql(self, connection) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(field.column)}" for field in self.fields)

    def column(self, connection, name: str) -> str:
        """``alias."column"`` of the field ``name``."""
        return f"{self.alias}.{connection.ops.quote_name(self.model._meta.get_field(name).column)}"

    def _converters_for(self, connection) -> list:
        converters = self._converters.get(connection.alias)
        if converters is None:
            converters = []
            for field in self.fields:
                column = field.get_col(self.alias)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                converters.append((found, column))
            self._converters[connection.alias] = converters
        return converters

    def load(self, connection, values: Sequence) -> Model:
        converted = []
        for value, (converters, column) in zip(values, self._converters_for(connection), strict=True):
            for converter in converters:
                value = converter(value, column, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.names, converted)


def load_row(connection, columns: Sequence[ModelColumns], row: Sequence) -> tuple[list[Model], Sequence]:
    """The instances of ``columns`` (in order) from one row whose select list began with their columns,
    and the row's remaining values."""
    instances, start = [], 0
    for part in columns:
        instances.append(part.load(connection, row[start : start + part.width]))
        start += part.width
    return instances, row[start:]


def fetch_one(using: str, sql: str, params: Sequence) -> tuple | None:
    """The first row of ``sql`` on the connection ``using``, or None."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
