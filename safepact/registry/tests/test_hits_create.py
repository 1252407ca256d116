"""Hits: recorded once per alert and check, audited, the owning unit told at once (the reference, who checked
and the context, nothing of the alert); decided by the owning unit, the checking person told the outcome."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry import selectors, services
from safepact.registry.models import Hit, HitStatus
from safepact.registry.tests.alerts_factories import (
    HIN_2,
    NOW,
    assert_no_secrets,
    boat_alert,
    logged_check,
    notified,
    recipients,
)

pytestmark = pytest.mark.django_db

POLICE_UNIT = ["coordinator@polisen.example", "officer@polisen.example"]


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def alert(reg):
    return boat_alert(reg)


def hit_on(reg, alert, *, check=None, user=None, kind="live", item=HIN_2, **extra):
    """What CHECKS does when a check matches: log the check, then ``hit_create``."""
    check = check or logged_check(reg, item=item, user=user or reg.marina)
    identifier = alert.identifiers.get(key=check.key)
    return services.hit_create(
        partnership_id=reg.partnership.pk,
        alert_id=alert.pk,
        identifier_id=identifier.pk,
        key=check.key,
        checked_value="nl-xyz98765e505",
        user_id=check.user_id,
        organisation_id=check.organisation_id,
        context=check.context,
        checked_at=check.checked_at,
        check_id=check.pk,
        kind=kind,
        **extra,
    )


# Creating ------------------------------------------------------------------------------------------


def test_a_hit_is_recorded_with_who_checked_what_and_when(reg, alert):
    check = logged_check(reg)
    hit = hit_on(reg, alert, check=check)
    hit = Hit.objects.get(pk=hit.pk)
    assert (hit.alert, hit.kind, hit.status, hit.check_ref) == (alert, "live", HitStatus.OPEN, check.pk)
    assert (hit.checked_by, hit.checked_by_organisation.name) == (reg.marina, "Limhamn Marina")
    assert (hit.key, hit.checked_value, hit.context) == (
        "hin:NLXYZ98765E505",
        "nl-xyz98765e505",
        "offered_for_sale",
    )
    assert hit.identifier.key == "hin:NLXYZ98765E505"
    assert hit.checked_at == check.checked_at
    assert hit.created_at == NOW
    assert hit.escalated_at is None


def test_the_owning_unit_is_told_at_once_without_details(reg, alert):
    hit = hit_on(reg, alert)
    assert recipients("registry.hit") == POLICE_UNIT  # not customs, not the partners
    for notification in notified("registry.hit"):
        assert notification.title == f"Hit on {alert.reference}"
        assert notification.body == "Checked by Limhamn Marina (Offered for sale)."
        assert notification.url == reverse(
            "registry:hit", kwargs={"code": reg.partnership.code, "hit": hit.code}
        )
        assert notification.partnership == reg.partnership
    assert_no_secrets(notified())


def test_the_hit_is_audited(reg, alert):
    hit = hit_on(reg, alert)
    event = AuditEvent.objects.get(action="registry.hit.created")
    assert event.actor_code == str(reg.marina.code)
    assert event.target_code == str(hit.code)
    # References only: no key, value, checking organisation or context (the trail is read by coordinators
    # outside law enforcement); the person who checked is the actor of their own live hit.
    assert event.after == {"kind": "live", "reference": alert.reference, "status": "open"}
    assert event.target_label == f"Hit {alert.reference}"


def test_a_late_hit_says_so(reg, alert):
    hit_on(reg, alert, kind="late")
    assert {n.title for n in notified("registry.hit")} == {f"Late hit on {alert.reference}"}


def test_one_hit_per_alert_and_check(reg, alert):
    check = logged_check(reg)
    first = hit_on(reg, alert, check=check)
    again = hit_on(reg, alert, check=check)
    assert again.pk == first.pk
    assert Hit.objects.count() == 1
    assert len(notified("registry.hit")) == 2  # the first call's two notifications only
    assert AuditEvent.objects.filter(action="registry.hit.created").count() == 1


def test_members_of_the_unit_who_left_are_not_told(reg, alert):
    from safepact.partnerships.models import Membership

    Membership.objects.filter(pk=reg.m_officer.pk).update(status="suspended")
    hit_on(reg, alert)
    assert recipients("registry.hit") == ["coordinator@polisen.example"]


def test_the_hot_path_stays_cheap(reg, alert, django_assert_max_num_queries):
    """Read the alert, the checker and their organisation; write the hit, its audit event and the two
    notifications (plus the savepoints of the nested transactions; on PostgreSQL also the audit chain's
    advisory lock)."""
    from django.db import connection

    check = logged_check(reg)
    identifier = alert.identifiers.get(key=check.key)
    with django_assert_max_num_queries(16 if connection.vendor == "postgresql" else 15):
        services.hit_create(
            partnership_id=reg.partnership.pk,
            alert_id=alert.pk,
            identifier_id=identifier.pk,
            key=check.key,
            checked_value="",
            user_id=check.user_id,
            organisation_id=check.organisation_id,
            context=check.context,
            checked_at=check.checked_at,
            check_id=check.pk,
        )


# Deciding ------------------------------------------------------------------------------------------


@pytest.fixture
def hit(reg, alert):
    return hit_on(reg, alert)


@pytest.mark.parametrize("persona", ["police", "officer"])
def test_the_owning_unit_confirms_and_the_checker_is_told(reg, hit, persona):
    decided = services.hit_decide(
        user=getattr(reg, persona), hit=hit, status="confirmed", note="Unit on its way."
    )
    hit.refresh_from_db()
    assert (hit.status, hit.decided_by, hit.decided_at, hit.note) == (
        HitStatus.CONFIRMED,
        getattr(reg, persona),
        NOW,
        "Unit on its way.",
    )
    assert decided.status == HitStatus.CONFIRMED
    [told] = notified("registry.hit.decided")
    assert told.recipient == reg.marina
    assert told.title == "Your check: confirmed — the police will contact you"
    assert told.url == reverse("registry:checks", kwargs={"code": reg.partnership.code})
    assert told.body == ""
    assert_no_secrets([told])
    event = AuditEvent.objects.get(action="registry.hit.decided")
    assert (event.before, event.after["status"]) == ({"status": "open"}, "confirmed")


def test_rejected(reg, hit):
    services.hit_decide(user=reg.police, hit=hit, status="rejected")
    [told] = notified("registry.hit.decided")
    assert told.title == "Your check: not confirmed"
    hit.refresh_from_db()
    assert selectors.checker_outcome(hit) == "Not confirmed: no further action needed."


def test_what_the_checker_is_told_at_each_stage(reg, hit):
    assert selectors.checker_outcome(hit) == "Hit: follow the action; the police unit has been told."
    services.hit_decide(user=reg.police, hit=hit, status="confirmed")
    hit.refresh_from_db()
    assert selectors.checker_outcome(hit) == "Confirmed: the police will contact you."


def test_only_open_hits_are_decided(reg, hit):
    services.hit_decide(user=reg.police, hit=hit, status="confirmed")
    with pytest.raises(ValidationError) as excinfo:
        services.hit_decide(user=reg.officer, hit=hit, status="rejected")
    assert set(excinfo.value.message_dict) == {"status"}
    hit.refresh_from_db()
    assert hit.status == HitStatus.CONFIRMED
    assert len(notified("registry.hit.decided")) == 1


@pytest.mark.parametrize("status", ["open", "maybe", ""])
def test_confirmed_or_rejected_only(reg, hit, status):
    with pytest.raises(ValidationError) as excinfo:
        services.hit_decide(user=reg.police, hit=hit, status=status)
    assert set(excinfo.value.message_dict) == {"status"}


def test_a_note_too_long(reg, hit):
    with pytest.raises(ValidationError) as excinfo:
        services.hit_decide(user=reg.police, hit=hit, status="confirmed", note="x" * 2001)
    assert set(excinfo.value.message_dict) == {"note"}


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("customs", PermissionDenied),
        ("marina", PermissionDenied),
        ("city", PermissionDenied),
        ("viewer", PermissionDenied),
        ("outsider", Http404),
        ("coordinator_b", Http404),
    ],
)
def test_others_may_not_decide(reg, hit, persona, error):
    with pytest.raises(error):
        services.hit_decide(user=getattr(reg, persona), hit=hit, status="confirmed")
    hit.refresh_from_db()
    assert hit.status == HitStatus.OPEN


# Reading -------------------------------------------------------------------------------------------


def test_law_enforcement_sees_every_hit_newest_first(reg, alert):
    from datetime import timedelta

    first = hit_on(reg, alert)
    clock.advance(timedelta(minutes=5))
    second = hit_on(reg, alert, user=reg.city)
    for user in (reg.police, reg.officer, reg.customs):
        assert list(selectors.hit_list(user=user, partnership=reg.partnership)) == [second, first]
    services.hit_decide(user=reg.police, hit=first, status="rejected")
    assert list(selectors.hit_list(user=reg.customs, partnership=reg.partnership, status="open")) == [second]
    assert selectors.get_hit(user=reg.customs, partnership=reg.partnership, code=first.code) == first


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("marina", PermissionDenied),
        ("city", PermissionDenied),
        ("viewer", PermissionDenied),
        ("outsider", Http404),
        ("coordinator_b", Http404),
    ],
)
def test_partners_and_outsiders_do_not_read_hits(reg, hit, persona, error):
    with pytest.raises(error):
        selectors.hit_list(user=getattr(reg, persona), partnership=reg.partnership)
    with pytest.raises(error):
        selectors.get_hit(user=getattr(reg, persona), partnership=reg.partnership, code=hit.code)


@pytest.mark.parametrize("code", ["x", "00000000-0000-0000-0000-000000000000"])
def test_get_hit_unknown(reg, hit, code):
    with pytest.raises(Http404):
        selectors.get_hit(user=reg.police, partnership=reg.partnership, code=code)


@pytest.mark.parametrize("count", [2, 10])
def test_the_hit_list_takes_the_same_queries_for_few_or_many(
    reg, alert, count, django_assert_max_num_queries
):
    for n in range(count):
        hit_on(reg, alert, user=reg.city if n % 2 else reg.marina)
    with django_assert_max_num_queries(2):
        rows = list(selectors.hit_list(user=reg.officer, partnership=reg.partnership))
        for h in rows:
            assert h.alert.reference and h.alert.owner.organisation.name and h.checked_by.full_name
            assert h.checked_by_organisation.name and h.identifier.kind
    assert len(rows) == count


def test_get_hit_in_few_queries(reg, hit, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        found = selectors.get_hit(user=reg.officer, partnership=reg.partnership, code=hit.code)
        assert (found.alert.reference, found.checked_by_organisation.name, found.decided_by) == (
            hit.alert.reference,
            "Limhamn Marina",
            None,
        )
