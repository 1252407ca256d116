def test_world_builds_and_chain_is_intact(world):
    from safepact.audit.chain import verify
    from safepact.audit.models import AuditEvent

    events = [e.chain_fields() for e in AuditEvent.objects.all()]
    assert len(events) > 10
    assert verify(events) == []


def test_audit_record_changes_keeps_only_what_changed_and_skips_no_change(world):
    from django.db import transaction

    from safepact.audit.models import AuditEvent
    from safepact.audit.services import audit_record_changes

    count = AuditEvent.objects.count()
    with transaction.atomic():
        assert (
            audit_record_changes(
                actor=world.coordinator, action="test.thing.updated", before={"a": 1}, after={"a": 1}
            )
            is None
        )
        event = audit_record_changes(
            actor=world.coordinator,
            action="test.thing.updated",
            partnership=world.partnership_a,
            before={"a": 1, "b": "x"},
            after={"a": 2, "b": "x"},
        )
    assert AuditEvent.objects.count() == count + 1
    assert (event.before, event.after) == ({"a": 1}, {"a": 2})
