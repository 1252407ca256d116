"""PostgreSQL-only indexes for the partner directory search (SQLite scans 10,000 profiles fast enough).

* a trigram index on ``search_text`` (published profiles) so ``LIKE '%word%'`` on a selective word does
  not scan every profile; needs the ``pg_trgm`` extension, which is created if the role may do so and
  skipped (with the index) otherwise;
* GIN indexes for the crime-area and capability filters (``jsonb @>`` on PostgreSQL).

Raw SQL in a RunPython so SQLite is untouched: regenerating the migrations from the models would drop
this file, so keep it (see bench/directory.py for the figures).
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

JSON_INDEXES = {
    "directory_crime_areas_gin": "crime_areas",
    "directory_capabilities_gin": "capabilities",
}


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name, column in JSON_INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON formation_directoryprofile USING gin ({column} jsonb_path_ops)"
            )
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute(
                    "CREATE INDEX IF NOT EXISTS directory_search_trgm ON formation_directoryprofile "
                    "USING gin (search_text gin_trgm_ops) WHERE published"
                )
        except DatabaseError as exc:  # no privilege for the extension: search still works, unindexed
            logger.warning("Directory search: no trigram index (%s).", exc)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name in (*JSON_INDEXES, "directory_search_trgm"):
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("formation", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
