"""Shared set-up for the benchmarks: a throw-away SQLite database (or DATABASE_URL), migrated."""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _fresh_postgres_database(url: str) -> str:
    """Benchmarks never touch the named database: they run in a fresh ``<name>_bench`` beside it."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    bench_name = (parts.path.lstrip("/") or "safepact") + "_bench"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}"')
        conn.execute(f'CREATE DATABASE "{bench_name}"')
    return urlunsplit(parts._replace(path="/" + bench_name))


def setup_django() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        os.environ["DATABASE_URL"] = _fresh_postgres_database(url)
    else:
        os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="safepact-bench-")) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safepact.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    return connection.vendor


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))
    return ordered[index]
