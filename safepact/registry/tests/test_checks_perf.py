"""The fast paths of checks, with real transactions: a single check outside any transaction runs on the
DB-API connection between its own BEGIN and COMMIT (a miss is logged and committed, a refusal keeps only
the counters, a hit is rolled back and done again with the ORM in Django's transaction, a database error
rolls everything back and leaves the connection usable); ``check_rows`` writes a chunk with one statement
and finds its hits by the ids the statement took; ``hits_create_many`` and ``audit_record_many`` give the
same rows, events and chain as one call per hit."""

from datetime import UTC, datetime
from itertools import pairwise

import pytest
from django.db import DatabaseError, connection, transaction

from safepact.audit.chain import verify
from safepact.audit.models import AuditEvent
from safepact.audit.services import audit_record, audit_record_many
from safepact.lib import clock
from safepact.notifications.models import Notification
from safepact.registry.models import Check, Hit
from safepact.registry.services import RateLimited, check_identifier, check_rows
from safepact.registry.services import checks as checks_module
from safepact.registry.tests.checks_factories import checks_of, counts, make_alert

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 11, 30, 10, 0, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def check(reg, value="NL-XYZ98765E505", **extra):
    return check_identifier(
        user=reg.marina, membership=reg.m_marina, kind="hin", value=value, context="offered_for_sale", **extra
    )


def test_a_miss_outside_a_transaction_is_logged_and_committed_on_the_raw_connection(reg):
    make_alert(reg)
    assert connection.get_autocommit() and not connection.in_atomic_block
    result = check(reg, "SE-ABC12345D405")
    assert (result.hit, result.value) == (False, "SEABC12345D405")
    assert connection.get_autocommit() and not connection.in_atomic_block
    (logged,) = checks_of(reg.marina)
    assert (logged.key, logged.hit, logged.batch_id, logged.checked_at) == (
        "hin:SEABC12345D405",
        False,
        None,
        NOW,
    )
    assert counts(f"u:{reg.marina.pk}") == 1
    assert not Hit.objects.exists()
    with transaction.atomic():  # Django's transactions work as before on the same connection
        assert Check.objects.count() == 1


def test_a_hit_outside_a_transaction_is_made_once_with_the_orm(reg):
    alert = make_alert(reg)
    result = check(reg)
    assert (result.hit, result.reference) == (True, alert.reference)
    (logged,) = checks_of(reg.marina)
    assert logged.hit
    hit = Hit.objects.get()
    assert (hit.check_ref, hit.code) == (logged.pk, result.hit_code)
    assert AuditEvent.objects.filter(action="registry.hit.created").count() == 1
    assert Notification.objects.filter(kind="registry.hit", recipient=reg.police).count() == 1
    assert counts(f"u:{reg.marina.pk}") == 1  # the rolled-back first attempt does not count twice


def test_a_refusal_outside_a_transaction_keeps_the_counters_only(reg, settings):
    settings.SAFEPACT_REGISTRY_RATE_LIMITS = {
        "user_per_minute": 2,
        "organisation_per_minute": 100,
        "batch_rows_per_day": 100,
    }
    for _ in range(2):
        check(reg, "SE-ABC12345D405")
    with pytest.raises(RateLimited) as refused:
        check(reg, "SE-ABC12345D405")
    assert refused.value.scope == "person" and refused.value.retry_after == 45
    assert counts(f"u:{reg.marina.pk}") == 3
    assert len(checks_of(reg.marina)) == 2


def test_a_database_error_on_the_raw_connection_rolls_back_and_surfaces_as_djangos(reg, monkeypatch):
    make_alert(reg)
    real = checks_module._raw_statements(connection.vendor, connection.Database.paramstyle)
    broken = checks_module._Statements(
        **{**real.__dict__, "insert_looked_up": "INSERT INTO no_such_table VALUES (1)"}
    )
    monkeypatch.setattr(checks_module, "_raw_statements", lambda *args: broken)
    with pytest.raises(DatabaseError):
        check(reg, "SE-ABC12345D405")
    assert counts(f"u:{reg.marina.pk}") == 0 and not Check.objects.exists()
    monkeypatch.undo()
    assert check(reg, "SE-ABC12345D405").hit is False
    assert counts(f"u:{reg.marina.pk}") == 1 and len(checks_of(reg.marina)) == 1


def test_check_rows_commits_with_real_ids_and_groups_the_notifications(reg, monkeypatch):
    monkeypatch.setattr(checks_module, "WRITE_CHUNK", 4)
    alert = make_alert(reg)
    from safepact.registry import identifiers

    values = ["NL-XYZ98765E505", "SE-ABC12345D405", "nlxyz98765e505", "SE-ABC12345D405", "NLXYZ98765E505"]
    rows = []
    for line, value in enumerate(values, start=2):
        parsed = identifiers.parse("hin", value)
        rows.append((parsed.kind, parsed.key, value, line))
    matches = check_rows(
        partnership_id=reg.partnership.pk,
        user_id=reg.marina.pk,
        organisation_id=reg.m_marina.partner.organisation_id,
        context="purchase",
        rows=rows,
    )
    assert [m.index for m in matches] == [0, 2, 4]
    logged = {c.pk: c for c in checks_of(reg.marina)}
    assert len(logged) == 5
    assert all(logged[m.check_id].hit and logged[m.check_id].key == "hin:NLXYZ98765E505" for m in matches)
    hits = {h.check_ref: h for h in Hit.objects.all()}
    assert [(hits[m.check_id].batch_line, hits[m.check_id].checked_value) for m in matches] == [
        (2, "NL-XYZ98765E505"),
        (4, "nlxyz98765e505"),
        (6, "NLXYZ98765E505"),
    ]
    assert all(m.hit_code == hits[m.check_id].code for m in matches)
    assert AuditEvent.objects.filter(action="registry.hit.created").count() == 3
    titles = sorted(Notification.objects.filter(recipient=reg.police).values_list("title", flat=True))
    assert titles == [f"2 hits on {alert.reference}", f"Hit on {alert.reference}"]  # per alert and chunk


def _chain(code):
    return [event.chain_fields() for event in AuditEvent.objects.filter(chain=code)]


def test_audit_record_many_continues_the_chain_like_one_call_per_event(reg):
    partnership = reg.partnership
    with transaction.atomic():
        audit_record(actor=reg.police, action="registry.test.one", partnership=partnership, after={"n": 0})
        events = audit_record_many(
            [
                {
                    "actor": reg.marina,
                    "action": "registry.test.many",
                    "partnership": partnership,
                    "after": {"n": n},
                }
                for n in range(1, 4)
            ]
            + [{"actor_label": "system", "action": "registry.test.platform", "after": {"n": 9}}]
        )
        audit_record(actor=reg.police, action="registry.test.after", partnership=partnership)
    assert len(events) == 4
    chain = list(AuditEvent.objects.filter(chain=str(partnership.code)).order_by("seq"))
    tail = [(e.action, (e.after or {}).get("n")) for e in chain[-5:]]
    assert tail == [
        ("registry.test.one", 0),
        ("registry.test.many", 1),
        ("registry.test.many", 2),
        ("registry.test.many", 3),
        ("registry.test.after", None),
    ]
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert all(b.prev_hash == a.hash for a, b in pairwise(chain))
    assert verify(_chain(str(partnership.code))) == []
    assert AuditEvent.objects.get(action="registry.test.platform").chain == "platform"
    assert audit_record_many([]) == []
    with pytest.raises(RuntimeError):
        audit_record_many([{"action": "registry.test.outside"}])


def test_hits_of_a_chunk_on_several_alerts_give_the_unit_one_notification(reg):
    from safepact.registry import identifiers

    first = make_alert(reg, reference="REG-2026-000001")
    make_alert(reg, reference="REG-2026-000002", identifiers_=[{"kind": "vin", "value": "WBA71DC010CH14720"}])
    rows = [
        (p.kind, p.key, value, line)
        for line, (kind, value) in enumerate(
            [("hin", "NLXYZ98765E505"), ("vin", "WBA71DC010CH14720"), ("hin", "NL-XYZ98765E505")], start=2
        )
        for p in [identifiers.parse(kind, value)]
    ]
    matches = check_rows(
        partnership_id=reg.partnership.pk,
        user_id=reg.marina.pk,
        organisation_id=reg.m_marina.partner.organisation_id,
        context="purchase",
        rows=rows,
    )
    assert [(m.index, m.reference) for m in matches] == [
        (0, first.reference),
        (1, "REG-2026-000002"),
        (2, first.reference),
    ]
    (told,) = Notification.objects.filter(kind="registry.hit", recipient=reg.police)
    assert told.title == "3 hits on 2 alerts"
    assert told.url == f"/p/{reg.partnership.code}/registry/hits/"
    assert AuditEvent.objects.filter(action="registry.hit.created").count() == 3
