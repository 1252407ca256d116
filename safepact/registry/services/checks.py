"""Checks: a partner member checks identifiers, one at a time, many at once (API) or as a CSV batch.

A check answers two things only: no hit, or a hit with the partnership's ``reference`` and the action to
take (``CheckResult``); never the alert's description, category, owning unit, case reference or other
identifiers (decision 0007). Partners check exact identifiers only: ``identifiers.parse`` normalises the
value and refuses partial or wildcard values, and the lookup is an exact match on ``(partnership, key)``.

**The hot path is raw SQL.** ``check_identifier`` parses before it opens its one transaction, then runs
two statements: both rate-limit counters in one upsert (``INSERT ... ON CONFLICT DO UPDATE ...
RETURNING``) and the insert into the check log with the indexed lookup (joined to active alerts) inside it
(``EXISTS``). Outside a transaction of the caller (a request, the API) it runs them on the DB-API
connection itself, between its own ``BEGIN`` and ``COMMIT``, which saves about a third of a check against
Django's ``atomic()`` and cursor wrapper; inside one (tests, callers with their own ``atomic``) it uses a
savepoint and Django's cursor. The ORM appears only on a hit (rare: the raw transaction is rolled back and
the check done again in Django's transaction), through ``services.hits.hit_create``, which audits and
notifies the owning unit. A check without a hit is recorded only in the check log, not in the audit trail
(decision 0007). The statements are built once per database vendor from the models' ``_meta`` (table and
column names, quoted) with ``%s`` placeholders (``?`` for ``sqlite3`` itself), so SQLite (3.35 or later,
for ``RETURNING``) and PostgreSQL run the same code.

**Rate limits** (``settings.SAFEPACT_REGISTRY_RATE_LIMITS``):

* single checks count against the person (``u:<user id>``) and the organisation (``o:<organisation id>``)
  per minute (``RateWindow.window`` = Unix time // 60). A refused attempt still counts (the counters are
  committed, nothing else is stored): hammering does not help, and the next minute starts afresh.
* many checks at once (``check_many``, the API) and batches count their rows against the organisation's
  daily batch quota (``b:<organisation id>``, window = ``clock.today().toordinal()``). A refused call or
  upload reserves nothing: it is refused as a whole.

``check_rows`` is the set-based core shared by ``check_many``, batches and ``bench/registry.py``: one
``INSERT ... SELECT`` per ``WRITE_CHUNK`` rows writes the check log with the lookup inside it (the rows go
as one JSON or array parameter), then only the rows that hit are read back and their hits made together
(``services.hits.hits_create_many``: one audit event per hit, one notification per alert and chunk).

**Batches**: ``batch_create`` checks the upload (a UTF-8 CSV or text file, BOM allowed, no NUL bytes; at
most ``SAFEPACT_REGISTRY_BATCH_MAX_MB`` megabytes and ``SAFEPACT_REGISTRY_BATCH_MAX_ROWS`` rows; a header
line naming ``kind`` and ``value`` and optionally ``manufacturer``, ``country`` and ``document_type``, in
any case, separated by ``,`` or ``;``), reserves its rows against the daily quota, stores the file and
queues ``tasks.registry_check_batch``; ``batch_run`` (the task) checks it in chunks of ``BATCH_CHUNK`` rows,
committing the progress after each chunk, records bad lines by line number (the header is line 1) and
resumes where it stopped when it is run again.
"""

import codecs
import csv
import io
import logging
import os
import re
import unicodedata
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import astuple, dataclass
from datetime import datetime, time, timedelta
from functools import cache, partial
from operator import itemgetter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.audit.selectors import register_action_labels
from safepact.audit.services import audit_record
from safepact.lib import clock
from safepact.registry import identifiers, permissions
from safepact.registry.models import (
    Alert,
    AlertStatus,
    BatchCheck,
    BatchStatus,
    Check,
    CheckContext,
    HitAction,
    Identifier,
    RateWindow,
    check_week,
)

__all__ = [
    "BATCH_CHUNK",
    "CHECK_MANY_MAX",
    "LOOKUP_CHUNK",
    "WRITE_CHUNK",
    "CheckError",
    "CheckMatch",
    "CheckResult",
    "RateLimited",
    "batch_create",
    "batch_run",
    "check_identifier",
    "check_many",
    "check_rows",
]

logger = logging.getLogger("safepact.registry")

#: At most this many identifiers in one ``check_many`` call (the API's ``POST /checks``).
CHECK_MANY_MAX = 1000
#: Keys per lookup query (``IN (...)``) and per ``executemany`` of the check log in ``check_rows``.
LOOKUP_CHUNK = 500
#: Rows whose check log ``check_rows`` writes with one ``INSERT ... SELECT`` (in key order). Large: the
#: rows of one statement reach this week's part of the late-hit index in one sorted sweep, where chunks of
#: 5,000 each went through it again (1.27 against 0.66 s for a batch of 100,000, docs/benchmarks.md).
WRITE_CHUNK = 50_000

#: Joins a chunk's kinds and keys into one text each for PostgreSQL (``check_rows``). Parsed kinds and keys
#: hold letters, digits, ``:`` and ``-`` only (``identifiers``), never this control character.
ROW_SEPARATOR = "\x1f"
#: What ``check_rows`` refuses in a key (a JSON array of the keys is written by hand on SQLite).
_UNSAFE = re.compile(r'["\\\x00-\x1f]')
UNSAFE_ROW = "check_rows: a kind or key holds a quote, backslash or control character (not parsed?)"
#: Rows of a batch file checked, and committed with the batch's progress, at a time.
BATCH_CHUNK = 20_000
#: Bad lines of a batch kept in ``BatchCheck.problems`` (all are counted in ``rejected``).
PROBLEMS_MAX = 1000
#: Columns of a batch file (the header, in any case): required and optional.
BATCH_REQUIRED = ("kind", "value")
BATCH_OPTIONAL = ("manufacturer", "country", "document_type")
BATCH_EXTENSIONS = (".csv", ".txt")
#: The header line of a batch file may be at most this long (bytes).
HEADER_MAX = 4096
SYSTEM = "safepact"


def register() -> None:
    register_action_labels(
        {
            "registry.batch.created": gettext_lazy("Batch of identifiers uploaded for checking"),
            "registry.batch.finished": gettext_lazy("Batch check finished"),
        },
        {"registry.batch": gettext_lazy("Batch checks")},
    )


# Results ---------------------------------------------------------------------------------------------


class RateLimited(Exception):
    """Too many checks: ``scope`` is "person", "organisation" or "batch"; try again in ``retry_after``
    seconds (the next minute, or the next day for the batch quota)."""

    def __init__(self, *, retry_after: int, scope: str):
        self.retry_after = int(retry_after)
        self.scope = scope
        messages = {
            "person": _("You have made too many checks this minute. Try again in %(seconds)s seconds."),
            "organisation": _(
                "Your organisation has made too many checks this minute. Try again in %(seconds)s seconds."
            ),
            "batch": _(
                "This would take your organisation over its daily number of identifiers checked in bulk. "
                "Try again tomorrow."
            ),
        }
        super().__init__(messages[scope] % {"seconds": self.retry_after})


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What a checking partner is told: the whole of it. ``value`` is their own identifier, normalised;
    on a hit only the partnership's reference and the action to take (with the police's note for
    partners) and the code of the hit (for the outcome later)."""

    hit: bool
    kind: str
    value: str
    reference: str = ""
    action: str = ""
    action_text: str = ""
    action_note: str = ""
    hit_code: uuid.UUID | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckError:
    """An item of ``check_many`` that could not be checked (``index`` in the input, the field, why)."""

    index: int
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class CheckMatch:
    """One match found by ``check_rows``: the row ``index`` (in the rows given), the check log row, the
    alert and identifier matched, what the partner is told (reference, action, note) and the hit made."""

    index: int
    check_id: int
    alert_id: int
    identifier_id: int
    reference: str
    action: str
    action_note: str
    hit_code: uuid.UUID | None


# SQL, built once per vendor --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Statements:
    rate: str  # one counter: scope, window, increment -> count
    rate_pair: str  # two counters at once -> (scope, count) rows
    lookup_one: str
    lookup_head: str  # followed by "(%s, %s, ...)"
    insert_looked_up: str  # the lookup inside the insert (EXISTS): RETURNING id, hit
    unmark_hit: str
    # check_rows: a chunk of rows logged by one INSERT ... SELECT with the lookup inside (EXISTS).
    # SQLite: from a JSON array of the keys (json_each; the kind is the key's prefix),
    # then the chunk's hits by id range (rows_hit);
    # PostgreSQL: from two texts split by the server (unnest), the hits returned by the statement itself.
    insert_rows: str
    rows_hit: str


def _columns(model, *names: str) -> list[str]:
    q = connection.ops.quote_name
    return [q(model._meta.get_field(name).column) for name in names]


@cache
def _statements(vendor: str) -> _Statements:
    """The hot path's statements. Only table and column names (from the models, quoted) are formatted in;
    every value is a parameter."""
    q = connection.ops.quote_name
    rate_table = q(RateWindow._meta.db_table)
    scope, window, count = _columns(RateWindow, "scope", "window", "count")
    upsert = (
        f"INSERT INTO {rate_table} ({scope}, {window}, {count}) VALUES {{values}} "  # noqa: S608
        f"ON CONFLICT ({scope}, {window}) DO UPDATE SET {count} = {rate_table}.{count} + EXCLUDED.{count} "
        f"RETURNING {scope}, {count}"
    )
    identifier = q(Identifier._meta.db_table)
    alert = q(Alert._meta.db_table)
    i_id, i_alert, i_partnership, i_key = _columns(Identifier, "id", "alert", "partnership", "key")
    a_id, a_reference, a_action, a_note, a_status, a_expires = _columns(
        Alert, "id", "reference", "action", "action_note", "status", "expires_on"
    )
    # Parameters: the partnership, then today's local date (an alert past its expiry date no longer hits,
    # even before the daily job marks it expired), then the key(s).
    joined = (
        f"FROM {identifier} i JOIN {alert} a ON a.{a_id} = i.{i_alert} "
        f"WHERE i.{i_partnership} = %s AND a.{a_expires} >= %s AND a.{a_status} = '{AlertStatus.ACTIVE.value}' "
        f"AND i.{i_key} "
    )
    select = f"SELECT i.{i_key}, i.{i_id}, i.{i_alert}, a.{a_reference}, a.{a_action}, a.{a_note} {joined}"
    check = q(Check._meta.db_table)
    columns = ", ".join(
        _columns(
            Check,
            "partnership",
            "user",
            "organisation",
            "batch",
            "kind",
            "key",
            "context",
            "checked_at",
            "week",
            "hit",
        )
    )
    (check_id, hit) = _columns(Check, "id", "hit")
    looked_up = (
        f"INSERT INTO {check} ({columns}) VALUES (%s, %s, %s, NULL, %s, %s, %s, %s, %s, "  # noqa: S608
        f"EXISTS (SELECT 1 {joined}= %s)) RETURNING {check_id}, {hit}"
    )
    if vendor == "postgresql":
        # The kinds and the keys each travel as one text joined by ROW_SEPARATOR, split by the server:
        # psycopg quotes a list element by element in Python (about 100 ms for 50,000 keys; 25 ms so).
        source = (
            "unnest(string_to_array(%s::text, %s::text), string_to_array(%s::text, %s::text)) "
            "WITH ORDINALITY AS r(kind, key, n)"
        )
        insert_rows = (
            f"WITH ins AS (INSERT INTO {check} ({columns}) "  # noqa: S608
            "SELECT %s::bigint, %s::bigint, %s::bigint, %s::bigint, r.kind, r.key, %s, %s::timestamptz, %s::integer, "
            f"EXISTS (SELECT 1 {joined}= r.key) FROM {source} ORDER BY r.n RETURNING {check_id}, "
            f"{_columns(Check, 'key')[0]}, {hit}) SELECT * FROM ins WHERE {hit} ORDER BY {check_id}"
        )
    else:
        # The keys as one JSON array of texts, in key order; each row's kind is its key's prefix
        # (``identifiers``).
        insert_rows = (
            f"INSERT INTO {check} ({columns}) SELECT %s, %s, %s, %s, "  # noqa: S608
            "substr(r.value, 1, instr(r.value, ':') - 1), r.value, %s, %s, %s, "
            f"EXISTS (SELECT 1 {joined}= r.value) FROM json_each(%s) r"
        )
    rows_hit = (
        f"SELECT {check_id}, {_columns(Check, 'key')[0]}, {hit} FROM {check} "  # noqa: S608
        f"WHERE {check_id} BETWEEN %s AND %s AND {hit} ORDER BY {check_id}"
    )
    return _Statements(
        insert_rows=insert_rows,
        rows_hit=rows_hit,
        rate=upsert.format(values="(%s, %s, %s)"),
        rate_pair=upsert.format(values="(%s, %s, %s), (%s, %s, %s)"),
        lookup_one=select + "= %s",
        lookup_head=select + "IN ",
        insert_looked_up=looked_up,
        unmark_hit=f"UPDATE {check} SET {hit} = %s WHERE {check_id} = %s",  # noqa: S608
    )


@cache
def _placeholders(count: int) -> str:
    return "(" + ", ".join(["%s"] * count) + ")"


def _sql() -> _Statements:
    return _statements(connection.vendor)


@cache
def _raw_statements(vendor: str, paramstyle: str) -> _Statements:
    """The statements for the DB-API connection itself (``connection.connection``): SQLite's ``sqlite3``
    takes ``?`` placeholders, psycopg ``%s``. The statements hold no literal ``%``."""
    sql = _statements(vendor)
    if paramstyle == "qmark":
        return _Statements(*(statement.replace("%s", "?") for statement in astuple(sql)))
    return sql


def _begin(db) -> str:
    """What starts a transaction on the raw connection: SQLite's configured mode (IMMEDIATE, so writers
    queue at the start instead of failing at their first write), PostgreSQL's default."""
    mode = getattr(db, "transaction_mode", None)
    return f"BEGIN {mode}" if mode else "BEGIN"


# Helpers ---------------------------------------------------------------------------------------------


def _checker(user, membership):
    """The checking member's partner: 404 without a membership (outsiders) or with someone else's, 403 for
    viewers and partners that are not active."""
    if membership is None or user is None or membership.user_id != user.pk:
        raise Http404(_("Not found."))
    if not permissions.can_check(membership):
        permissions.ensure_check(membership)
    return membership.partner


_CONTEXTS = frozenset(CheckContext.values)


def _context(context) -> str:
    if context not in _CONTEXTS:
        raise ValidationError({"context": _("Choose why you are checking this identifier.")})
    return str(context)


def _parse(kind, value, manufacturer, country, document_type, with_warnings=True) -> identifiers.Parsed:
    return identifiers.parse(
        kind,
        value,
        manufacturer=manufacturer or "",
        country=country or "",
        document_type=document_type or "",
        with_warnings=with_warnings,
    )


def _seconds_to_next_minute(now: datetime) -> int:
    return 60 - int(now.timestamp()) % 60


def _seconds_to_tomorrow(now: datetime) -> int:
    local = timezone.localtime(now)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=local.tzinfo)
    return max(1, int((midnight - local).total_seconds()))


def _reserve_batch_rows(cursor, organisation_id: int, rows: int) -> None:
    """Count ``rows`` against the organisation's daily batch quota; ``RateLimited("batch")`` when that
    would go over it. Run inside the transaction that stores the work, so a refusal reserves nothing."""
    if rows <= 0:
        return
    cursor.execute(_sql().rate, [f"b:{organisation_id}", clock.today().toordinal(), rows])
    (_scope, total) = cursor.fetchone()
    if total > settings.SAFEPACT_REGISTRY_RATE_LIMITS["batch_rows_per_day"]:
        raise RateLimited(retry_after=_seconds_to_tomorrow(clock.now()), scope="batch")


def _result(parsed_kind: str, value: str, warnings, matches: list[CheckMatch]) -> CheckResult:
    if not matches:
        return CheckResult(hit=False, kind=parsed_kind, value=value, warnings=tuple(warnings))
    first = matches[0]  # matches of a row come sorted by reference
    return CheckResult(
        hit=True,
        kind=parsed_kind,
        value=value,
        reference=first.reference,
        action=first.action,
        action_text=str(HitAction(first.action).label),
        action_note=first.action_note,
        hit_code=first.hit_code,
        warnings=tuple(warnings),
    )


def _create_hits(
    found: list[tuple],
    *,
    index: int,
    check_id: int,
    partnership_id: int,
    user_id: int,
    organisation_id: int,
    context: str,
    checked_at: datetime,
    key: str,
    checked_value: str,
    batch_id: int | None,
    batch_line: int | None,
) -> list[CheckMatch]:
    """A hit (``hit_create``: audited, the owning unit notified) for each alert a row matched, first by
    reference."""
    from safepact.registry.services.hits import hit_create

    matches = []
    for _key, identifier_id, alert_id, reference, action, note in sorted(found, key=lambda m: (m[3], m[2])):
        hit = hit_create(
            partnership_id=partnership_id,
            alert_id=alert_id,
            identifier_id=identifier_id,
            key=key,
            checked_value=checked_value,
            user_id=user_id,
            organisation_id=organisation_id,
            context=context,
            checked_at=checked_at,
            check_id=check_id,
            batch_id=batch_id,
            batch_line=batch_line,
        )
        matches.append(
            CheckMatch(
                index=index,
                check_id=check_id,
                alert_id=alert_id,
                identifier_id=identifier_id,
                reference=reference,
                action=action,
                action_note=note,
                hit_code=getattr(hit, "code", None),
            )
        )
    return matches


# Single checks ---------------------------------------------------------------------------------------


def check_identifier(
    *,
    user,
    membership,
    kind: str,
    value: str,
    manufacturer: str = "",
    country: str = "",
    document_type: str = "",
    context: str,
) -> CheckResult:
    """Check one identifier for ``user`` (whose ``membership`` of the partnership is given): the answer is
    ``CheckResult`` and nothing else. Logged in the check log; a hit is audited and the owning unit is
    told. ``ValidationError`` naming the field for a bad identifier (partial and wildcard values included)
    or context; ``RateLimited`` over the per-minute limits (the attempt still counts); 404 without a
    membership, 403 for viewers."""
    partner = _checker(user, membership)
    context = _context(context)
    try:
        parsed = _parse(kind, value, manufacturer, country, document_type)
    except identifiers.IdentifierError as error:
        raise ValidationError({error.field: str(error)}) from None

    partnership_id, organisation_id = partner.partnership_id, partner.organisation_id
    user_id = user.pk
    now = clock.now()
    minute = int(now.timestamp()) // 60
    person, organisation = f"u:{user_id}", f"o:{organisation_id}"
    limits = settings.SAFEPACT_REGISTRY_RATE_LIMITS
    key = parsed.key
    rate_params = (person, minute, 1, organisation, minute, 1)
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: each attribute of the proxy costs a lookup
    stamp = db.ops.adapt_datetimefield_value(now)
    today = db.ops.adapt_datefield_value(timezone.localdate(now))
    log_params = (
        partnership_id,
        user_id,
        organisation_id,
        parsed.kind,
        key,
        context,
        stamp,
        check_week(now),
        partnership_id,
        today,
        key,
    )
    db.close_if_health_check_failed()
    db.ensure_connection()
    if db.autocommit and not db.in_atomic_block:
        refused = _check_autocommit(db, rate_params, log_params, person, organisation, limits)
        if refused is not None:  # else it hit: done again below, with the hits, in one transaction
            if refused:
                raise RateLimited(retry_after=_seconds_to_next_minute(now), scope=refused)
            return CheckResult(hit=False, kind=parsed.kind, value=parsed.value, warnings=parsed.warnings)
    sql = _sql()
    refused = None
    matches: list[CheckMatch] = []
    # Inside the caller's transaction (a savepoint), or when the check hits: Django's transaction, so the
    # hits (ORM, audit, notifications) commit with the counters and the check log row, or nothing does.
    # A refusal is raised only after the transaction commits, so the counters keep the attempt.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.rate_pair, rate_params)
        counts = dict(cursor.fetchall())
        if counts[person] > limits["user_per_minute"]:
            refused = "person"
        elif counts[organisation] > limits["organisation_per_minute"]:
            refused = "organisation"
        else:
            cursor.execute(sql.insert_looked_up, log_params)
            check_id, hit = cursor.fetchone()
            if hit:  # rare: read what the partner is told, and make the hits
                cursor.execute(sql.lookup_one, [partnership_id, today, key])
                found = cursor.fetchall()
                if not found:  # the alert changed in between (PostgreSQL, read committed)
                    cursor.execute(sql.unmark_hit, [False, check_id])
                matches = _create_hits(
                    found,
                    index=0,
                    check_id=check_id,
                    partnership_id=partnership_id,
                    user_id=user_id,
                    organisation_id=organisation_id,
                    context=context,
                    checked_at=now,
                    key=key,
                    checked_value=str(value)[:200],
                    batch_id=None,
                    batch_line=None,
                )
    if refused:
        raise RateLimited(retry_after=_seconds_to_next_minute(now), scope=refused)
    return _result(parsed.kind, parsed.value, parsed.warnings, matches)


def _check_autocommit(db, rate_params, log_params, person: str, organisation: str, limits) -> str | None:
    """The usual single check, outside any transaction of the caller (``db`` connected, autocommit): both
    counters and the check log row (with the lookup inside it) in one transaction on the DB-API connection
    itself, which saves Django's ``atomic()`` and cursor wrapper (about a third of a check on SQLite).

    Returns "" (no hit: logged and committed), "person" or "organisation" (refused: only the counters are
    committed), or ``None`` when the identifier hits: then everything is rolled back and the caller checks
    again in a Django transaction, where the hits are made with the ORM (``atomic()`` cannot join a
    transaction begun on the raw connection). Database errors surface as Django's (``wrap_database_errors``)
    and roll the transaction back."""
    sql = _raw_statements(db.vendor, db.Database.paramstyle)
    with db.wrap_database_errors:
        cursor = db.connection.cursor()
        cursor.execute(_begin(db))
        try:
            cursor.execute(sql.rate_pair, rate_params)
            counts = dict(cursor.fetchall())
            hit = False
            if counts[person] > limits["user_per_minute"]:
                refused = "person"
            elif counts[organisation] > limits["organisation_per_minute"]:
                refused = "organisation"
            else:
                refused = ""
                cursor.execute(sql.insert_looked_up, log_params)
                hit = cursor.fetchone()[1]
            cursor.execute("ROLLBACK" if hit else "COMMIT")
        except BaseException:
            with suppress(Exception):  # no transaction left, or the connection is gone: Django's problem
                cursor.execute("ROLLBACK")
            raise
        finally:
            cursor.close()
    return None if hit else refused


# The set-based core ----------------------------------------------------------------------------------


def check_rows(
    *,
    partnership_id: int,
    user_id: int,
    organisation_id: int,
    context: str,
    rows: Sequence[tuple[str, str, str, int | None]],
    batch_id: int | None = None,
    checked_at: datetime | None = None,
) -> list[CheckMatch]:
    """Check many parsed identifiers at once and log every one of them; return the matches.

    ``rows`` is a sequence of ``(kind, key, checked_value, line)`` tuples: ``kind`` and ``key`` from
    ``identifiers.parse`` (``Parsed.kind``, ``Parsed.key``; the kind is the key's prefix, which is what
    SQLite stores), ``checked_value`` the identifier as the partner gave it (kept on a hit) and ``line``
    its line in a batch file (or ``None``). Every row gets one row in
    the check log (``partnership_id``, ``user_id``, ``organisation_id``, ``batch_id``, ``context``,
    ``checked_at``, default ``clock.now()``). The caller has checked access, the context and the rate
    limits; this runs in one transaction (a savepoint inside the caller's).

    Rows go ``WRITE_CHUNK`` at a time, in key order (the check log's (partnership, week, key) index is
    then written in one sweep), through one ``INSERT ... SELECT`` per chunk with the lookup inside it
    (``EXISTS`` on the (partnership, key) index): the rows travel as one parameter (a JSON array of the
    keys read by ``json_each`` on SQLite, two texts split by ``string_to_array`` on PostgreSQL), so no
    Python runs per row. A key holding a quote, a backslash or a control character is refused
    (``ValueError``) before anything is written: parsed keys never do. That is about twice as fast as
    looking the keys up with ``IN (...)`` and writing the log with ``executemany``. The chunk's rows that hit come back (PostgreSQL: ``RETURNING``; SQLite: by the ids
    the statement just took, which are consecutive under the write lock), their alerts are read
    (``LOOKUP_CHUNK`` keys per query) and ``hits_create_many`` makes the hits (audited, the owning units
    told once per alert and chunk, with ``batch_id`` and ``batch_line``). Within a chunk, rows with the
    same key are assigned that key's check log rows in row order. Returns ``CheckMatch`` objects in row
    order, the matches of one row sorted by alert reference.
    """
    now = checked_at or clock.now()
    matches: list[CheckMatch] = []
    total = len(rows)
    if not total:
        return matches
    with transaction.atomic():
        db = connections[DEFAULT_DB_ALIAS]
        stamp = db.ops.adapt_datetimefield_value(now)
        sql = _raw_statements(db.vendor, db.Database.paramstyle)
        postgres = db.vendor == "postgresql"
        today = db.ops.adapt_datefield_value(timezone.localdate(now))
        head = (
            partnership_id, user_id, organisation_id, batch_id, context, stamp, check_week(now), partnership_id, today
        )  # fmt: skip
        if postgres:
            # The insert's cost estimate (an EXISTS per row) is far above jit_above_cost, so PostgreSQL
            # compiled it with LLVM each time: some 150 ms a chunk of 50,000 (the statement itself takes
            # about 400 ms). Off until this transaction ends.
            with db.wrap_database_errors, db.connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        for start in range(0, total, WRITE_CHUNK):
            chunk = rows[start : start + WRITE_CHUNK]
            with db.wrap_database_errors:
                cursor = db.connection.cursor()
                try:
                    if postgres:
                        ordered = sorted(chunk, key=_row_key)
                        kinds = ROW_SEPARATOR.join([row[0] for row in ordered])
                        keys = ROW_SEPARATOR.join([row[1] for row in ordered])
                        if (
                            keys.count(ROW_SEPARATOR) != len(ordered) - 1
                            or kinds.count(ROW_SEPARATOR) != len(ordered) - 1
                            or _UNSAFE.search(keys.replace(ROW_SEPARATOR, ""))
                        ):
                            raise ValueError(UNSAFE_ROW)
                        cursor.execute(sql.insert_rows, (*head, kinds, ROW_SEPARATOR, keys, ROW_SEPARATOR))
                        hit_rows = cursor.fetchall()
                    else:
                        # A JSON array of the keys, written here: parsed keys need no escaping, and a key
                        # that would (not parsed?) is refused, as on PostgreSQL.
                        keys = '","'.join(sorted([row[1] for row in chunk]))
                        if keys.count('"') != 2 * (len(chunk) - 1) or _UNSAFE.search(keys.replace('"', "")):
                            raise ValueError(UNSAFE_ROW)
                        cursor.execute(sql.insert_rows, (*head, '["' + keys + '"]'))
                        last, count = cursor.lastrowid, cursor.rowcount
                        if count != len(chunk):
                            raise RuntimeError(f"check_rows logged {count} rows of {len(chunk)}")
                        cursor.execute(sql.rows_hit, (last - count + 1, last))
                        hit_rows = cursor.fetchall()
                finally:
                    cursor.close()
            if hit_rows:
                matches += _chunk_hits(
                    hit_rows,
                    chunk,
                    start,
                    partnership_id=partnership_id,
                    user_id=user_id,
                    organisation_id=organisation_id,
                    context=context,
                    checked_at=now,
                    batch_id=batch_id,
                )
    return matches


_row_key = itemgetter(1)


def _chunk_hits(
    hit_rows: list[tuple],
    chunk: Sequence[tuple],
    start: int,
    *,
    partnership_id: int,
    user_id: int,
    organisation_id: int,
    context: str,
    checked_at: datetime,
    batch_id: int | None,
) -> list[CheckMatch]:
    """The hits of one chunk of ``check_rows``: ``hit_rows`` are its check log rows that hit, ``(id, key,
    hit)`` by id. Reads the matching identifiers and alerts, makes the hits (``hits_create_many``) and
    returns the matches in row order (the matches of one row by reference)."""
    from safepact.registry.services.hits import hits_create_many

    today = connection.ops.adapt_datefield_value(timezone.localdate(checked_at))
    check_ids: dict[str, list[int]] = {}
    for check_id, key, _hit in hit_rows:
        check_ids.setdefault(key, []).append(check_id)
    keys = list(check_ids)
    found: dict[str, list[tuple]] = {}
    with connection.cursor() as cursor:
        lookup_head = _sql().lookup_head
        for first in range(0, len(keys), LOOKUP_CHUNK):
            part = keys[first : first + LOOKUP_CHUNK]
            cursor.execute(lookup_head + _placeholders(len(part)), [partnership_id, today, *part])
            for match in cursor.fetchall():
                found.setdefault(match[0], []).append(match)
        stale = [check_id for key in keys if key not in found for check_id in check_ids[key]]
        for check_id in stale:  # the alert changed in between (PostgreSQL, read committed)
            cursor.execute(_sql().unmark_hit, [False, check_id])
    wanted: list[tuple[int, int, list[tuple]]] = []  # (row index, check id, matches)
    taken: dict[str, int] = {}
    for offset, row in enumerate(chunk):
        key = row[1]
        if key not in found:
            continue
        position = taken.get(key, 0)
        taken[key] = position + 1
        ids = check_ids[key]
        if position < len(ids):
            wanted.append((start + offset, ids[position], sorted(found[key], key=_by_reference)))
    items = [
        {
            "alert_id": alert_id,
            "identifier_id": identifier_id,
            "key": chunk[index - start][1],
            "checked_value": str(chunk[index - start][2])[:200],
            "check_id": check_id,
            "batch_line": chunk[index - start][3],
        }
        for index, check_id, matched in wanted
        for _key, identifier_id, alert_id, _reference, _action, _note in matched
    ]
    hits = hits_create_many(
        partnership_id=partnership_id,
        user_id=user_id,
        organisation_id=organisation_id,
        context=context,
        checked_at=checked_at,
        batch_id=batch_id,
        items=items,
    )
    codes = {(hit.alert_id, hit.check_ref): hit.code for hit in hits}
    return [
        CheckMatch(
            index=index,
            check_id=check_id,
            alert_id=alert_id,
            identifier_id=identifier_id,
            reference=reference,
            action=action,
            action_note=note,
            hit_code=codes.get((alert_id, check_id)),
        )
        for index, check_id, matched in wanted
        for _key, identifier_id, alert_id, reference, action, note in matched
    ]


def _by_reference(match: tuple) -> tuple:
    return (match[3], match[2])


def check_many(*, user, membership, items: list[dict], context: str) -> list[CheckResult | CheckError]:
    """Check up to ``CHECK_MANY_MAX`` identifiers at once (the API): one answer per item, in order, a
    ``CheckResult`` or a ``CheckError(index, field, message)`` for an item that could not be checked (not
    logged). The valid items count against the organisation's daily batch quota, not the per-minute
    limits: a call that would go over it is refused as a whole (``RateLimited("batch")``), nothing stored."""
    partner = _checker(user, membership)
    context = _context(context)
    if not isinstance(items, list | tuple):
        raise ValidationError({"items": _("Give a list of identifiers.")})
    if len(items) > CHECK_MANY_MAX:
        raise ValidationError(
            {
                "items": _("Check at most %(max)s identifiers at once; upload a batch file for more.")
                % {"max": CHECK_MANY_MAX}
            }
        )
    answers: list = [None] * len(items)
    parsed_items: list[identifiers.Parsed] = []
    positions: list[int] = []
    rows = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            answers[index] = CheckError(index, "items", _("Each item needs a kind and a value."))
            continue
        try:
            parsed = _parse(
                item.get("kind", ""),
                item.get("value", ""),
                item.get("manufacturer", ""),
                item.get("country", ""),
                item.get("document_type", ""),
            )
        except identifiers.IdentifierError as error:
            answers[index] = CheckError(index, error.field, str(error))
            continue
        parsed_items.append(parsed)
        positions.append(index)
        rows.append((parsed.kind, parsed.key, str(item.get("value", ""))[:200], None))
    if rows:
        with transaction.atomic(), connection.cursor() as cursor:
            _reserve_batch_rows(cursor, partner.organisation_id, len(rows))
            matches = check_rows(
                partnership_id=partner.partnership_id,
                user_id=user.pk,
                organisation_id=partner.organisation_id,
                context=context,
                rows=rows,
            )
        by_row: dict[int, list[CheckMatch]] = {}
        for match in matches:
            by_row.setdefault(match.index, []).append(match)
        for row, (parsed, index) in enumerate(zip(parsed_items, positions, strict=True)):
            answers[index] = _result(parsed.kind, parsed.value, parsed.warnings, by_row.get(row, []))
    return answers


# Batches ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Upload:
    file: File
    name: str
    delimiter: str
    columns: dict[str, int]
    rows: int


def _clean_name(name: str) -> str:
    name = os.path.basename(str(name or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".") or "batch.csv"
    if len(name) > 255:
        stem, ext = os.path.splitext(name)
        name = stem[: 255 - len(ext)] + ext
    return name


def _file_error(message) -> ValidationError:
    return ValidationError({"file": message})


def _header(line: bytes) -> tuple[str, dict[str, int]]:
    """The delimiter and the columns (name -> position) of the header line; ``ValidationError`` naming the
    file and the header's problem."""
    text = line.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
    delimiter = ";" if text.count(";") > text.count(",") else ","
    names = [
        name.strip().strip('"').strip().lower().replace(" ", "_").replace("-", "_")
        for name in next(csv.reader([text], delimiter=delimiter), [])
    ]
    columns: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in columns and name in (*BATCH_REQUIRED, *BATCH_OPTIONAL):
            raise _file_error(_("The header names the column %(column)s twice.") % {"column": name})
        columns.setdefault(name, position)
    missing = [name for name in BATCH_REQUIRED if name not in columns]
    if missing:
        raise _file_error(
            _(
                "The first line must be a header naming the columns: kind and value are required; "
                "manufacturer, country and document_type are optional. Missing: %(columns)s."
            )
            % {"columns": ", ".join(missing)}
        )
    return delimiter, {name: columns[name] for name in (*BATCH_REQUIRED, *BATCH_OPTIONAL) if name in columns}


def _inspect_upload(file) -> _Upload:
    """Check a batch upload without storing anything: name, size, text (UTF-8, no NUL bytes), header and
    the number of rows (by counting line ends); ``ValidationError({"file": ...})`` otherwise."""
    if file is None:
        raise _file_error(_("Choose a CSV file to upload."))
    name = _clean_name(getattr(file, "name", ""))
    if not name.lower().endswith(BATCH_EXTENSIONS):
        raise _file_error(_("Upload a CSV file (a name ending in .csv or .txt)."))
    max_bytes = settings.SAFEPACT_REGISTRY_BATCH_MAX_MB * 1024 * 1024
    too_big = _("The file is larger than %(mb)s MB; split it into smaller files.") % {
        "mb": settings.SAFEPACT_REGISTRY_BATCH_MAX_MB
    }
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes:
        raise _file_error(too_big)
    if not hasattr(file, "chunks"):
        file = File(file)
    decoder = codecs.getincrementaldecoder("utf-8")()
    read = newlines = 0
    head = b""
    last = b""
    not_text = _("The file is not a text file in UTF-8; save it as CSV (UTF-8) and upload it again.")
    if hasattr(file, "seek"):
        file.seek(0)
    for chunk in file.chunks():
        if not chunk:
            continue
        read += len(chunk)
        if read > max_bytes:
            raise _file_error(too_big)
        if b"\0" in chunk:
            raise _file_error(not_text)
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            raise _file_error(not_text) from None
        if not newlines and len(head) <= HEADER_MAX:
            head += chunk[: HEADER_MAX + 1 - len(head)]
        newlines += chunk.count(b"\n")
        # Rows end with LF or CR LF: a lone CR (old Mac files) would end rows the count above does not see.
        lone = chunk.count(b"\r") - chunk.count(b"\r\n") - (1 if chunk.endswith(b"\r") else 0)
        if last == b"\r" and not chunk.startswith(b"\n"):
            lone += 1
        if lone > 0:
            raise _file_error(
                _(
                    "The lines of this file end with CR alone (an old Mac format): save it with Windows or Unix line ends."
                )
            )
        last = chunk[-1:]
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _file_error(not_text) from None
    if not read:
        raise _file_error(_("The file is empty."))
    end = head.find(b"\n")
    if end < 0 and (newlines or len(head) > HEADER_MAX):
        raise _file_error(_("The header line is too long."))
    try:
        delimiter, columns = _header(head if end < 0 else head[:end])
    except UnicodeDecodeError:
        raise _file_error(not_text) from None
    rows = newlines - 1 + (0 if last == b"\n" else 1)
    if rows < 1:
        raise _file_error(_("The file has a header but no identifiers to check."))
    if rows > settings.SAFEPACT_REGISTRY_BATCH_MAX_ROWS:
        raise _file_error(
            _("The file has %(rows)s rows; at most %(max)s can be checked at once.")
            % {"rows": rows, "max": settings.SAFEPACT_REGISTRY_BATCH_MAX_ROWS}
        )
    if hasattr(file, "seek"):
        file.seek(0)
    return _Upload(file=file, name=name, delimiter=delimiter, columns=columns, rows=rows)


def _enqueue(batch_id: int) -> None:
    from safepact.registry import tasks

    tasks.registry_check_batch.enqueue(batch_id)


def batch_create(*, user, membership, file, context: str) -> BatchCheck:
    """Upload a CSV file of identifiers to be checked in the background (``batch_run``).

    The file: UTF-8 text (a BOM is fine), a name ending in .csv or .txt, a header line naming the columns
    ``kind`` and ``value`` and, where the kinds need them, ``manufacturer``, ``country`` and
    ``document_type`` (any case; "document type" too), separated by ``,`` or ``;``; other columns (the
    partner's own reference, say) are ignored. One identifier per line.

    Refused with ``ValidationError({"file": ...})`` (not a UTF-8 text file, too big, too many rows, no
    header with ``kind`` and ``value``, no rows) or ``{"context": ...}``, and with ``RateLimited("batch")``
    when its rows would take the organisation over its daily quota: nothing stored then. Otherwise the rows
    are reserved against the quota, the file is stored under an opaque name, the upload is audited
    (``registry.batch.created``) and the check is queued once the transaction commits."""
    partner = _checker(user, membership)
    context = _context(context)
    upload = _inspect_upload(file)
    with transaction.atomic():
        with connection.cursor() as cursor:
            _reserve_batch_rows(cursor, partner.organisation_id, upload.rows)
        batch = BatchCheck(
            partnership_id=partner.partnership_id,
            user=user,
            organisation_id=partner.organisation_id,
            context=context,
            file_name=upload.name,
            total=upload.rows,
        )
        batch.file.save(
            f"{uuid.uuid4().hex}{os.path.splitext(upload.name)[1].lower()}", upload.file, save=False
        )
        try:
            batch.save(force_insert=True)
            audit_record(
                actor=user,
                action="registry.batch.created",
                target=batch,
                partnership=partner.partnership,
                after={"rows": upload.rows, "context": context},
            )
        except Exception:
            batch.file.delete(save=False)
            raise
        transaction.on_commit(partial(_enqueue, batch.pk))
    return batch


def _batch_row(row: list[str], columns: dict[str, int]) -> tuple[str, ...]:
    width = len(row)
    return tuple(row[position].strip() if position < width else "" for position in columns.values())


def _batch_progress(batch_id: int, **fields) -> None:
    BatchCheck.objects.filter(pk=batch_id).update(**fields)


def _finish(batch: BatchCheck, status: str, **fields) -> None:
    """Record the end of a batch. The rows reserved against the organisation's daily quota at upload
    (counted as lines) that were never checked (a failed run, or line breaks inside quoted cells) are
    given back to the quota of the upload day."""
    with transaction.atomic():
        reserved = BatchCheck.objects.filter(pk=batch.pk).values_list("total", flat=True).get()
        _batch_progress(batch.pk, status=status, finished_at=clock.now(), **fields)
        batch.refresh_from_db()
        unused = reserved - batch.processed
        if unused > 0:
            RateWindow.objects.filter(
                scope=f"b:{batch.organisation_id}", window=timezone.localdate(batch.created_at).toordinal()
            ).update(count=Greatest(F("count") - unused, 0))
        audit_record(
            actor=None,
            actor_label=SYSTEM,
            action="registry.batch.finished",
            target=batch,
            partnership=batch.partnership,
            after={
                "status": batch.status,
                "rows": batch.processed,
                "hits": batch.hits,
                "rejected": batch.rejected,
            },
        )


class _BatchRun:
    """The state of one run of ``batch_run``: the rows of the current chunk and the counts so far."""

    def __init__(self, batch: BatchCheck, skip: int):
        self.batch = batch
        self.processed, self.hits, self.rejected = skip, batch.hits, batch.rejected
        self.problems = list(batch.problems) if skip else []
        self.rows: list[tuple[str, str, str, int]] = []
        self.consumed = 0  # lines of the current chunk (blank and bad ones included)
        self.chunk_rejected = 0
        self.chunk_problems: list[dict] = []
        self.line = 1  # the line last read (the header is line 1)

    def reject(self, line: int, field: str, message: str) -> None:
        self.chunk_rejected += 1
        if len(self.problems) + len(self.chunk_problems) < PROBLEMS_MAX:
            self.chunk_problems.append({"line": line, "field": field, "message": message})

    def flush(self) -> None:
        """Check the chunk's rows and commit them with the batch's progress."""
        batch = self.batch
        with transaction.atomic():
            matches = check_rows(
                partnership_id=batch.partnership_id,
                user_id=batch.user_id,
                organisation_id=batch.organisation_id,
                context=batch.context,
                rows=self.rows,
                batch_id=batch.pk,
            )
            self.problems.extend(self.chunk_problems)
            _batch_progress(
                batch.pk,
                processed=self.processed + self.consumed,
                hits=self.hits + len(matches),
                rejected=self.rejected + self.chunk_rejected,
                problems=self.problems,
            )
        self.processed += self.consumed
        self.hits += len(matches)
        self.rejected += self.chunk_rejected
        self.rows, self.consumed, self.chunk_rejected, self.chunk_problems = [], 0, 0, []


def _batch_lines(run: _BatchRun, text, skip: int) -> None:
    delimiter, columns = _header(text.readline().encode("utf-8"))
    names = tuple(columns)
    reader = csv.reader(text, delimiter=delimiter)
    seen = 0
    while True:
        # A record may span several lines (a quoted cell with a line break): it is named by its first line.
        # The header, read before the reader started, is line 1.
        first_line = reader.line_num + 2
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:  # e.g. a field over the csv module's limit: a bad line, not a crash
            record, problem = None, str(error)
        else:
            problem = ""
        run.line = first_line
        seen += 1
        if seen <= skip:
            continue
        run.consumed += 1
        if problem:
            run.reject(run.line, "file", _("This line cannot be read as CSV."))
        elif any(field.strip() for field in record):  # blank lines are skipped
            values = dict(zip(names, _batch_row(record, columns), strict=True))
            try:
                parsed = _parse(
                    values["kind"],
                    values["value"],
                    values.get("manufacturer"),
                    values.get("country"),
                    values.get("document_type"),
                    with_warnings=False,  # a batch keeps no warnings: not translating them saves time
                )
            except identifiers.IdentifierError as error:
                run.reject(run.line, error.field, str(error))
            else:
                run.rows.append((parsed.kind, parsed.key, values["value"][:200], run.line))
        if run.consumed >= BATCH_CHUNK:
            run.flush()
    if run.consumed:
        run.flush()


def batch_run(*, batch_id: int) -> dict:
    """Check a queued batch (the task ``registry.check_batch``): every row through ``check_rows`` in chunks
    of ``BATCH_CHUNK``, each chunk committed with the progress (``processed``, ``hits``, ``rejected``,
    ``problems``) so the page's progress bar advances. A bad line is skipped and reported by line number
    (the header is line 1; the first ``PROBLEMS_MAX`` are kept, all are counted); blank lines are skipped.
    A batch that stopped half-way (worker killed) goes on after the rows already checked; a finished one is
    left alone. An error stops it as ``failed`` with the line it reached. Audited
    (``registry.batch.finished``). Returns the status and the counts."""
    batch = BatchCheck.objects.select_related("partnership").filter(pk=batch_id).first()
    if batch is None or batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
        return {"status": batch.status if batch else "missing"}
    skip = batch.processed if batch.status == BatchStatus.RUNNING else 0
    _batch_progress(batch.pk, status=BatchStatus.RUNNING, started_at=batch.started_at or clock.now())
    run = _BatchRun(batch, skip)
    try:
        with batch.file.open("rb") as raw:
            _batch_lines(run, io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""), skip)
    except Exception as error:
        logger.exception("Batch check %s stopped at line %s", batch.pk, run.line)
        message = _(
            "The check stopped at line %(line)s because of an error (%(error)s); %(rows)s rows were "
            "checked before it."
        ) % {"line": run.line, "error": type(error).__name__, "rows": run.processed}
        _finish(batch, BatchStatus.FAILED, error=message)
        return {"status": BatchStatus.FAILED.value, "line": run.line, "processed": run.processed}
    _finish(batch, BatchStatus.DONE, total=run.processed)
    return {
        "status": BatchStatus.DONE.value,
        "total": run.processed,
        "hits": run.hits,
        "rejected": run.rejected,
    }
