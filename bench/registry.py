"""Registry of stolen objects (issue 7): import, single checks, batch checks and checks over HTTP, at scale.

    uv run python bench/registry.py                       # 1,000,000 objects, 2,000,000 identifiers, SQLite
    uv run python bench/registry.py --objects 50000       # a quick run
    uv run python bench/registry.py --big                 # 10,000,000 objects, 20,000,000 identifiers
    uv run python bench/registry.py --postgres            # postgresql://postgres@127.0.0.1:5432/<--pg-name>
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test uv run python bench/registry.py   # test_bench
    uv run python bench/registry.py --db var/registry-bench.sqlite3   # keep the world; a second run reuses it

World (seeded: every run builds the same). One partnership; a police unit (law enforcement) owns every
alert; a marina (a business partner with the write role) checks. Objects come in a fixed cycle of ten:
four motor vehicles and trailers (VIN with a valid check digit and a licence plate of one of six
countries; one of them with its engine number too), three boats (a hull identification number, US or EU
CIN with a country prefix, and an outboard engine number; one boat with a second hull number, the issue's
example), a boat engine, a dual-SIM phone (two IMEIs with their Luhn digit) and a bicycle (frame number):
20 identifiers per 10 objects. Every identifier's distinguishing part encodes its ordinal through a
bijection, so no two objects share an identifier and identifiers of objects beyond ``--objects`` (the
misses) are certainly not in the registry; the other parts (manufacturer, model year, country, ...) are
drawn from a seeded generator. Checks spell hits the way people type them (lower case, other separators).

Measured, each next to a baseline measured in the same run on the same database:

1. Import: CSV files of ``--chunk`` objects (one identifier per row, rows of one object merged, the format
   of ``safepact/registry/mappings/README.md``) through ``services.import_alerts``; objects and identifiers
   per second. Baseline: the same rows (keys computed beforehand) inserted with ``executemany`` into the
   alert and identifier tables, once into the empty tables and once into the full ones (then deleted).
2. Single check: ``services.check_identifier`` (normalise, rate limits, look up, write the check log; a hit
   also records and notifies) for ``--checks`` identifiers, ~1 % hits. Baseline: one raw indexed SQL
   look-up of the precomputed key (join to the active alert, no logging) through the same connection.
   The two alternate check by check. Target (issue 7): at most 10x the baseline.
3. Batch check: ``--batch`` identifiers through ``services.check_rows`` (the set-based core of batch checks:
   look-up in chunks, check log written, hits recorded). Baseline: the same keys looked up with raw SQL in
   chunks of 1,000 (``IN (...)``), no logging. Targets: at least 100,000 identifiers/s and at most 2x.
4. HTTP: the production server (granian, as ``make serve``: ``SAFEPACT_ENV=production``, the same database)
   on a free port; ``--clients`` concurrent clients (Python threads open a connection per request; wrk
   keeps its connections open) send ``POST /api/v1/partnerships/{code}/registry/check`` with a Bearer API token of
   the marina's member; p50/p99 and requests/s. Baseline: the same clients on ``GET /api/v1/me`` (the same
   token authentication, two small queries) and, for reference, ``GET /healthz`` (no authentication).
   Target (issue 7): p99 < 25 ms on SQLite. Three rounds: a closed loop from ``wrk`` (Debian's package, a
   load generator in C: ``--clients`` connections, each sending again as soon as it has its answer, for
   ``--wrk-seconds`` per endpoint, in two halves, each right after ``--wrk-warmup`` seconds of the same
   endpoint that are not measured; every check of these loops is an identifier of its own, never sent
   before in the run) judged against the target; the same closed loop from
   the Python threads, whose own work (16 threads sharing one interpreter lock and the machine's cores)
   counts in the latencies, shown for reference; and the Python threads paced at ``--http-rate``.
   0.1 % of these checks hit (``--http-hit-rate``). The issue's own figures bound the real share: the SIS
   holds some 93 million alerts and answers some 15 billion searches a year, so even if every alert were
   found once a year, 0.6 % of searches would hit, and most alerts are never found. A hit is audited and
   its unit notified inside SQLite's one write lock (about 7 ms); a last wrk loop with ``--hit-rate``
   (1 %) shows what that does to everyone's latency.

Rate limits are raised for the run (environment variables, for this process and the server); ``DEBUG`` is
off in this process too (Django's debug cursor would format and keep every query). Emails go to Django's
dummy backend. The load average is printed at the start and the end: wall-clock figures only
mean something on a quiet machine.
"""

import argparse
import csv
import gc
import io
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, percentile

SEED = 7
HIGH = "1000000000"
RATE_ENV = {
    "SAFEPACT_REGISTRY_CHECKS_PER_USER_MINUTE": HIGH,
    "SAFEPACT_REGISTRY_CHECKS_PER_ORGANISATION_MINUTE": HIGH,
    "SAFEPACT_REGISTRY_BATCH_ROWS_PER_DAY": HIGH,
    "SAFEPACT_REGISTRY_IMPORT_MAX_MB": "100000",
    "SAFEPACT_REGISTRY_BATCH_MAX_ROWS": "100000000",
    "SAFEPACT_REGISTRY_BATCH_MAX_MB": "100000",
}
PARTNERSHIP_NAME = "Registry benchmark"


# Deterministic randomness with random access by object number (splitmix64) --------------------------------

_MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


class Draw:
    """A small seeded generator for one object (or one check): ``Draw(i, salt)``."""

    __slots__ = ("state",)

    def __init__(self, *parts: int):
        state = SEED
        for part in parts:
            state = _mix(state ^ part)
        self.state = state

    def below(self, n: int) -> int:
        self.state = _mix(self.state)
        return self.state % n

    def pick(self, seq):
        return seq[self.below(len(seq))]

    def chance(self, p: float) -> bool:
        return self.below(1_000_000) < p * 1_000_000


def scramble(ordinal: int, modulus: int) -> int:
    """A bijection of [0, modulus): distinct ordinals give distinct, unordered-looking numbers."""
    assert ordinal < modulus, (ordinal, modulus)
    return (ordinal * 7_368_787 + 1_234_567) % modulus  # 7,368,787 is prime and divides no modulus here


def encode(pattern: str, n: int, letters: str) -> str:
    """Write ``n`` in the mixed radix of ``pattern`` ('a' a letter of ``letters``, '9' a digit, others
    literal), right to left."""
    out = []
    for ch in reversed(pattern):
        if ch == "a":
            n, r = divmod(n, len(letters))
            out.append(letters[r])
        elif ch == "9":
            n, r = divmod(n, 10)
            out.append(str(r))
        else:
            out.append(ch)
    assert n == 0, pattern
    return "".join(reversed(out))


def capacity(pattern: str, letters: str) -> int:
    return len(letters) ** pattern.count("a") * 10 ** pattern.count("9")


# Letters that no normaliser could fold into a digit or into each other (no B G I O Q S Z).
SAFE = "ACDEFHJKLMNPRTUVWXY"
DUTCH = "DFHJKLNPRTVX"  # Dutch plates use consonants only

# VIN ------------------------------------------------------------------------------------------------------
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q
_VIN_VALUE = {str(d): d for d in range(10)} | dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9],
        strict=True,
    )
)
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
WMIS = ("WBA", "WVW", "WDB", "VF1", "VF3", "ZFA", "YV1", "TMB", "VSS", "SAL", "WAU", "1HG", "1FT", "2T1", "3VW",
        "5YJ", "JHM", "JTD", "KMH", "WP0", "YS3", "XTA", "SJN", "U5Y")  # fmt: skip
VIN_YEARS = "ABCDEFGHJKLMNPRSTVWXY123456789"


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUE[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    r = total % 11
    return "X" if r == 10 else str(r)


def make_vin(u: int, d: Draw) -> str:
    plant, serial = divmod(u, 1_000_000)
    body = (
        d.pick(WMIS)
        + "".join(d.pick(VIN_CHARS) for _ in range(5))
        + "0"
        + d.pick(VIN_YEARS)
        + VIN_CHARS[plant]
        + f"{serial:06d}"
    )
    return body[:8] + vin_check_digit(body) + body[9:]


# Hull identification numbers (US 12 characters, EU CIN with a country prefix) -------------------------------
HIN_COUNTRIES = ("SE", "NL", "DK", "DE", "FI", "NO", "FR", "GB", "PL", "IT")


def make_hin(u: int, d: Draw) -> str:
    mic_n, serial = divmod(u, 100_000)
    model = d.pick((*range(86, 100), *range(0, 26)))
    built = (model - d.below(2)) % 100
    hin = f"{encode('aaa', mic_n, SAFE)}{serial:05d}{d.pick('ABCDEFGHJKL')}{built % 10}{model:02d}"
    if d.chance(0.7):
        return f"{d.pick(HIN_COUNTRIES)}-{hin}"
    return hin


# Engine numbers (manufacturer + serial) -------------------------------------------------------------------
BOAT_ENGINES = {
    "Yamaha": ("6ML", "6AW", "6CE", "F115", "6EK", "63P"),
    "Mercury": ("1B", "2B", "0T", "1C"),
    "Suzuki": ("DF140", "DF90", "14003F", "DF60"),
    "Honda": ("BBAL", "BAZJ", "BF90"),
    "Tohatsu": ("3T5", "3B7", "3E3"),
    "Evinrude": ("E150", "E90D"),
    "Volvo Penta": ("D4", "D6", "D2"),
    "Yanmar": ("3YM30", "4JH", "6LY"),
}
CAR_ENGINES = {"Volvo": ("B4204T", "D4204T"), "Volkswagen": ("CJX", "DFG"), "Toyota": ("2ZR", "1NZ")}


def make_engine(u: int, d: Draw, makes: dict) -> tuple[str, str]:
    make = d.pick(tuple(makes))
    sep = d.pick(("-", "-", "", " "))
    return make, f"{d.pick(makes[make])}{sep}{u:07d}"


# IMEI (14-digit body + Luhn) ------------------------------------------------------------------------------
TACS = tuple(f"35{_mix(SEED * 1000 + k) % 1_000_000:06d}" for k in range(32))


def luhn_digit(body: str) -> str:
    total = 0
    for pos, ch in enumerate(reversed(body)):
        n = int(ch)
        if pos % 2 == 0:  # from the right, every second digit of the body doubles (the check digit follows)
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def make_imei(u: int) -> str:
    tac, serial = divmod(u, 1_000_000)
    body = f"{TACS[tac]}{serial:06d}"
    return body + luhn_digit(body)


# Licence plates (country + plate) -------------------------------------------------------------------------
PLATES = (  # country, pattern, letters, literal prefixes (a German district)
    ("NL", "aa-999-a", DUTCH, ("",)),
    ("SE", "aaa 999", SAFE, ("",)),
    ("DE", "aa 9999", SAFE, ("M-", "HH-", "K-", "F-", "DU-", "AC-", "KI-", "HB-")),  # numbers 1-9999
    ("DK", "aa 99 999", SAFE, ("",)),
    ("BE", "aaa-999", SAFE, ("1-", "2-")),
    ("FI", "aaa-999", SAFE, ("",)),
)
PLATE_SLOT = min(capacity(p, letters) for _c, p, letters, _x in PLATES)


def make_plate(u: int, d: Draw) -> tuple[str, str]:
    index, n = divmod(u, PLATE_SLOT)
    country, pattern, letters, prefixes = PLATES[index]
    if country == "DE":  # German numbers have no leading zero: 1-9999
        n, number = divmod(n, 9999)
        return country, f"{d.pick(prefixes)}{encode('aa', n, letters)} {number + 1}"
    return country, d.pick(prefixes) + encode(pattern, n, letters)


# Bicycle frame numbers ------------------------------------------------------------------------------------
def make_frame(u: int, d: Draw) -> str:
    return f"{d.pick(('WAZ', 'GZ', 'BT', 'NL', 'WTU', 'F'))}{u:08d}{d.pick(SAFE)}"


# Objects ---------------------------------------------------------------------------------------------------
#: The cycle of ten objects: (category, kinds of its identifiers). 20 identifiers per 10 objects.
CYCLE = (
    ("vehicle", ("vin", "plate")),
    ("vehicle", ("vin", "plate")),
    ("vehicle", ("vin", "plate", "engine")),
    ("trailer", ("vin", "plate")),
    ("boat", ("hin", "engine")),
    ("boat", ("hin", "engine")),
    ("boat", ("hin", "hin", "engine")),
    ("boat_engine", ("engine",)),
    ("phone", ("imei", "imei")),
    ("bicycle", ("frame",)),
)
#: Per kind: how many per cycle, and for each (cycle position, n-th identifier) its slot within the cycle.
PER_CYCLE: dict[str, int] = {}
SLOT: dict[tuple[int, int], int] = {}
for _pos, (_category, _kinds) in enumerate(CYCLE):
    for _n, _kind in enumerate(_kinds):
        SLOT[(_pos, _n)] = PER_CYCLE.get(_kind, 0)
        PER_CYCLE[_kind] = PER_CYCLE.get(_kind, 0) + 1
IDENTIFIERS_PER_CYCLE = sum(PER_CYCLE.values())
MODULUS = {
    "vin": len(VIN_CHARS) * 1_000_000,
    "hin": capacity("aaa", SAFE) * 100_000,
    "engine": 10_000_000,
    "imei": len(TACS) * 1_000_000,
    "plate": len(PLATES) * PLATE_SLOT,
    "frame": 100_000_000,
}
COLOURS = ("white", "black", "silver", "blue", "red", "grey", "green", "dark blue")
PLACES = ("Limhamn harbour", "Malmö", "Lund", "Helsingborg", "Rotterdam", "Heerlen", "Eindhoven", "Ystad",
          "Göteborg", "Kerkrade", "Amsterdam", "Trelleborg", "a marina near Roermond", "a dealer's yard")  # fmt: skip
ACTIONS = ("hold", "hold", "hold", "contact", "report")


def max_objects(n_identifiers_needed_beyond: int = 0) -> int:
    """The most objects the identifier encodings can tell apart (about 20 million: the plates)."""
    return min(MODULUS[k] // PER_CYCLE[k] * len(CYCLE) for k in PER_CYCLE) - n_identifiers_needed_beyond


def object_identifiers(i: int) -> tuple[str, list[dict]]:
    """Object ``i``: its category and identifiers (dicts with kind, value and the parts the kind needs)."""
    pos = i % len(CYCLE)
    category, kinds = CYCLE[pos]
    d = Draw(i, 1)
    out = []
    for n, kind in enumerate(kinds):
        u = scramble((i // len(CYCLE)) * PER_CYCLE[kind] + SLOT[(pos, n)], MODULUS[kind])
        if kind == "vin":
            out.append({"kind": "vin", "value": make_vin(u, d)})
        elif kind == "hin":
            out.append({"kind": "hin", "value": make_hin(u, d)})
        elif kind == "engine":
            make, value = make_engine(u, d, CAR_ENGINES if category == "vehicle" else BOAT_ENGINES)
            out.append({"kind": "engine", "value": value, "manufacturer": make})
        elif kind == "imei":
            out.append({"kind": "imei", "value": make_imei(u)})
        elif kind == "plate":
            country, value = make_plate(u, d)
            out.append({"kind": "plate", "value": value, "country": country})
        elif kind == "frame":
            out.append({"kind": "frame", "value": make_frame(u, d)})
    return category, out


def object_fields(i: int, category: str) -> dict:
    d = Draw(i, 2)
    return {
        "category": category,
        "description": f"{category.replace('_', ' ').capitalize()}, {d.pick(COLOURS)}; stolen from "
        f"{d.pick(PLACES)}.",
        "case_reference": f"{5000 + d.below(900)}-K{i:07d}-{d.pick(('24', '25', '26'))}",
        "legal_basis": d.pick(("Rättegångsbalken 27 kap.", "Art. 94 Sv", "Polislagen 2 §")),
        "jurisdiction": d.pick(("SE", "SE", "NL", "DK")),
        "action": d.pick(ACTIONS),
    }


def typed(identifier: dict, d: Draw) -> dict:
    """An identifier spelled the way a person at a counter types it: case and separators vary."""
    value = identifier["value"]
    how = d.below(4)
    if how == 3 and identifier.get("country") == "DE":
        how = 2  # a German plate keeps a separator between district and letters (B-AB 123 is not BA-B 123)
    if how == 1:
        value = value.lower()
    elif how == 2:
        value = (
            value.replace("-", " ")
            if "-" in value
            else " ".join(value[k : k + 4] for k in range(0, len(value), 4))
        )
    elif how == 3:
        value = value.replace("-", "").replace(" ", "").lower()
    out = dict(identifier, value=value)
    if "manufacturer" in out and d.chance(0.5):
        out["manufacturer"] = out["manufacturer"].upper()
    if "country" in out and d.chance(0.5):
        out["country"] = out["country"].lower()
    return out


def check_items(
    n: int, hit_rate: float, n_objects: int, first_miss: int, salt: int
) -> list[tuple[bool, dict]]:
    """``n`` checks: (expected hit, identifier as typed). Hits are identifiers of random loaded objects; misses
    are identifiers of objects ``first_miss``, ``first_miss + 1``, ... (never loaded)."""
    out, miss = [], first_miss
    for k in range(n):
        d = Draw(salt, k)
        if d.chance(hit_rate):
            i = d.below(n_objects)
            hit = True
        else:
            i, miss, hit = miss, miss + 1, False
        _category, identifiers = object_identifiers(i)
        out.append((hit, typed(d.pick(identifiers), d)))
    return out


# The database ---------------------------------------------------------------------------------------------


class Database:
    """Where the run's world lives: a fresh SQLite file in a temporary folder (removed at the end), a fresh
    PostgreSQL database (dropped at the end), or with ``--db`` one that is kept and reused."""

    def __init__(self, args, workdir: Path):
        self.keep = bool(args.db)
        self.admin_url = ""
        url = os.environ.get("DATABASE_URL", "")
        if args.postgres or url.startswith("postgres"):
            if args.postgres:
                base = f"postgresql://postgres@127.0.0.1:5432/{args.pg_name}"
            else:
                parts = urlsplit(url)
                base = urlunsplit(
                    parts._replace(path="/" + ((parts.path.lstrip("/") or "safepact") + "_bench"))
                )
            parts = urlsplit(base)
            self.name = args.db or parts.path.lstrip("/")
            self.url = urlunsplit(parts._replace(path="/" + self.name))
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
            self.vendor = "postgresql"
            self._postgres_create()
            os.environ["DATABASE_URL"] = self.url
            os.environ.pop("SQLITE_PATH", None)
            self.env = {"DATABASE_URL": self.url}
        else:
            self.vendor = "sqlite"
            self.path = Path(args.db).resolve() if args.db else workdir / "bench.sqlite3"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.environ.pop("DATABASE_URL", None)
            os.environ["SQLITE_PATH"] = str(self.path)
            self.env = {"SQLITE_PATH": str(self.path)}

    def _admin(self):
        import psycopg

        return psycopg.connect(self.admin_url, autocommit=True)

    def _postgres_create(self) -> None:
        with self._admin() as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone()
            if exists and not self.keep:
                conn.execute(f'DROP DATABASE "{self.name}" WITH (FORCE)')
                exists = None
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def describe(self) -> str:
        from django.db import connection

        with connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute("SELECT sqlite_version()")
                return f"SQLite {cursor.fetchone()[0]} ({self.path})"
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]} ({self.name})"

    def size(self) -> str:
        from django.db import connection

        with connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.execute("PRAGMA page_count")
                pages = cursor.fetchone()[0]
                cursor.execute("PRAGMA page_size")
                return f"{pages * cursor.fetchone()[0] / 1e6:,.0f} MB"
            cursor.execute("SELECT pg_database_size(current_database())")
            return f"{cursor.fetchone()[0] / 1e6:,.0f} MB"

    def table_bytes(self, model) -> int | None:
        """Bytes of a model's table with its indexes (SQLite: ``dbstat``; PostgreSQL: total relation size)."""
        from django.db import connection

        table = model._meta.db_table
        with connection.cursor() as cursor:
            try:
                if self.vendor == "sqlite":
                    cursor.execute(
                        "SELECT SUM(pgsize) FROM dbstat WHERE name = %s OR name IN "
                        "(SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s)",
                        [table, table],
                    )
                else:
                    cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                return cursor.fetchone()[0]
            except Exception:  # dbstat is an optional SQLite module
                return None

    def analyse(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if self.vendor == "postgresql" else "ANALYZE")

    def close(self) -> None:
        from django.db import connections

        connections.close_all()
        if self.keep:
            print(f"kept the database: {self.url if self.vendor == 'postgresql' else self.path}")
        elif self.vendor == "postgresql":
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# The people -----------------------------------------------------------------------------------------------


class People:
    """The partnership, the police unit that owns every alert and the marina that checks (made through the
    services, as in production), plus a second partnership for the import baseline."""

    def __init__(self):
        from django.db import transaction

        from safepact.accounts.models import User
        from safepact.partnerships.models import Partnership
        from safepact.partnerships.selectors import membership_in

        if not Partnership.objects.filter(name=PARTNERSHIP_NAME).exists():
            with transaction.atomic():
                self._create()
        self.partnership = Partnership.objects.get(name=PARTNERSHIP_NAME)
        self.baseline = Partnership.objects.get(name=PARTNERSHIP_NAME + " (baseline)")
        self.police = User.objects.get(email="petra.police@polisen.bench.example")
        self.marina = User.objects.get(email="hanna.harbour@marina.bench.example")
        self.m_police = membership_in(self.police, self.partnership)
        self.m_marina = membership_in(self.marina, self.partnership)
        self.m_police_baseline = membership_in(self.police, self.baseline)

    def _create(self) -> None:
        from safepact.accounts.services import organisation_create, user_create
        from safepact.partnerships.services import invitation_accept, invitation_create, partnership_create

        police = user_create(
            email="petra.police@polisen.bench.example", full_name="Petra Police", password=None
        )
        marina = user_create(
            email="hanna.harbour@marina.bench.example", full_name="Hanna Harbour", password=None
        )
        unit = organisation_create(
            actor=police, name="Polisen Region Syd", kind="law_enforcement", country="SE"
        )
        # What platform staff do in the admin: the registry's law-enforcement role needs the officer flag.
        unit.people.filter(user=police).update(is_law_enforcement_officer=True)
        partnership = partnership_create(
            actor=police,
            organisation=unit,
            name=PARTNERSHIP_NAME,
            purpose="A shared registry of stolen boats, engines, vehicles, phones and bicycles.",
            country="SE",
        )
        partnership_create(
            actor=police,
            organisation=unit,
            name=PARTNERSHIP_NAME + " (baseline)",
            purpose="Baseline.",
            country="SE",
        )
        _invitation, token = invitation_create(
            actor=police,
            partnership=partnership,
            email=marina.email,
            role="member",
            new_organisation={"name": "Limhamn Marina", "kind": "business", "country": "SE"},
        )
        invitation_accept(user=marina, token=token)

    def token(self) -> str:
        """A fresh API token of the marina's member (the server authenticates it like any other)."""
        from django.db import transaction

        from safepact.accounts.services import api_token_create

        with transaction.atomic():
            _token, secret = api_token_create(user=self.marina, name="registry benchmark")
        return secret


# Import --------------------------------------------------------------------------------------------------

#: A legacy export with one identifier per row; the rows of one object share its number (the object key).
MAPPING = {
    "name": "registry benchmark (legacy rows)",
    "format": "csv",
    "object_key": ["object"],
    "fields": {
        "category": "category",
        "description": "description",
        "case_reference": "case_reference",
        "legal_basis": "legal_basis",
        "jurisdiction": "jurisdiction",
        "action": "action",
    },
    "identifier_rows": {
        "kind_column": "kind",
        "value_column": "value",
        "manufacturer_column": "manufacturer",
        "country_column": "country",
    },
}
CSV_COLUMNS = ("object", "case_reference", "category", "description", "legal_basis", "jurisdiction", "action",
               "kind", "value", "manufacturer", "country")  # fmt: skip


def import_csv(first: int, last: int) -> tuple[bytes, int]:
    """The CSV file of objects first..last-1 (one identifier per row) and its number of identifiers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for i in range(first, last):
        category, items = object_identifiers(i)
        f = object_fields(i, category)
        head = (
            i,
            f["case_reference"],
            category,
            f["description"],
            f["legal_basis"],
            f["jurisdiction"],
            f["action"],
        )
        for item in items:
            writer.writerow(
                (*head, item["kind"], item["value"], item.get("manufacturer", ""), item.get("country", ""))
            )
            count += 1
    return out.getvalue().encode(), count


def check_report(report, objects: int, identifiers: int) -> None:
    counts = report.counts
    if counts["created"] != objects or counts["identifiers"] != identifiers or counts["rejected"]:
        raise SystemExit(f"the import did not do what was expected: {counts}, {report.rejected[:5]}")


def fmt_rate(n: float, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s" if seconds > 0 else "-"


def import_files(people, n_objects: int, chunk: int, progress: bool = True) -> list[dict]:
    """Import objects 0..n-1 through ``services.import_alerts``, ``chunk`` objects per CSV file; one entry
    per file: objects, identifiers, seconds (building the CSV text is not timed)."""
    from safepact.registry import services

    mapping = services.load_mapping(MAPPING)
    runs = []
    started = time.perf_counter()
    for first in range(0, n_objects, chunk):
        last = min(n_objects, first + chunk)
        data, n_identifiers = import_csv(first, last)
        gc.collect()
        t0 = time.perf_counter()
        report = services.import_alerts(
            actor=people.police,
            partnership=people.partnership,
            owner=people.m_police.partner,
            data=data,
            file_name=f"legacy-export-{first // chunk + 1:03d}.csv",
            mapping=mapping,
        )
        seconds = time.perf_counter() - t0
        check_report(report, last - first, n_identifiers)
        runs.append({"objects": last - first, "identifiers": n_identifiers, "seconds": seconds})
        if progress:
            done = sum(r["objects"] for r in runs)
            print(
                f"  imported {done:>11,} objects  file {len(runs):>3}: {fmt_rate(last - first, seconds)} objects, "
                f"{fmt_rate(n_identifiers, seconds)} identifiers  ({time.perf_counter() - started:,.0f} s so far)",
                flush=True,
            )
    return runs


def raw_rows(people, partnership, membership, first: int, last: int, prefix: str = "BASE"):
    """The rows the import stores for objects first..last-1, ready for ``executemany`` (database values,
    keys computed by ``identifiers.parse``): alert rows, and per alert its identifier rows without the alert
    id. Made before the timer starts."""
    from datetime import timedelta

    from django.db import connection

    from safepact.lib import clock
    from safepact.registry.identifiers import parse
    from safepact.registry.models import Alert, Identifier

    now = clock.now()
    expires = (now + timedelta(days=3650)).date()
    alert_fields = [f for f in Alert._meta.concrete_fields if not f.primary_key]
    identifier_fields = [f for f in Identifier._meta.concrete_fields if not f.primary_key]
    alerts, identifiers = [], []
    for i in range(first, last):
        category, items = object_identifiers(i)
        fields = object_fields(i, category)
        alert = Alert(
            partnership=partnership,
            owner=membership.partner,
            reference=f"{prefix}-{i + 1:07d}",
            expires_on=expires,
            created_by=people.police,
            created_at=now,
            updated_at=now,
            status_changed_at=now,
            **fields,
        )
        alerts.append(tuple(f.get_db_prep_save(getattr(alert, f.attname), connection) for f in alert_fields))
        mine = []
        for item in items:
            parsed = parse(item["kind"], item["value"], manufacturer=item.get("manufacturer", ""),
                           country=item.get("country", ""))  # fmt: skip
            identifier = Identifier(
                partnership=partnership,
                alert_id=0,
                kind=parsed.kind,
                manufacturer=parsed.manufacturer,
                country=parsed.country,
                value=parsed.value,
                key=parsed.key,
                warnings=list(parsed.warnings),
                added_by=people.police,
                added_at=now,
            )
            mine.append(
                [f.get_db_prep_save(getattr(identifier, f.attname), connection) for f in identifier_fields]
            )
        identifiers.append(mine)
    alert_alert = [f.attname for f in identifier_fields].index("alert_id")
    return alert_fields, identifier_fields, alerts, identifiers, alert_alert


def raw_insert(partnership, prepared) -> tuple[float, int, int]:
    """The baseline: ``executemany`` of the alert rows, their ids read back by reference, ``executemany`` of
    the identifier rows; one transaction. Returns (seconds, alerts, identifiers)."""
    from django.db import connection, transaction

    from safepact.registry.models import Alert, Identifier

    alert_fields, identifier_fields, alerts, identifiers, alert_column = prepared
    q = connection.ops.quote_name
    a_table, i_table = q(Alert._meta.db_table), q(Identifier._meta.db_table)
    reference_at = [f.attname for f in alert_fields].index("reference")
    insert_alert = (
        f"INSERT INTO {a_table} ({', '.join(q(f.column) for f in alert_fields)}) "
        f"VALUES ({', '.join(['%s'] * len(alert_fields))})"
    )
    insert_identifier = (
        f"INSERT INTO {i_table} ({', '.join(q(f.column) for f in identifier_fields)}) "
        f"VALUES ({', '.join(['%s'] * len(identifier_fields))})"
    )
    gc.collect()
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX({q('id')}), 0) FROM {a_table}")
        (before,) = cursor.fetchone()
        cursor.executemany(insert_alert, alerts)
        cursor.execute(
            f"SELECT {q('reference')}, {q('id')} FROM {a_table} "
            f"WHERE {q('partnership_id')} = %s AND {q('id')} > %s",
            [partnership.pk, before],
        )
        ids = dict(cursor.fetchall())
        rows = []
        for alert, mine in zip(alerts, identifiers, strict=True):
            alert_id = ids[alert[reference_at]]
            for row in mine:
                row[alert_column] = alert_id
                rows.append(row)
        cursor.executemany(insert_identifier, rows)
    return time.perf_counter() - t0, len(alerts), len(rows)


def raw_delete(partnership) -> None:
    from django.db import connection, transaction

    from safepact.registry.models import Alert, Identifier

    q = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (Identifier, Alert):
            cursor.execute(
                f"DELETE FROM {q(model._meta.db_table)} WHERE {q('partnership_id')} = %s",
                [partnership.pk],
            )


# Checks --------------------------------------------------------------------------------------------------


def lookup_sql() -> str:
    """The baseline's single look-up: the key's identifier joined to its active alert (what a check must
    find out), raw SQL on the composite index (partnership, key), nothing written."""
    from django.db import connection

    from safepact.registry.models import Alert, Identifier

    q = connection.ops.quote_name
    return (
        f"SELECT i.{q('key')}, i.{q('id')}, i.{q('alert_id')}, a.{q('reference')}, a.{q('action')}, "
        f"a.{q('action_note')} FROM {q(Identifier._meta.db_table)} i "
        f"JOIN {q(Alert._meta.db_table)} a ON a.{q('id')} = i.{q('alert_id')} "
        f"WHERE i.{q('partnership_id')} = %s AND a.{q('status')} = 'active' AND i.{q('key')} "
    )


def parsed_key(item: dict) -> tuple[str, str]:
    from safepact.registry.identifiers import parse

    p = parse(item["kind"], item["value"], manufacturer=item.get("manufacturer", ""),
              country=item.get("country", ""), document_type=item.get("document_type", ""))  # fmt: skip
    return p.kind, p.key


def count_checks() -> int:
    from safepact.registry.models import Check

    return Check.objects.count()


def single_checks(people, items, warmup) -> dict:
    """Service and baseline, alternating check by check (which goes first alternates too)."""
    from django.db import connection

    from safepact.registry import services

    head = lookup_sql() + "= %s"
    pid = people.partnership.pk
    keys = [parsed_key(item)[1] for _hit, item in items]

    def service(item):
        return services.check_identifier(
            user=people.marina,
            membership=people.m_marina,
            kind=item["kind"],
            value=item["value"],
            manufacturer=item.get("manufacturer", ""),
            country=item.get("country", ""),
            document_type=item.get("document_type", ""),
            context="offered_for_sale",
        )

    def raw(key):
        with connection.cursor() as cursor:
            cursor.execute(head, [pid, key])
            return cursor.fetchall()

    for _hit, item in warmup:
        service(item)
        raw(parsed_key(item)[1])
    before = count_checks()
    svc, base, wrong = {True: [], False: []}, {True: [], False: []}, 0
    perf = time.perf_counter
    for n, ((hit, item), key) in enumerate(zip(items, keys, strict=True)):
        if n % 2:
            t0 = perf()
            found = raw(key)
            t1 = perf()
            result = service(item)
            t2 = perf()
            base[hit].append(t1 - t0)
            svc[hit].append(t2 - t1)
        else:
            t0 = perf()
            result = service(item)
            t1 = perf()
            found = raw(key)
            t2 = perf()
            svc[hit].append(t1 - t0)
            base[hit].append(t2 - t1)
        wrong += (result.hit != hit) + (bool(found) != hit)
    logged = count_checks() - before
    return {"service": svc, "baseline": base, "wrong": wrong, "logged": logged}


def batch_checks(people, items) -> dict:
    """``check_rows`` on the whole batch (log written, hits recorded) against raw chunked look-ups."""
    from django.db import connection

    from safepact.registry import services

    chunk = getattr(services, "LOOKUP_CHUNK", 500)
    pid = people.partnership.pk
    gc.collect()
    t0 = time.perf_counter()
    rows = []
    for line, (_hit, item) in enumerate(items, start=2):
        kind, key = parsed_key(item)
        rows.append((kind, key, item["value"], line))
    parse_seconds = time.perf_counter() - t0
    keys = [row[1] for row in rows]
    head = lookup_sql() + "IN "

    def raw():
        found = 0
        with connection.cursor() as cursor:
            for start in range(0, len(keys), chunk):
                part = list(dict.fromkeys(keys[start : start + chunk]))
                cursor.execute(head + "(" + ", ".join(["%s"] * len(part)) + ")", [pid, *part])
                found += len(cursor.fetchall())
        return found

    def service():
        return services.check_rows(
            partnership_id=pid,
            user_id=people.marina.pk,
            organisation_id=people.m_marina.partner.organisation_id,
            context="purchase",
            rows=rows,
        )

    raw()  # warm-up: the keys' pages in the cache for both
    gc.collect()
    t0 = time.perf_counter()
    found = raw()
    raw_seconds = time.perf_counter() - t0
    before = count_checks()
    gc.collect()
    t0 = time.perf_counter()
    matches = service()
    service_seconds = time.perf_counter() - t0
    logged = count_checks() - before
    expected = sum(1 for hit, _item in items if hit)
    return {
        "n": len(rows),
        "parse": parse_seconds,
        "raw": raw_seconds,
        "service": service_seconds,
        "raw_found": found,
        "matches": len(matches),
        "expected": expected,
        "logged": logged,
        "chunk": chunk,
    }


def prefill_log(people, rows: int) -> tuple[int, float]:
    """Fill the check log up to ``rows`` rows spread over the last 89 days, as a registry in use holds
    (90 days' retention): keys of objects at the far end of the numbering (never loaded, never checked by
    the run), written by ``executemany`` (not measured). A batch's log insert goes into this week's part of
    the late-hit index, whose size is what it pays for. A log holding more than ``rows`` (a world kept with
    ``--db`` keeps every earlier run's checks, all of them in this week's part of that index, which would
    grow from run to run) is emptied and filled again, so that every run measures against the same log.
    Returns (rows added, seconds)."""
    from datetime import timedelta

    from django.db import connection, transaction

    from safepact.lib import clock
    from safepact.registry.models import Check, check_week

    t0 = time.perf_counter()
    q = connection.ops.quote_name
    have = count_checks()
    if have > rows:
        table = q(Check._meta.db_table)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {table}" if connection.vendor == "postgresql" else f"DELETE FROM {table}"
            )
        have = 0
    if have >= rows:
        return 0, 0.0
    columns = [
        "partnership_id", "user_id", "organisation_id", "kind", "key", "context", "checked_at", "week", "hit"
    ]  # fmt: skip
    insert = (
        f"INSERT INTO {q(Check._meta.db_table)} ({', '.join(q(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    now = clock.now()
    org = people.m_marina.partner.organisation_id
    need, added, i = rows - have, 0, max_objects() - 1
    while added < need:
        batch = []
        while len(batch) < 50_000 and added + len(batch) < need:
            _category, items = object_identifiers(i)
            for item in items[: need - added - len(batch)]:
                kind, key = parsed_key(item)
                when = now - timedelta(seconds=(i * 7919) % (89 * 86400))
                stamp = connection.ops.adapt_datetimefield_value(when)
                week = check_week(when)
                batch.append(
                    (people.partnership.pk, people.marina.pk, org, kind, key, "purchase", stamp, week, False)
                )
            i -= 1
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(insert, batch)
        added += len(batch)
    return added, time.perf_counter() - t0


def batch_file(people, items) -> dict:
    """A batch as a partner sends it: a CSV file uploaded (``batch_create``) and checked by the task's body
    (``batch_run``: read, parse, check, log, progress committed every ``BATCH_CHUNK`` rows)."""
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from safepact.registry import services
    from safepact.registry.models import BatchCheck

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "value", "manufacturer", "country", "document_type"])
    for _hit, item in items:
        writer.writerow([item["kind"], item["value"], item.get("manufacturer", ""), item.get("country", ""),
                         item.get("document_type", "")])  # fmt: skip
    upload = SimpleUploadedFile("stock.csv", out.getvalue().encode(), content_type="text/csv")
    batch = services.batch_create(
        user=people.marina, membership=people.m_marina, file=upload, context="purchase"
    )
    gc.collect()
    t0 = time.perf_counter()
    result = services.batch_run(batch_id=batch.pk)
    seconds = time.perf_counter() - t0
    batch = BatchCheck.objects.get(pk=batch.pk)
    return {"seconds": seconds, "status": result["status"], "processed": batch.processed, "hits": batch.hits,
            "expected": sum(1 for hit, _item in items if hit)}  # fmt: skip


def _batch_chunk() -> int:
    from safepact.registry.services import checks

    return checks.BATCH_CHUNK


def close_searches(people, n_objects: int, count: int) -> dict:
    """``close_identifier_search`` (law enforcement) for VINs one character off a stored one, against reading
    the same candidate rows (same kind, about the same length) with raw SQL and comparing nothing."""
    from django.db import connection

    from safepact.registry import services
    from safepact.registry.models import Identifier

    q = connection.ops.quote_name
    scan = (
        f"SELECT {q('id')}, {q('value')} FROM {q(Identifier._meta.db_table)} "
        f"WHERE {q('partnership_id')} = %s AND {q('kind')} = %s AND LENGTH({q('value')}) BETWEEN %s AND %s"
    )
    svc, base, found = [], [], 0
    for k in range(count):
        d = Draw(SEED, 900 + k)
        i = d.below(n_objects // len(CYCLE)) * len(CYCLE)  # a vehicle: position 0 of the cycle has a VIN
        vin = object_identifiers(i)[1][0]["value"]
        pos = 9 + d.below(8)
        typo = vin[:pos] + ("7" if vin[pos] != "7" else "8") + vin[pos + 1 :]
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(scan, [people.partnership.pk, "vin", 15, 19])
            rows = cursor.fetchall()
        t1 = time.perf_counter()
        matches = services.close_identifier_search(
            user=people.police, partnership=people.partnership, kind="vin", value=typo, max_distance=2
        )
        t2 = time.perf_counter()
        base.append(t1 - t0)
        svc.append(t2 - t1)
        found += any(m.identifier.value == vin for m in matches)
    return {"service": svc, "baseline": base, "found": found, "candidates": len(rows)}


# HTTP ----------------------------------------------------------------------------------------------------


class Server:
    """The production server as ``make serve`` runs it (granian, ``SAFEPACT_ENV=production``) on a free
    port, on the run's database; rate limits raised, emails to the dummy backend."""

    def __init__(self, db: Database, workdir: Path, workers: int):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.workers = workers
        self.env = {
            **os.environ,
            **db.env,
            **RATE_ENV,
            "SAFEPACT_ENV": "production",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SAFEPACT_VAR_DIR": str(workdir),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "LOG_LEVEL": "WARNING",
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.log = workdir / "server.log"
        self._log_file = self.log.open("w")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "granian", "--interface", "wsgi", "--no-ws", "--blocking-threads", "1",
                "--respawn-failed-workers",
                "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
                "safepact.wsgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.time() + 60
        while True:
            try:
                status, _body = request(self.port, "GET", "/healthz", None, {})
                if status == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                raise SystemExit(f"the server did not start; see {self.log}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()


def request(port: int, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **headers})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def hammer(
    port: int, jobs: list[tuple], clients: int, rate: float = 0
) -> tuple[list[float], float, list[tuple]]:
    """Send ``jobs`` ((method, path, body, headers, expected hit or None)) from ``clients`` threads, each
    taking every ``clients``-th job; returns the latencies (s), the wall-clock time and what went wrong.

    Without ``rate`` each client sends its next request as soon as the last is answered (closed loop). With
    ``rate`` (requests/s for all clients together) the requests go out on a fixed schedule and a latency
    counts from the scheduled time, so waiting for a busy server is not hidden (open loop)."""
    latencies: list[float] = []
    problems: list[tuple] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    start = [0.0]

    def client(k, mine):
        local, bad = [], []
        barrier.wait()
        for j, (method, path, body, headers, expected) in enumerate(mine):
            if rate:
                t0 = start[0] + (j * clients + k) / rate
                pause = t0 - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            else:
                t0 = time.perf_counter()
            status, data = request(port, method, path, body, headers)
            local.append(time.perf_counter() - t0)
            if status != 200:
                bad.append((status, data[:200]))
            elif expected is not None and json.loads(data)["hit"] != expected:
                bad.append(("wrong answer", data[:200]))
        with lock:
            latencies.extend(local)
            problems.extend(bad)

    threads = [threading.Thread(target=client, args=(k, jobs[k::clients])) for k in range(clients)]
    for thread in threads:
        thread.start()
    start[0] = time.perf_counter() + 0.05
    barrier.wait()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - start[0], problems


WRK_SCRIPT = """
-- One request after another from a list (one body a line); each thread starts elsewhere in the list.
local started = 0
function setup(thread)
  thread:set("offset", started)
  started = started + 1
end
function init(args)
  method, path, token, file, stride = args[1], args[2], args[3], args[4], tonumber(args[5])
  bodies = {}
  for line in io.lines(file) do bodies[#bodies + 1] = line end
  i = (offset * stride) % #bodies
  headers = {["Content-Type"] = "application/json"}
  if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
end
function request()
  i = i % #bodies + 1
  if method == "GET" then return wrk.format("GET", path, headers) end
  return wrk.format(method, path, headers, bodies[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def wrk(
    port: int,
    method: str,
    path: str,
    token: str,
    bodies: list[bytes],
    clients: int,
    seconds: float,
    workdir: Path,
) -> dict:
    """A closed loop of ``clients`` connections from ``wrk`` (Debian's package; C, two threads, so the load
    generator takes little of the two cores), ``seconds`` long: p50, p99, p99.9 and max in seconds,
    requests/s, non-2xx/3xx answers and socket errors."""
    script = workdir / "registry.lua"
    script.write_text(WRK_SCRIPT)
    listing = workdir / "bodies.txt"
    listing.write_bytes(b"\n".join(bodies or [b""]) + b"\n")
    threads = 2
    done = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "10s",
         "-s", str(script), f"http://127.0.0.1:{port}{path}",
         "--", method, path, token or "-", str(listing), str(max(1, len(bodies) // threads))],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    requests, duration, p50, p99, p999, top, bad_status, socket_errors = (int(x) for x in line.split()[1:])
    return {
        "p50": p50 / 1e6, "p99": p99 / 1e6, "p999": p999 / 1e6, "max": top / 1e6,
        "rps": requests / (duration / 1e6), "requests": requests, "bad": bad_status, "socket": socket_errors,
    }  # fmt: skip


#: Checks a second the wrk loops provide identifiers for (each loop and warm-up sends every one once at most).
WRK_RATE = 2_500


def wrk_bodies(args) -> int:
    """Identifiers for each checking endpoint's wrk loops: two rounds, each a warm-up and a measured loop."""
    if not (args.http and args.wrk_seconds):
        return 0
    return int(WRK_RATE * (args.wrk_seconds + 2 * args.wrk_warmup))


def http_checks(people, db: Database, workdir: Path, items, warm: int, args, wrk_sets: dict) -> dict:
    """``items``: ``warm`` warm-up checks, then the measured ones. The three endpoints take turns in two
    rounds, so that a slow moment of the machine falls on all of them alike.

    ``wrk_sets`` (endpoint: items) feed the wrk loops: split into a warm-up and a measured part for each
    round, so that no identifier is checked twice and the measured loop finds the server warmed up by other
    identifiers (steady state, not the first seconds after a quiet minute: see ``--wrk-warmup``)."""
    server = Server(db, workdir, args.workers)
    try:
        token = people.token()
        auth = {"Authorization": f"Bearer {token}"}
        post = {**auth, "Content-Type": "application/json"}
        path = f"/api/v1/partnerships/{people.partnership.code}/registry/check"
        checks = [
            ("POST", path, json.dumps({"context": "offered_for_sale", **item}).encode(), post, hit)
            for hit, item in items
        ]
        n = len(checks) - warm
        me = [("GET", "/api/v1/me", None, auth, None)] * n
        health = [("GET", "/healthz", None, {}, None)] * n
        for jobs in (me[:warm], health[:warm], checks[:warm]):
            _latencies, _wall, bad = hammer(server.port, jobs, args.clients)
            if bad:
                raise SystemExit(f"the warm-up failed: {bad[:3]}")
        checks = checks[warm:]
        out = {}
        problems = []
        # Closed loop, then paced; in each, the endpoints take turns in two rounds.
        for mode, rate, names in (
            ("closed", 0, ("me", "check", "healthz")),
            ("paced", args.http_rate, ("me", "check")),
        ):
            if mode == "paced" and not rate:
                continue
            m = n if mode == "closed" else min(n, int(rate * 20))
            jobs = {
                "me": me[:m],
                "check": checks[:m] if mode == "closed" else checks[n - m :],
                "healthz": health[:m],
            }
            for half in (slice(0, m // 2), slice(m // 2, m)):
                for name in names:
                    latencies, wall, bad = hammer(server.port, jobs[name][half], args.clients, rate)
                    got = out.setdefault((mode, name), ([], 0.0))
                    out[(mode, name)] = (got[0] + latencies, got[1] + wall)
                    problems += bad
        if args.wrk_seconds and shutil.which("wrk"):
            # The closed loop again from wrk (C): the Python client threads above share the two cores and
            # the GIL with nothing else but still take a good part of the CPU.
            def encoded(chosen):
                return [json.dumps({"context": "offered_for_sale", **item}).encode() for _hit, item in chosen]

            seconds = args.wrk_seconds / 2
            warm_n, loop_n = int(WRK_RATE * args.wrk_warmup), int(WRK_RATE * seconds)
            parts = {}  # endpoint -> per round: (warm-up bodies, measured bodies)
            for name, chosen in wrk_sets.items():
                bodies = encoded(chosen)
                parts[name] = [
                    (bodies[first : first + warm_n], bodies[first + warm_n : first + warm_n + loop_n])
                    for first in (0, warm_n + loop_n)
                ]
            for round_ in (0, 1):
                for name, method, url, token_used in (
                    ("me", "GET", "/api/v1/me", token),
                    ("check", "POST", path, token),
                    ("healthz", "GET", "/healthz", ""),
                    *((("check_hits", "POST", path, token),) if "check_hits" in parts else ()),
                ):
                    warm_bodies, sent = parts[name][round_] if name in parts else ([], [])
                    if args.wrk_warmup:
                        got = wrk(
                            server.port,
                            method,
                            url,
                            token_used,
                            warm_bodies,
                            args.clients,
                            args.wrk_warmup,
                            workdir,
                        )
                        out.setdefault(("wrk-warm-up", name), []).append(got)
                    got = wrk(server.port, method, url, token_used, sent, args.clients, seconds, workdir)
                    out.setdefault(("wrk", name), []).append(got)
                    problems += (
                        [("wrk", name, got["bad"], got["socket"])] if got["bad"] or got["socket"] else []
                    )
        elif args.wrk_seconds:
            print("  wrk is not installed (apt-get install wrk): the closed loop from wrk is skipped")
        if problems:
            print(f"  HTTP problems: {len(problems)}, e.g. {problems[:3]}")
        out["problems"] = len(problems)
        out["workers"] = server.workers
        return out
    finally:
        server.stop()


# Reporting -----------------------------------------------------------------------------------------------


def us(seconds: float) -> str:
    value = seconds * 1e6
    return f"{value:,.0f} µs" if value >= 100 else f"{value:.1f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


class Table:
    def __init__(self):
        self.rows: list[tuple[str, str, str, str]] = []
        self.targets: list[tuple[str, bool, str]] = []

    def row(self, what: str, figure: str, baseline: str = "", ratio: str = "") -> None:
        self.rows.append((what, figure, baseline, ratio))

    def target(self, what: str, ok: bool, detail: str) -> None:
        self.targets.append((what, ok, detail))

    def print(self) -> None:
        widths = [
            max(len(r[k]) for r in [("measure", "result", "baseline", "ratio"), *self.rows]) for k in range(4)
        ]
        line = (
            "| " + " | ".join(f"{{:<{w}}}" if k == 0 else f"{{:>{w}}}" for k, w in enumerate(widths)) + " |"
        )
        print(line.format("measure", "result", "baseline", "ratio"))
        print(
            "|"
            + "|".join("-" * (w + 2) if k == 0 else "-" * (w + 1) + ":" for k, w in enumerate(widths))
            + "|"
        )
        for r in self.rows:
            print(line.format(*r))
        print()
        for what, ok, detail in self.targets:
            print(f"  {'PASS' if ok else 'MISS'}  {what}: {detail}")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b > 0 else "-"


# The run -------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--objects", type=int, default=1_000_000, help="objects in the registry (2 identifiers each)"
    )
    parser.add_argument("--big", action="store_true", help="10,000,000 objects (20,000,000 identifiers)")
    parser.add_argument("--chunk", type=int, default=100_000, help="objects per imported file")
    parser.add_argument(
        "--checks", type=int, default=20_000, help="single checks (service and baseline each)"
    )
    parser.add_argument("--batch", type=int, default=100_000, help="identifiers in the batch check")
    parser.add_argument(
        "--log-rows", type=int, default=2_000_000,
        help="check log rows before measuring (90 days of checks; 0: an empty log)",
    )  # fmt: skip
    parser.add_argument(
        "--batch-file", type=int, default=1, help="1: also check the batch as an uploaded file"
    )
    parser.add_argument("--hit-rate", type=float, default=0.01, help="share of checks that hit")
    parser.add_argument(
        "--http-hit-rate", type=float, default=0.001,
        help="share of HTTP checks that hit (a closed loop from wrk also runs with --hit-rate)",
    )  # fmt: skip
    parser.add_argument("--http", type=int, default=4_000, help="HTTP requests per endpoint (0: skip HTTP)")
    parser.add_argument("--searches", type=int, default=5, help="close-identifier searches (0: skip)")
    parser.add_argument(
        "--http-rate", type=float, default=50, help="requests/s of the paced HTTP rounds (0: skip them)"
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument(
        "--wrk-seconds",
        type=float,
        default=20,
        help="seconds of each endpoint's closed loop from wrk (0: skip)",
    )
    parser.add_argument(
        "--wrk-warmup",
        type=float,
        default=5,
        help="seconds of the same endpoint from wrk, not measured, right before each of its wrk loops (other "
        "identifiers): the page cache as in steady use, not as after a quiet minute (0: none)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", 2)),
        help="server worker processes",
    )
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL on 127.0.0.1:5432 as postgres")
    parser.add_argument("--pg-name", default="safepact_registry_bench", help="the database --postgres makes")
    parser.add_argument(
        "--load",
        choices=("import", "raw"),
        default="import",
        help="raw: load the world with the baseline's executemany (quicker; the import is not measured)",
    )
    parser.add_argument(
        "--db",
        metavar="PATH_OR_NAME",
        help="keep the world in this SQLite file (or PostgreSQL database) and reuse it when it is there",
    )
    args = parser.parse_args()
    if args.big:
        args.objects = 10_000_000
    workdir = Path(tempfile.mkdtemp(prefix="safepact-registry-bench-"))
    os.environ.update(RATE_ENV)
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    os.environ["SAFEPACT_VAR_DIR"] = str(workdir)
    os.environ["DEBUG"] = "0"  # as in production: Django's debug cursor would format and keep every query
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safepact.settings")
    db = Database(args, workdir)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        run(args, db, workdir)
    finally:
        db.close()
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, db: Database, workdir: Path) -> None:
    from safepact.registry.models import Alert, Identifier

    started = time.perf_counter()
    n = args.objects
    warm = max(args.clients * 10, 100)
    misses = args.checks + 200 + 3 * args.batch + args.http + warm + 2 * wrk_bodies(args)
    room = max_objects() - args.log_rows  # the prefilled log takes objects from the top (up to 2 keys each)
    if n + misses > room:
        raise SystemExit(f"at most {room - misses:,} objects")
    people = People()
    table = Table()
    loads = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"registry benchmark on {db.describe()}; {os.cpu_count()} CPUs; load average {loads}")
    print(
        f"  {n:,} objects with {n * IDENTIFIERS_PER_CYCLE // len(CYCLE):,} identifiers (seed {SEED})",
        flush=True,
    )

    existing = Alert.objects.filter(partnership=people.partnership).count()
    if existing == 0 and args.load == "raw":
        t0 = time.perf_counter()
        for first in range(0, n, args.chunk):
            prepared = raw_rows(
                people, people.partnership, people.m_police, first, min(n, first + args.chunk), "RAW"
            )
            raw_insert(people.partnership, prepared)
        db.analyse()
        print(f"  loaded with executemany in {time.perf_counter() - t0:,.0f} s: the import is not measured")
    elif existing == 0:
        sample = min(args.chunk, n)
        prepared = raw_rows(people, people.baseline, people.m_police_baseline, 0, sample)
        empty = raw_insert(people.baseline, prepared)
        raw_delete(people.baseline)
        runs = import_files(people, n, args.chunk)
        db.analyse()
        full = raw_insert(people.baseline, prepared)
        raw_delete(people.baseline)
        del prepared
        db.analyse()
        seconds = sum(r["seconds"] for r in runs)
        objects = sum(r["objects"] for r in runs)
        identifiers = sum(r["identifiers"] for r in runs)
        table.row(
            f"import, {objects:,} objects / {identifiers:,} identifiers in {len(runs)} files ({seconds:,.0f} s)",
            f"{fmt_rate(objects, seconds)} + {fmt_rate(identifiers, seconds)}",
        )
        for label, run_, base in (("first file", runs[0], empty), ("last file", runs[-1], full)):
            base_seconds, base_alerts, _base_identifiers = base
            table.row(
                f"  {label} ({run_['objects']:,} objects), objects/s; baseline: executemany into the "
                f"{'empty' if base is empty else 'full'} tables",
                fmt_rate(run_["objects"], run_["seconds"]),
                fmt_rate(base_alerts, base_seconds),
                ratio(run_["seconds"] / run_["objects"], base_seconds / base_alerts),
            )
    elif existing != n:
        raise SystemExit(f"{args.db} holds {existing:,} objects: run with --objects {existing}")
    else:
        print(f"  reusing the {existing:,} objects in {args.db}: the import is not measured")
    n_identifiers = Identifier.objects.filter(partnership=people.partnership).count()
    print(f"  registry: {n:,} objects, {n_identifiers:,} identifiers; database {db.size()}", flush=True)

    gc.collect()
    gc.freeze()
    next_miss = n

    def take(count):
        nonlocal next_miss
        first, next_miss = next_miss, next_miss + count
        return first

    # The check log a registry in use holds (90 days of checks), before anything is measured.
    if args.log_rows:
        added, seconds = prefill_log(people, args.log_rows)
        print(
            f"  check log: {count_checks():,} rows (added {added:,} in {seconds:,.0f} s, not measured)",
            flush=True,
        )

    # 2. Single checks.
    warmup = check_items(200, args.hit_rate, n, take(200), salt=102)
    items = check_items(args.checks, args.hit_rate, n, take(args.checks), salt=101)
    single = single_checks(people, items, warmup)
    print(f"  {args.checks:,} single checks done ({time.perf_counter() - started:,.0f} s so far)", flush=True)
    svc_all = single["service"][True] + single["service"][False]
    base_all = single["baseline"][True] + single["baseline"][False]
    hits = len(single["service"][True])
    for label, svc, base in (
        (f"single check, all {len(svc_all):,} ({hits} hits)", svc_all, base_all),
        ("  misses", single["service"][False], single["baseline"][False]),
        ("  hits (audited, owning unit notified)", single["service"][True], single["baseline"][True]),
    ):
        if not svc:
            continue
        for p in (50, 99):
            table.row(
                f"{label}, p{p}",
                us(percentile(svc, p)),
                us(percentile(base, p)),
                ratio(percentile(svc, p), percentile(base, p)),
            )
    table.row(
        "single check, mean (checks/s in one process)",
        f"{us(statistics.fmean(svc_all))} ({1 / statistics.fmean(svc_all):,.0f}/s)",
        f"{us(statistics.fmean(base_all))}",
        ratio(statistics.fmean(svc_all), statistics.fmean(base_all)),
    )
    p50 = percentile(svc_all, 50) / percentile(base_all, 50)
    table.target("single check (p50) at most 10x the raw look-up", p50 <= 10, f"{p50:.1f}x")
    if single["wrong"] or single["logged"] != args.checks:
        print(
            f"  CHECK: {single['wrong']} wrong answers; {single['logged']:,} checks logged for {args.checks:,}"
        )

    # 3. Batch checks: one without hits (the set-based core), one with the run's hit rate (hits recorded).
    for hit_rate in (0.0, args.hit_rate):
        batch_items = check_items(args.batch, hit_rate, n, take(args.batch), salt=103 + int(hit_rate * 1000))
        batch = batch_checks(people, batch_items)
        print(f"  batch of {args.batch:,} done ({time.perf_counter() - started:,.0f} s so far)", flush=True)
        rate = batch["n"] / batch["service"]
        label = f"{batch['matches']:,} hits" if hit_rate else "no hits"
        table.row(
            f"batch check_rows, {batch['n']:,} identifiers, {label}, log written; baseline: raw "
            f"look-ups in chunks of {batch['chunk']}",
            f"{rate:,.0f}/s ({batch['service']:.2f} s)",
            f"{batch['n'] / batch['raw']:,.0f}/s ({batch['raw']:.2f} s)",
            ratio(batch["service"], batch["raw"]),
        )
        if not hit_rate:
            table.row(
                f"  identifiers.parse of the same {batch['n']:,} (before check_rows)",
                fmt_rate(batch["n"], batch["parse"]),
            )
        table.target(f"batch ({label}) at least 100,000 identifiers/s", rate >= 100_000, f"{rate:,.0f}/s")
        table.target(
            f"batch ({label}) at most 2x the raw batch look-up", batch["service"] <= 2 * batch["raw"],
            ratio(batch["service"], batch["raw"]),
        )  # fmt: skip
        if batch["matches"] != batch["expected"] or batch["raw_found"] != batch["expected"]:
            print(
                f"  CHECK: {batch['matches']} matches, raw {batch['raw_found']}, expected {batch['expected']}"
            )
        if batch["logged"] != batch["n"]:
            print(f"  CHECK: {batch['logged']:,} checks logged for {batch['n']:,}")

    # The same through a file, as the task checks an upload (parse and progress included).
    if args.batch_file:
        file_items = check_items(args.batch, args.hit_rate, n, take(args.batch), salt=105)
        run_ = batch_file(people, file_items)
        print(
            f"  batch file of {args.batch:,} lines done ({time.perf_counter() - started:,.0f} s so far)",
            flush=True,
        )
        table.row(
            f"batch file of {args.batch:,} lines ({run_['hits']:,} hits) through batch_run (read, parse, check, "
            f"log, progress every {_batch_chunk():,} rows)",
            f"{fmt_rate(args.batch, run_['seconds'])} ({run_['seconds']:.2f} s)",
        )
        if run_["status"] != "done" or run_["processed"] != args.batch or run_["hits"] != run_["expected"]:
            print(f"  CHECK: batch file {run_}")

    logged = count_checks()
    from safepact.registry.models import Check

    size = db.table_bytes(Check)
    per_row = f", {size / logged:,.0f} bytes a row with its indexes" if size and logged else ""
    print(f"  check log: {logged:,} rows{per_row}; database now {db.size()}", flush=True)

    # Close-identifier search (law enforcement), for the scaling notes.
    if args.searches:
        close = close_searches(people, n, args.searches)
        table.row(
            f"close-identifier search, VIN with a typo among {close['candidates']:,} VINs, p50 (found "
            f"{close['found']}/{args.searches}); baseline: reading the candidates",
            ms(percentile(close["service"], 50)),
            ms(percentile(close["baseline"], 50)),
            ratio(percentile(close["service"], 50), percentile(close["baseline"], 50)),
        )

    # 4. HTTP.
    if args.http:
        http_items = check_items(warm + args.http, args.http_hit_rate, n, take(warm + args.http), salt=104)
        # wrk: identifiers of their own for each loop and its warm-up, none checked before in the run.
        count = wrk_bodies(args)
        wrk_sets = {
            "check": check_items(count, args.http_hit_rate, n, take(count), salt=107),
            "check_hits": check_items(count, args.hit_rate, n, take(count), salt=108),
        }
        web = http_checks(people, db, workdir, http_items, warm, args, wrk_sets)
        print(f"  HTTP done ({time.perf_counter() - started:,.0f} s so far)", flush=True)
        check_lat, check_wall = web[("closed", "check")]
        me_lat, me_wall = web[("closed", "me")]
        health_lat, _health_wall = web[("closed", "healthz")]
        title = f"HTTP, {args.clients} Python client threads, {web['workers']} granian workers"
        table.row(
            f"{title}, closed loop: POST registry/check, p50 / p99; baseline GET /api/v1/me",
            f"{ms(percentile(check_lat, 50))} / {ms(percentile(check_lat, 99))}",
            f"{ms(percentile(me_lat, 50))} / {ms(percentile(me_lat, 99))}",
            ratio(percentile(check_lat, 99), percentile(me_lat, 99)),
        )
        table.row(
            "  requests/s",
            f"{len(check_lat) / check_wall:,.0f}/s",
            f"{len(me_lat) / me_wall:,.0f}/s",
            ratio(check_wall / len(check_lat), me_wall / len(me_lat)),
        )
        table.row(
            "  GET /healthz (no authentication), p50 / p99",
            f"{ms(percentile(health_lat, 50))} / {ms(percentile(health_lat, 99))}",
        )
        note = "" if db.vendor == "sqlite" else " (the issue sets it for SQLite)"
        if ("wrk", "check") not in web:  # no wrk: the Python threads' closed loop is all there is
            p99_ms = percentile(check_lat, 99) * 1e3
            table.target(
                f"HTTP check p99 under 25 ms, closed loop from Python threads{note}",
                p99_ms < 25 and not web["problems"],
                f"{p99_ms:.1f} ms",
            )
        if ("paced", "check") in web:
            paced_lat, _w = web[("paced", "check")]
            paced_me, _w = web[("paced", "me")]
            table.row(
                f"HTTP, {args.clients} clients paced at {args.http_rate:,.0f} requests/s: check p50 / p99; "
                "baseline /api/v1/me",
                f"{ms(percentile(paced_lat, 50))} / {ms(percentile(paced_lat, 99))}",
                f"{ms(percentile(paced_me, 50))} / {ms(percentile(paced_me, 99))}",
                ratio(percentile(paced_lat, 99), percentile(paced_me, 99)),
            )
            p99_paced = percentile(paced_lat, 99) * 1e3
            table.target(
                f"HTTP check p99 under 25 ms, paced at {args.http_rate:,.0f}/s{note}",
                p99_paced < 25,
                f"{p99_paced:.1f} ms",
            )

        if ("wrk", "check") in web:
            rounds = {name: web[("wrk", name)] for name in ("check", "me", "healthz")}

            def worst(name, key):  # of the two rounds: the slower one
                return max(r[key] for r in rounds[name])

            def rate(name):
                return sum(r["requests"] for r in rounds[name]) / sum(
                    r["requests"] / r["rps"] for r in rounds[name]
                )

            table.row(
                f"HTTP, {args.clients} connections from wrk, closed loop: check ({args.http_hit_rate:.1%} hits) "
                "p50 / p99 / p99.9 (the slower of two rounds); baseline /api/v1/me",
                f"{ms(worst('check', 'p50'))} / {ms(worst('check', 'p99'))} / {ms(worst('check', 'p999'))}",
                f"{ms(worst('me', 'p50'))} / {ms(worst('me', 'p99'))} / {ms(worst('me', 'p999'))}",
                ratio(worst("check", "p99"), worst("me", "p99")),
            )
            table.row("  requests/s", f"{rate('check'):,.0f}/s", f"{rate('me'):,.0f}/s")
            if ("wrk-warm-up", "check") in web:
                warmed = web[("wrk-warm-up", "check")]
                table.row(
                    f"  the {args.wrk_warmup:g}-s warm-up before each loop (other identifiers; not judged): "
                    "p99 in round 1 / round 2",
                    " / ".join(ms(r["p99"]) for r in warmed),
                    " / ".join(ms(r["p99"]) for r in web[("wrk-warm-up", "me")]),
                )
            table.row(
                "  GET /healthz (no authentication), p50 / p99",
                f"{ms(worst('healthz', 'p50'))} / {ms(worst('healthz', 'p99'))}",
            )
            if ("wrk", "check_hits") in web:
                rounds["check_hits"] = web[("wrk", "check_hits")]
                table.row(
                    f"  the same with {args.hit_rate:.0%} hits (each audited and its unit notified; on SQLite inside its "
                    "one write lock): p50 / p99 / p99.9",
                    f"{ms(worst('check_hits', 'p50'))} / {ms(worst('check_hits', 'p99'))} / "
                    f"{ms(worst('check_hits', 'p999'))}",
                )
                table.row("    requests/s", f"{rate('check_hits'):,.0f}/s")
            wrk_p99 = worst("check", "p99") * 1e3
            table.target(
                f"HTTP check p99 under 25 ms, closed loop from wrk{note}",
                wrk_p99 < 25 and not any(r["bad"] or r["socket"] for r in rounds["check"]),
                f"{wrk_p99:.1f} ms",
            )

    loads = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average at the end: {loads}; the whole run took {time.perf_counter() - started:,.0f} s\n")
    table.print()


if __name__ == "__main__":
    main()
