"""Reassessment reminders (email, idempotent per day) and the dashboard's attention items."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from conftest import make_org, make_user
from safepact.audit.models import AuditEvent
from safepact.formation.models import Candidate
from safepact.formation.selectors.diligence import reassessments_due
from safepact.formation.services.diligence import (
    REMINDER_ACTION,
    assessment_answer,
    assessment_complete,
    assessment_decide,
    assessment_reassess,
    assessment_start,
    reminders_send,
)
from safepact.formation.tests.diligence_fixtures import NOW, all_answers, make_candidate, make_diligence
from safepact.lib import clock
from safepact.partnerships.hooks import attention_for
from safepact.partnerships.selectors import active_memberships
from safepact.partnerships.services import partnership_create

TODAY = date(2026, 3, 2)
EVIDENCE = "Secret informant report 4711"


@pytest.fixture
def dd(world):
    return make_diligence(world)


def decided(world, candidate, *, reassess_on=None, overrides=None, actor=None):
    actor = actor or world.coordinator
    with clock.frozen(NOW):
        assessment = assessment_start(actor=actor, candidate=candidate)
        answers = all_answers(**(overrides or {}))
        answers["reputation_media"]["evidence"] = EVIDENCE
        assessment_answer(actor=actor, assessment=assessment, answers=answers)
        assessment_complete(actor=actor, assessment=assessment)
        return assessment_decide(
            actor=actor, assessment=assessment, decision="admit", reason="Fine.", reassess_on=reassess_on
        )


# Reminder emails --------------------------------------------------------------------------------------------


def test_reminder_goes_to_every_coordinator_with_name_date_and_link_only(world, dd):
    decided(world, dd.candidate, reassess_on=TODAY + timedelta(days=10))
    with clock.frozen(NOW):
        sent = reminders_send()
    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.coordinator.email, dd.coordinator2.email])
    message = mail.outbox[0]
    assert "Sofielund Security AB" in message.subject
    assert "Sofielund Security AB" in message.body
    assert "March 12, 2026" in message.body or "12 maart 2026" in message.body
    url = reverse(
        "formation:diligence",
        kwargs={"code": world.partnership_a.code, "candidate_code": dd.candidate.code},
    )
    assert url in message.body
    # nothing of the answers: no evidence, no option texts, no tier or score
    assert EVIDENCE not in message.body
    assert "verified" not in message.body.lower() and "register" not in message.body.lower()
    assert "tier" not in message.body.lower() and "points" not in message.body.lower()
    assert world.member.email not in [m.to[0] for m in mail.outbox]


def test_reminder_is_not_sent_twice_on_one_day(world, dd):
    decided(world, dd.candidate, reassess_on=TODAY + timedelta(days=3))
    with clock.frozen(NOW):
        assert reminders_send() == 2
        assert reminders_send() == 0
        call_command("formation_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(action=REMINDER_ACTION).count() == 1
    event = AuditEvent.objects.get(action=REMINDER_ACTION)
    assert event.after["day"] == "2026-03-02"
    assert event.partnership_code == str(world.partnership_a.code)
    with clock.frozen(NOW + timedelta(days=1)):  # the next day: again
        assert reminders_send() == 2


@pytest.mark.parametrize(("days", "sent"), [(-5, 2), (0, 2), (14, 2), (15, 0), (40, 0)], ids=lambda v: str(v))
def test_reminders_for_reassessments_due_within_14_days_or_overdue(world, dd, days, sent):
    decided(world, dd.candidate, reassess_on=TODAY + timedelta(days=max(days, 1)))
    if days < 1:  # a date that has come or passed: set directly (the service refuses a past date)
        dd.candidate.assessments.update(reassess_on=TODAY + timedelta(days=days))
    with clock.frozen(NOW):
        assert reminders_send() == sent


def test_no_reminder_once_a_reassessment_has_started(world, dd):
    decided(world, dd.candidate, reassess_on=TODAY + timedelta(days=3))
    with clock.frozen(NOW):
        assessment_reassess(actor=world.coordinator, candidate=dd.candidate)
        assert reminders_send() == 0


def test_management_command_sends(world, dd, capsys):
    decided(world, dd.candidate, reassess_on=TODAY + timedelta(days=3))
    with clock.frozen(NOW):
        call_command("formation_reminders")
    assert "Reminders sent: 2" in capsys.readouterr().out
    assert len(mail.outbox) == 2


def test_reminder_in_the_coordinators_language(world, dd):
    dd.coordinator2.language = "nl"
    dd.coordinator2.save()
    decided(world, dd.candidate, reassess_on=TODAY + timedelta(days=3))
    with clock.frozen(NOW):
        reminders_send()
    dutch = next(m for m in mail.outbox if m.to == [dd.coordinator2.email])
    assert "5 maart 2026" in dutch.body


# Dashboard attention ---------------------------------------------------------------------------------------


def items_for(user):
    memberships = list(active_memberships(user).select_related("partner__partnership"))
    return attention_for(user=user, memberships=memberships)


def test_coordinators_see_reassessments_due_within_30_days(world, dd):
    decided(world, dd.candidate, reassess_on=TODAY + timedelta(days=30))
    other = make_candidate(world.partnership_a, world.coordinator, "Far Future AB")
    decided(world, other, reassess_on=TODAY + timedelta(days=31))
    with clock.frozen(NOW):
        items = items_for(world.coordinator)[world.partnership_a.pk]
    texts = [item.text for item in items]
    assert "Reassess Sofielund Security AB (due on April 1, 2026)." in texts
    assert not any("Far Future AB" in text for text in texts)
    url = reverse(
        "formation:diligence", kwargs={"code": world.partnership_a.code, "candidate_code": dd.candidate.code}
    )
    assert items[texts.index("Reassess Sofielund Security AB (due on April 1, 2026).")].url == url


def test_pending_high_risk_admission_is_shown_to_every_coordinator(world, dd):
    decided(world, dd.candidate, overrides={"misconduct_convictions": "yes"})
    with clock.frozen(NOW):
        for user in (world.coordinator, dd.coordinator2):
            texts = [item.text for item in items_for(user).get(world.partnership_a.pk, [])]
            assert "Sofielund Security AB awaits a second coordinator's approval." in texts


@pytest.mark.parametrize("persona", ["member", "viewer", "outsider", "coordinator_b"])
def test_others_see_nothing(world, dd, persona):
    decided(
        world,
        dd.candidate,
        reassess_on=TODAY + timedelta(days=3),
        overrides={"misconduct_convictions": "yes"},
    )
    with clock.frozen(NOW):
        items = reassessments_due(
            user=getattr(world, persona),
            memberships=list(
                active_memberships(getattr(world, persona)).select_related("partner__partnership")
            ),
        )
    assert world.partnership_a.pk not in items


def test_dashboard_shows_the_items(world, dd, client_for):
    decided(world, dd.candidate, reassess_on=TODAY + timedelta(days=3))
    with clock.frozen(NOW):
        response = client_for(world.coordinator).get(reverse("partnerships:dashboard"))
    assert "Reassess Sofielund Security AB (due on March 5, 2026)." in response.content.decode()


def test_attention_uses_a_fixed_number_of_queries(world, dd, django_assert_num_queries):
    def count_for(n_partnerships):
        user = make_user(f"busy{n_partnerships}@polisen.example", "Busy Coordinator")
        organisation = make_org(user, f"Polis {n_partnerships}", "law_enforcement", "SE")
        for n in range(n_partnerships):
            partnership = partnership_create(
                actor=user,
                organisation=organisation,
                name=f"P{n_partnerships}-{n}",
                purpose="x",
                country="SE",
            )
            for m in range(2):
                candidate = Candidate.objects.create(
                    partnership=partnership,
                    organisation=make_org(user, f"C{n_partnerships}-{n}-{m}", "business", "SE"),
                    added_by=user,
                )
                decided(
                    world,
                    candidate,
                    actor=user,
                    reassess_on=TODAY + timedelta(days=5),
                    overrides={"misconduct_convictions": "yes"} if m else None,
                )
        memberships = list(active_memberships(user).select_related("partner__partnership"))
        return user, memberships

    small_user, small = count_for(1)
    large_user, large = count_for(4)
    with clock.frozen(NOW), django_assert_num_queries(1):
        few = reassessments_due(user=small_user, memberships=small)
    with clock.frozen(NOW), django_assert_num_queries(1):
        many = reassessments_due(user=large_user, memberships=large)
    assert sum(len(v) for v in few.values()) == 3
    assert sum(len(v) for v in many.values()) == 12


def test_a_second_coordinators_membership_is_needed(world, dd):
    """The fixture's second coordinator really is a coordinator of A (guards the four-eyes tests)."""
    membership = active_memberships(dd.coordinator2).get()
    assert membership.role == "coordinator"
