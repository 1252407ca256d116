"""Writing the audit trail. ``audit_record`` must be called inside the caller's transaction."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from safepact.audit.chain import GENESIS, event_hash
from safepact.audit.context import current_ip
from safepact.audit.models import AuditEvent
from safepact.lib import clock

PLATFORM_CHAIN = "platform"


def _plain(value: Any) -> Any:
    """Round-trip through JSON so what we hash is exactly what the database returns."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _lock_chain(chain: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"safepact-audit:{chain}"])
    # SQLite: transactions start IMMEDIATE (settings), so writers are already serialised.


def audit_record(
    *,
    actor=None,
    action: str,
    target=None,
    partnership=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    ip: str | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to the trail of ``partnership`` (or the platform trail)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    partnership_code = str(partnership.code) if partnership is not None else ""
    chain = partnership_code or PLATFORM_CHAIN
    _lock_chain(chain)
    last = AuditEvent.objects.filter(chain=chain).order_by("-seq").values("seq", "hash").first()
    seq, prev_hash = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        chain=chain,
        seq=seq,
        occurred_at=clock.now(),
        actor_code=str(actor.code) if authenticated else "",
        actor_label=(actor.email if authenticated else actor_label)[:254],
        action=action,
        partnership_code=partnership_code,
        target_type=target._meta.label_lower if target is not None else "",
        target_code=str(getattr(target, "code", getattr(target, "pk", ""))) if target is not None else "",
        target_label=str(target)[:300] if target is not None else "",
        before=_plain(before),
        after=_plain(after),
        reason=reason,
        ip=(current_ip.get() if ip is None else ip)[:45],
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event.hashed_fields())
    event.save(force_insert=True)
    return event


@transaction.atomic
def audit_record_export(*, actor, partnership, fmt: str, count: int) -> None:
    audit_record(
        actor=actor,
        action="audit.trail.exported",
        partnership=partnership,
        after={"format": fmt, "events": count},
    )


def audit_record_changes(*, before: dict, after: dict, **event) -> AuditEvent | None:
    """Record an update with only the fields that changed (old and new values); nothing if none did.

    ``before`` and ``after`` are snapshots with the same keys; ``event`` is passed on to ``audit_record``.
    """
    changed = [key for key in after if before.get(key) != after[key]]
    if not changed:
        return None
    return audit_record(
        before={key: before.get(key) for key in changed}, after={key: after[key] for key in changed}, **event
    )
