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


def test_the_target_label_is_given_registered_or_str(world, monkeypatch):
    """An event names its target by ``target_label`` when given, else by the label function registered for
    the target's model (``register_target_labels``), else by ``str(target)``; many events the same way."""
    from django.db import transaction

    from safepact.audit import services
    from safepact.audit.chain import verify
    from safepact.audit.models import AuditEvent

    monkeypatch.setattr(services, "TARGET_LABELS", {})
    partnership = world.partnership_a
    event = {"actor": world.coordinator, "action": "test.thing.done", "partnership": partnership}
    with transaction.atomic():
        plain = services.audit_record(target=partnership, **event)
        given = services.audit_record(target=partnership, target_label="Partnership A", **event)
        services.register_target_labels({"partnerships.partnership": lambda p: f"partnership #{p.pk}"})
        registered = services.audit_record(target=partnership, **event)
        many = services.audit_record_many(
            [{"target": partnership, **event}, {"target": partnership, "target_label": "", **event}]
        )
        untargeted = services.audit_record(target_label="the platform", **event)
    assert plain.target_label == str(partnership)
    assert given.target_label == "Partnership A"
    assert registered.target_label == f"partnership #{partnership.pk}"
    assert [e.target_label for e in many] == [f"partnership #{partnership.pk}", ""]
    assert (untargeted.target_type, untargeted.target_label) == ("", "the platform")
    assert verify([e.chain_fields() for e in AuditEvent.objects.filter(chain=str(partnership.code))]) == []
