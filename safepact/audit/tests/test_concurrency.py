"""Two writers on one chain at the same time: the chain stays a single line (no fork, no gap)."""

import threading

import pytest
from django.db import connection, transaction

from safepact.audit.chain import verify
from safepact.audit.models import AuditEvent
from safepact.audit.services import audit_record

PER_THREAD = 20


@pytest.mark.django_db(transaction=True)
def test_two_threads_append_to_one_chain_without_forking(world):
    partnership = world.partnership_a
    before = AuditEvent.objects.filter(chain=str(partnership.code)).count()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            start.wait(timeout=10)
            for i in range(PER_THREAD):
                with transaction.atomic():
                    audit_record(
                        action="test.concurrent.written",
                        partnership=partnership,
                        actor_label=name,
                        reason=str(i),
                    )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(f"writer-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    events = list(AuditEvent.objects.filter(chain=str(partnership.code)).order_by("seq"))
    assert len(events) == before + 2 * PER_THREAD
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len({e.prev_hash for e in events}) == len(events)  # no two events claim the same predecessor
    assert verify([e.chain_fields() for e in events]) == []
    for name in ("writer-1", "writer-2"):
        assert [e.reason for e in events if e.actor_label == name] == [str(i) for i in range(PER_THREAD)]
