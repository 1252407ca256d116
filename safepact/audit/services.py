"""Writing the audit trail. ``audit_record`` must be called inside the caller's transaction."""

import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from safepact.audit.chain import GENESIS, event_hash
from safepact.audit.context import current_ip
from safepact.audit.models import AuditEvent
from safepact.lib import clock

PLATFORM_CHAIN = "platform"

#: How the trail labels a target of a model (``app_label.model`` → function of the object), where
#: ``str(target)`` would say more than every reader of the chain may read (a registry identifier's value,
#: the name of a file someone uploaded). Apps add theirs with ``register_target_labels`` (AppConfig.ready).
TARGET_LABELS: dict[str, Callable[[Any], str]] = {}


def register_target_labels(labels: dict[str, Callable[[Any], str]]) -> None:
    TARGET_LABELS.update(labels)


def target_label_of(target) -> str:
    """The label an event about ``target`` carries when its caller gives none: the model's registered
    label function, else ``str(target)``."""
    if target is None:
        return ""
    label = TARGET_LABELS.get(target._meta.label_lower, str)
    return str(label(target))


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


def _event(
    *,
    chain: str,
    seq: int,
    prev_hash: str,
    partnership_code: str,
    occurred_at,
    actor=None,
    action: str,
    target=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    ip: str | None = None,
    actor_label: str = "",
    target_label: str | None = None,
) -> AuditEvent:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        chain=chain,
        seq=seq,
        occurred_at=occurred_at,
        actor_code=str(actor.code) if authenticated else "",
        actor_label=(actor.email if authenticated else actor_label)[:254],
        action=action,
        partnership_code=partnership_code,
        target_type=target._meta.label_lower if target is not None else "",
        target_code=str(getattr(target, "code", getattr(target, "pk", ""))) if target is not None else "",
        target_label=(target_label_of(target) if target_label is None else target_label)[:300],
        before=_plain(before),
        after=_plain(after),
        reason=reason,
        ip=(current_ip.get() if ip is None else ip)[:45],
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event.hashed_fields())
    return event


def _head(chain: str) -> tuple[int, str]:
    """The next sequence number of ``chain`` and the hash it follows (the chain locked first)."""
    _lock_chain(chain)
    last = AuditEvent.objects.filter(chain=chain).order_by("-seq").values("seq", "hash").first()
    return (last["seq"] + 1, last["hash"]) if last else (1, GENESIS)


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
    target_label: str | None = None,
) -> AuditEvent:
    """Append one event to the trail of ``partnership`` (or the platform trail).

    ``target_label`` names the target in the trail; without it the label is ``target_label_of(target)``
    (a registered label function of the target's model, else ``str(target)``)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    partnership_code = str(partnership.code) if partnership is not None else ""
    chain = partnership_code or PLATFORM_CHAIN
    seq, prev_hash = _head(chain)
    event = _event(
        chain=chain,
        seq=seq,
        prev_hash=prev_hash,
        partnership_code=partnership_code,
        occurred_at=clock.now(),
        actor=actor,
        action=action,
        target=target,
        before=before,
        after=after,
        reason=reason,
        ip=ip,
        actor_label=actor_label,
        target_label=target_label,
    )
    event.save(force_insert=True)
    return event


def audit_record_many(events: list[dict]) -> list[AuditEvent]:
    """Append several events at once, each given as the keyword arguments of ``audit_record``, in order:
    the same events and chain as calling ``audit_record`` for each in turn (one time for all), but each
    chain's head is read once and the events are written with one ``bulk_create`` (``audit_record`` costs
    about a millisecond in ORM overhead; a batch check with a thousand hits needs one event per hit).
    Call it inside the transaction of the change."""
    if not events:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record_many must run inside the transaction of the change it records")
    now = clock.now()
    heads: dict[str, tuple[int, str]] = {}
    created = []
    for fields in events:
        fields = dict(fields)
        partnership = fields.pop("partnership", None)
        partnership_code = str(partnership.code) if partnership is not None else ""
        chain = partnership_code or PLATFORM_CHAIN
        if chain not in heads:
            heads[chain] = _head(chain)
        seq, prev_hash = heads[chain]
        event = _event(
            chain=chain,
            seq=seq,
            prev_hash=prev_hash,
            partnership_code=partnership_code,
            occurred_at=now,
            **fields,
        )
        heads[chain] = (seq + 1, event.hash)
        created.append(event)
    return AuditEvent.objects.bulk_create(created)


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
