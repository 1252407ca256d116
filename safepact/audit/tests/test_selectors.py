"""Audit selectors: the role re-check, readable actions and the compact diff."""

import pytest
from django.core.exceptions import PermissionDenied

from safepact.audit import selectors
from safepact.partnerships.selectors import get_partnership_for_user


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_selectors_refuse_non_coordinators(world, persona):
    user = getattr(world, persona)
    partnership = get_partnership_for_user(user, world.partnership_a.code)
    for selector in (selectors.audit_event_list, selectors.audit_action_prefixes, selectors.audit_chain_head):
        with pytest.raises(PermissionDenied):
            selector(user=user, partnership=partnership)
    with pytest.raises(PermissionDenied):
        selectors.audit_export_events(user=user, partnership=partnership, through_seq=10)


def test_selectors_refuse_a_partnership_opened_by_someone_else(world):
    opened_by_coordinator = get_partnership_for_user(world.coordinator, world.partnership_a.code, manage=True)
    with pytest.raises(PermissionDenied):
        selectors.audit_event_list(user=world.outsider, partnership=opened_by_coordinator)


def test_coordinator_reads_only_their_own_chain(world):
    partnership = get_partnership_for_user(world.coordinator, world.partnership_a.code, manage=True)
    events = selectors.audit_event_list(user=world.coordinator, partnership=partnership)
    assert {e.chain for e in events} == {str(world.partnership_a.code)}
    assert [e.seq for e in events] == sorted((e.seq for e in events), reverse=True)


def test_action_labels(monkeypatch):
    monkeypatch.setattr(selectors, "ACTION_LABELS", dict(selectors.ACTION_LABELS))
    assert selectors.action_label("partnerships.member.role_changed") == "Member role changed"
    assert selectors.action_label("meetings.action_item.closed") == "Meetings · action item · closed"
    selectors.register_action_labels({"meetings.action_item.closed": "Action item closed"})
    assert selectors.action_label("meetings.action_item.closed") == "Action item closed"


def test_changes_compact_diff():
    assert selectors.changes({"role": "viewer", "same": 1}, {"role": "member", "same": 1}) == [
        {"field": "role", "before": "viewer", "after": "member"}
    ]
    assert selectors.changes(None, {"email": "a@b.example"}) == [
        {"field": "email", "before": None, "after": "a@b.example"}
    ]
    assert selectors.changes({"gone": [1, 2]}, {}) == [{"field": "gone", "before": "[1, 2]", "after": None}]
    assert selectors.changes(None, None) == []
    long = selectors.changes(None, {"text": "x" * 500})[0]["after"]
    assert len(long) == 120 and long.endswith("…")
    assert selectors.changes("plain", "other") == [{"field": "", "before": "plain", "after": "other"}]
