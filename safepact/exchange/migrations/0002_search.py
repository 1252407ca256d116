"""Full-text search over ``exchange_searchentry`` (``safepact.exchange.search``), one per database vendor.

* SQLite: an FTS5 table ``exchange_search_fts`` with external content (the entry table itself: the text is
  stored once), kept in sync by three triggers on ``exchange_searchentry``; tokenizer ``unicode61
  remove_diacritics 2`` (case and accents folded: "malmo" finds "Malmö"); ``rank`` is bm25 with the title
  weighted twice the text.
* PostgreSQL: a stored generated ``tsvector`` column ``search_vector`` (title weight A, text weight B) with a
  GIN index, in the text search configuration ``safepact_search``: a copy of ``simple`` that also folds
  accents through the ``unaccent`` dictionary when the role may create that (trusted) extension, and is
  plain ``simple`` otherwise (with a warning: search then is accent-sensitive). ASCII punctuation is
  turned into spaces first, so both databases split text into the same words.

Raw SQL in a RunPython so each vendor gets its own: regenerating the migrations from the models would drop
this file, so keep it. A later migration that alters ``SearchEntry`` on SQLite rebuilds the table (Django
copies it to a new one), which drops the triggers: such a migration must run ``SQLITE_TRIGGERS`` again and
then ``INSERT INTO exchange_search_fts(exchange_search_fts) VALUES ('rebuild')``. On PostgreSQL the
generated column depends on ``title`` and ``text``: changing their type needs the column dropped and re-added.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS exchange_search_fts USING fts5("
    "title, text, content='exchange_searchentry', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS exchange_search_fts_ai AFTER INSERT ON exchange_searchentry BEGIN
        INSERT INTO exchange_search_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS exchange_search_fts_ad AFTER DELETE ON exchange_searchentry BEGIN
        INSERT INTO exchange_search_fts(exchange_search_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS exchange_search_fts_au AFTER UPDATE ON exchange_searchentry BEGIN
        INSERT INTO exchange_search_fts(exchange_search_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO exchange_search_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
)
SQLITE_SETUP = (
    # ``ORDER BY rank`` (which FTS5 can hand out in order, so a LIMIT stops early) means bm25 with these
    # column weights: a word in the title counts twice.
    "INSERT INTO exchange_search_fts(exchange_search_fts, rank) VALUES ('rank', 'bm25(2.0, 1.0)')",
    "INSERT INTO exchange_search_fts(exchange_search_fts) VALUES ('rebuild')",
)

PG_CONFIG = "safepact_search"
#: ASCII punctuation becomes a space before PostgreSQL's parser sees the text, so it splits words as
#: FTS5's unicode61 and ``search.query_terms`` do ("6AW-1024" is "6aw" and "1024", "checklist-v2.pdf" three
#: words), instead of keeping hyphenated words, file names, e-mail addresses and signed numbers whole.
PG_WORDS = "regexp_replace(coalesce({column}, ''), '[!-/:-@\\[-`{{-~]+', ' ', 'g')"
PG_VECTOR = (
    "ALTER TABLE exchange_searchentry ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ("
    f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, {PG_WORDS.format(column='title')}), 'A') || "
    f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, {PG_WORDS.format(column='text')}), 'B')) STORED"
)
PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS exchange_search_vector_gin ON exchange_searchentry USING gin (search_vector)"
)


def _postgres_config(connection, cursor) -> None:
    """``safepact_search``: ``simple`` (lower-cased words, no stemming: the partners write in several
    languages) plus ``unaccent`` when the extension is available."""
    cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = pg_catalog.simple)")
    try:
        with transaction.atomic(using=connection.alias):
            cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            cursor.execute(
                f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} "
                "ALTER MAPPING FOR word, hword, hword_part, numword, numhword, hword_numpart WITH unaccent, simple"
            )
    except DatabaseError as exc:  # no privilege for the extension: search works, accent-sensitive
        logger.warning("Exchange search: no unaccent, search is accent-sensitive (%s).", exc)


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(SQLITE_TABLE)
            for statement in (*SQLITE_TRIGGERS, *SQLITE_SETUP):
                cursor.execute(statement)
        elif connection.vendor == "postgresql":
            _postgres_config(connection, cursor)
            cursor.execute(PG_VECTOR)
            cursor.execute(PG_INDEX)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in ("exchange_search_fts_ai", "exchange_search_fts_ad", "exchange_search_fts_au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute("DROP TABLE IF EXISTS exchange_search_fts")
        elif connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS exchange_search_vector_gin")
            cursor.execute("ALTER TABLE exchange_searchentry DROP COLUMN IF EXISTS search_vector")
            cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}")


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
