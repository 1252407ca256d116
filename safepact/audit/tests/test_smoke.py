def test_world_builds_and_chain_is_intact(world):
    from safepact.audit.chain import verify
    from safepact.audit.models import AuditEvent

    events = [e.chain_fields() for e in AuditEvent.objects.all()]
    assert len(events) > 10
    assert verify(events) == []
