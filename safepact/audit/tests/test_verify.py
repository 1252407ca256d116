"""Tamper tests: the database refuses UPDATE and DELETE; without the triggers, audit_verify finds the change."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from safepact.audit import triggers
from safepact.audit.models import AuditEvent
from safepact.audit.services import audit_record

TABLE = "audit_auditevent"


def record(partnership, n, actor=None):
    for i in range(n):
        with transaction.atomic():
            audit_record(actor=actor, action="test.thing.done", partnership=partnership, reason=f"r{i}")


def verify(*args, **options):
    out = io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, **options)
    except CommandError as exc:
        return False, out.getvalue(), exc
    return True, out.getvalue(), None


def chain_of(partnership):
    return list(AuditEvent.objects.filter(chain=str(partnership.code)).order_by("seq"))


# --- the database refuses ---------------------------------------------------------------------


def test_database_refuses_update(world):
    event = chain_of(world.partnership_a)[1]
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["rewritten", event.pk])
    event.refresh_from_db()
    assert event.reason != "rewritten"
    assert verify()[0]


def test_database_refuses_delete(world):
    event = chain_of(world.partnership_a)[1]
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_update_and_delete_are_refused_too(world):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(chain=str(world.partnership_a.code)).update(reason="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(chain=str(world.partnership_a.code)).delete()
    assert not AuditEvent.objects.filter(reason="x").exists()


# --- audit_verify -----------------------------------------------------------------------------


def test_intact_trail_verifies_and_prints_heads(world):
    ok, out, _ = verify()
    assert ok
    events = AuditEvent.objects.count()
    chains = AuditEvent.objects.values("chain").distinct().count()
    assert f"Checked {events} events in {chains} chain(s)." in out
    head = chain_of(world.partnership_a)[-1]
    assert f"chain {world.partnership_a.code}: {head.seq} events, head #{head.seq} {head.hash} [ok]" in out
    assert "chain platform:" in out
    assert "BROKEN" not in out


def test_one_partnership(world):
    ok, out, _ = verify(partnership=str(world.partnership_b.code))
    assert ok
    assert "Checked" in out and "in 1 chain(s)." in out
    assert str(world.partnership_a.code) not in out


@pytest.mark.parametrize("code", ["not-a-code", "00000000-0000-0000-0000-000000000000"])
def test_unknown_partnership_is_a_clear_error(world, code):
    ok, _out, exc = verify(partnership=code)
    assert not ok
    assert "partnership" in str(exc).lower()


def test_edited_row_is_named(world):
    record(world.partnership_a, 3)
    victim = chain_of(world.partnership_a)[2]
    triggers.remove(connection)  # rolled back with the test: DDL is transactional on SQLite and PostgreSQL
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["nothing happened", victim.pk])
    ok, out, exc = verify()
    assert not ok
    assert exc.returncode == 1
    assert (
        f"BROKEN: chain {world.partnership_a.code}, event #{victim.seq} ({victim.code}): "
        "its content does not match its hash" in out
    )
    assert f"chain {world.partnership_b.code}" in out and out.count("BROKEN:") == 1
    ok_b, _, _ = verify(partnership=str(world.partnership_b.code))
    assert ok_b


def test_deleted_middle_row_names_the_event_after_the_gap(world):
    record(world.partnership_a, 3)
    events = chain_of(world.partnership_a)
    victim, after_gap = events[3], events[4]
    triggers.remove(connection)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [victim.pk])
    ok, out, _ = verify(partnership=str(world.partnership_a.code))
    assert not ok
    assert f"BROKEN: chain {world.partnership_a.code}, event #{after_gap.seq} ({after_gap.code}): " in out
    assert f"expected event #{victim.seq} here" in out


def test_rehashed_row_is_caught_by_the_next_event(world):
    """A forger who also recomputes the edited event's hash breaks the link of the next event."""
    from safepact.audit.chain import event_hash

    record(world.partnership_a, 2)
    events = chain_of(world.partnership_a)
    victim, following = events[1], events[2]
    fields = victim.hashed_fields() | {"reason": "forged"}
    triggers.remove(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET reason = %s, hash = %s WHERE id = %s",
            ["forged", event_hash(fields), victim.pk],
        )
    ok, out, _ = verify()
    assert not ok
    assert f"event #{following.seq} ({following.code}): its previous-hash does not match" in out


# --- --file -----------------------------------------------------------------------------------


def export_file(tmp_path, partnership, edit=None):
    events = [e.chain_fields() for e in chain_of(partnership)]
    if edit:
        edit(events)
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"partnership": str(partnership.code), "events": events}), encoding="utf-8")
    return path


def test_file_intact(world, tmp_path):
    ok, out, _ = verify(file=str(export_file(tmp_path, world.partnership_a)))
    assert ok
    assert "OK: every chain is intact." in out


def test_file_edited_is_named(world, tmp_path):
    events = chain_of(world.partnership_a)

    def edit(rows):
        rows[1]["after"] = {"role": "coordinator"}

    ok, out, _ = verify(file=str(export_file(tmp_path, world.partnership_a, edit)))
    assert not ok
    assert f"BROKEN: chain {world.partnership_a.code}, event #2 ({events[1].code})" in out


def test_file_with_a_missing_event(world, tmp_path):
    ok, out, _ = verify(file=str(export_file(tmp_path, world.partnership_a, lambda rows: rows.pop(0))))
    assert not ok
    assert "event #2" in out and "expected event #1 here" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ('{"events": [{"seq": 1}]}', "is not an audit trail export"),
        ("[1, 2]", "export"),
    ],
)
def test_bad_file_is_a_clear_error(tmp_path, content, message, db):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    ok, _out, exc = verify(file=str(path))
    assert not ok
    assert message in str(exc)


def test_missing_file_is_a_clear_error(tmp_path, db):
    ok, _out, exc = verify(file=str(tmp_path / "nope.json"))
    assert not ok
    assert "Cannot read" in str(exc)
