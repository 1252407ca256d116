"""The check log's week (``Check.week``, seconds since the epoch // 604,800) and the late-hit index on
(partnership, week, key) instead of (partnership, key, checked_at): a batch's rows then go into this week's
part of the index only. Existing rows get their week from ``checked_at``."""

from django.db import migrations, models

WEEK = 7 * 86400


def fill_weeks(apps, schema_editor):
    Check = apps.get_model("registry", "Check")
    connection = schema_editor.connection
    table = connection.ops.quote_name(Check._meta.db_table)
    if connection.vendor == "postgresql":
        expression = f"FLOOR(EXTRACT(EPOCH FROM checked_at) / {WEEK})::integer"
    else:  # SQLite keeps the UTC time as text
        expression = f"CAST(strftime('%s', checked_at) AS INTEGER) / {WEEK}"
    with connection.cursor() as cursor:  # no parameters: the SQL goes as written ('%s' is strftime's)
        cursor.execute(f"UPDATE {table} SET week = {expression}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_lookup_indexes_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="check",
            name="week",
            field=models.IntegerField(default=0, editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(fill_weeks, migrations.RunPython.noop, elidable=False),
        migrations.RemoveIndex(model_name="check", name="registry_check_late"),
        migrations.AddIndex(
            model_name="check",
            index=models.Index(fields=["partnership", "week", "key"], name="registry_check_week_key"),
        ),
    ]
