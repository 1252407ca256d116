"""The CLAIMED step states: every rule, each state, the not-applicable override, and the query count.

Rows are created directly with the ORM: the journey is derived from whatever the other features store.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from conftest import make_user
from safepact.audit.models import AuditEvent
from safepact.formation.models import (
    Candidate,
    ClaimedStepDecision,
    Commitment,
    DueDiligenceAssessment,
    FormationSettings,
    Objective,
    PartnerMotivation,
)
from safepact.formation.selectors.claimed import claimed_journey, claimed_journeys
from safepact.formation.services.claimed import claimed_step_reopen, claimed_step_set_not_applicable
from safepact.formation.tests.claimed_problem_support import (
    active_partner,
    candidate,
    figure,
    fresh_partnership,
    seated_body,
    share,
    statement,
    task,
)
from safepact.partnerships.models import Partner, PartnerStatus

pytestmark = pytest.mark.django_db


def state_of(world, partnership, step):
    steps = {s.step: s for s in claimed_journey(user=world.coordinator, partnership=partnership)}
    return steps[step]


@pytest.fixture
def fresh(world):
    return fresh_partnership(world)


@pytest.fixture
def police(fresh):
    return Partner.objects.get(partnership=fresh)


# Order and shape ---------------------------------------------------------------------------------


def test_seven_steps_in_order_all_open_for_an_empty_partnership(world, fresh):
    steps = claimed_journey(user=world.coordinator, partnership=fresh)
    assert [s.step for s in steps] == [
        "clarify",
        "locate",
        "alert",
        "inform",
        "motivate",
        "empower",
        "direct",
    ]
    assert [s.letter for s in steps] == list("CLAIMED")
    assert {s.state for s in steps} == {"open"}
    assert all(s.open_items and s.evidence and s.link_url and s.rule for s in steps)


def test_outsider_gets_no_journey(world, fresh):
    assert claimed_journey(user=world.outsider, partnership=fresh) == []


# Clarify -----------------------------------------------------------------------------------------


def test_clarify_open(world, fresh):
    assert state_of(world, fresh, "clarify").state == "open"


def test_clarify_in_progress_with_a_body_only(world, fresh, police):
    seated_body(fresh, police)
    step = state_of(world, fresh, "clarify")
    assert step.state == "in_progress"
    assert any("Responsible" in item for item in step.open_items)


def test_clarify_in_progress_with_a_task_only(world, fresh, police):
    task(fresh, police, "R")
    assert state_of(world, fresh, "clarify").state == "in_progress"


def test_clarify_in_progress_when_the_task_has_no_responsible_partner(world, fresh, police):
    seated_body(fresh, police)
    task(fresh, police, "A")
    assert state_of(world, fresh, "clarify").state == "in_progress"


def test_clarify_done_with_a_seated_body_and_a_responsible_partner(world, fresh, police):
    seated_body(fresh, police)
    task(fresh, police, "R")
    step = state_of(world, fresh, "clarify")
    assert step.state == "done"
    assert step.open_items == []
    assert "1 body in the structure, 1 of them with a seat." in step.evidence


# Locate ------------------------------------------------------------------------------------------


def test_locate_open_without_candidates_and_few_partners(world, fresh):
    assert state_of(world, fresh, "locate").state == "open"


def test_locate_in_progress_with_a_candidate(world, fresh):
    candidate(world, fresh)
    assert state_of(world, fresh, "locate").state == "in_progress"


def _assessment(world, cand, **fields):
    return DueDiligenceAssessment.objects.create(
        candidate=cand, bank_version="1", assessed_by=world.coordinator, **fields
    )


def test_locate_in_progress_while_due_diligence_is_pending(world, fresh):
    _assessment(world, candidate(world, fresh), tier="low", decision="pending")
    assert state_of(world, fresh, "locate").state == "in_progress"


@pytest.mark.parametrize("decision", ["admit", "reject"])
def test_locate_done_with_a_completed_decision(world, fresh, decision):
    _assessment(
        world, candidate(world, fresh), tier="medium", decision=decision, decided_by=world.coordinator
    )
    assert state_of(world, fresh, "locate").state == "done"


def test_locate_high_risk_admission_counts_only_once_approved(world, fresh):
    a = _assessment(
        world, candidate(world, fresh), tier="high", decision="admit", decided_by=world.coordinator
    )
    assert state_of(world, fresh, "locate").state == "in_progress"
    a.approved_by = make_user("second@polisen.example")
    a.save()
    assert state_of(world, fresh, "locate").state == "done"


def test_locate_done_with_three_active_partners(world, fresh):
    active_partner(world, fresh, "Two AB")
    assert state_of(world, fresh, "locate").state == "open"
    third = active_partner(world, fresh, "Three AB")
    assert state_of(world, fresh, "locate").state == "done"
    third.status = PartnerStatus.SUSPENDED
    third.save()
    assert state_of(world, fresh, "locate").state == "open"


# Alert -------------------------------------------------------------------------------------------


def test_alert_open(world, fresh):
    candidate(world, fresh)
    assert state_of(world, fresh, "alert").state == "open"


def test_alert_in_progress_with_a_problem_statement_but_nothing_sent(world, fresh):
    statement(world, fresh)
    assert state_of(world, fresh, "alert").state == "in_progress"


def test_alert_done_when_a_briefing_was_sent(world, fresh):
    share(world, candidate(world, fresh))
    step = state_of(world, fresh, "alert")
    assert step.state == "done"
    assert "1 candidate was sent a briefing." in step.evidence


@pytest.mark.parametrize("stage", ["invited", "joined"])
def test_alert_done_when_a_candidate_was_invited_or_joined(world, fresh, stage):
    candidate(world, fresh, stage=stage)
    assert state_of(world, fresh, "alert").state == "done"


def test_alert_not_done_by_a_declined_candidate(world, fresh):
    candidate(world, fresh, stage="declined")
    assert state_of(world, fresh, "alert").state == "open"


# Inform ------------------------------------------------------------------------------------------


def test_inform_open_without_statement_or_with_an_empty_one(world, fresh):
    assert state_of(world, fresh, "inform").state == "open"
    statement(world, fresh)
    assert state_of(world, fresh, "inform").state == "open"


def test_inform_in_progress_with_the_nature_only(world, fresh):
    statement(world, fresh, nature="Bicycles stolen at the station.")
    step = state_of(world, fresh, "inform")
    assert step.state == "in_progress"
    assert "Describe the causes of the problem." in step.open_items


def test_inform_in_progress_with_a_figure_only(world, fresh):
    figure(statement(world, fresh))
    assert state_of(world, fresh, "inform").state == "in_progress"


def test_inform_in_progress_without_figures(world, fresh):
    statement(world, fresh, nature="Thefts.", causes="Weak locks.")
    assert state_of(world, fresh, "inform").state == "in_progress"


def test_inform_done_with_nature_causes_and_a_figure(world, fresh):
    figure(statement(world, fresh, nature="Thefts.", causes="Weak locks."))
    step = state_of(world, fresh, "inform")
    assert step.state == "done"
    assert step.open_items == []


def test_inform_counts_figures_of_a_restricted_statement_without_showing_them(world, fresh):
    s = statement(world, fresh, tlp="red", nature="Secret", causes="Secret", people=[world.coordinator])
    figure(s, label="Classified count")
    step = state_of(world, fresh, "inform")
    assert step.state == "done"
    assert not any("Secret" in e or "Classified" in e for e in step.evidence)


# Motivate ----------------------------------------------------------------------------------------


def test_motivate_open_with_no_or_empty_motives(world, fresh, police):
    assert state_of(world, fresh, "motivate").state == "open"
    PartnerMotivation.objects.create(partner=police)
    assert state_of(world, fresh, "motivate").state == "open"


def test_motivate_in_progress_when_some_partners_stated_motives(world, fresh, police):
    active_partner(world, fresh)
    PartnerMotivation.objects.create(partner=police, societal="Safer station area.")
    step = state_of(world, fresh, "motivate")
    assert step.state == "in_progress"
    assert "1 active partner has not stated a motive or an expected benefit yet." in step.open_items


def test_motivate_done_when_every_active_partner_has_a_motive_or_benefit(world, fresh, police):
    second = active_partner(world, fresh)
    suspended = active_partner(world, fresh, "Suspended AB")
    suspended.status = PartnerStatus.SUSPENDED
    suspended.save()
    PartnerMotivation.objects.create(partner=police, economic="Less work.")
    PartnerMotivation.objects.create(partner=second, benefits=["subsidy"])
    assert state_of(world, fresh, "motivate").state == "done"


# Empower -----------------------------------------------------------------------------------------


def test_empower_open_when_no_seat_has_hours(world, fresh, police):
    seated_body(fresh, police, hours=0)
    assert state_of(world, fresh, "empower").state == "open"


def test_empower_in_progress_when_some_partners_have_time(world, fresh, police):
    active_partner(world, fresh)
    seated_body(fresh, police, hours=4)
    assert state_of(world, fresh, "empower").state == "in_progress"


def test_empower_done_when_every_active_partner_has_time(world, fresh, police):
    second = active_partner(world, fresh)
    body = seated_body(fresh, police, hours=4)
    from safepact.formation.models import Seat

    Seat.objects.create(body=body, partner=second, role_title="Member", hours_per_month=1.5)
    assert state_of(world, fresh, "empower").state == "done"


# Direct ------------------------------------------------------------------------------------------


def _objective(partnership, status="active", indicator="Thefts per month", commit=None, title="Fewer thefts"):
    o = Objective.objects.create(partnership=partnership, title=title, indicator=indicator, status=status)
    if commit is not None:
        Commitment.objects.create(objective=o, partner=commit)
    return o


def test_direct_open_without_objectives(world, fresh):
    assert state_of(world, fresh, "direct").state == "open"


def test_direct_in_progress_with_an_objective_nobody_commits_to(world, fresh):
    _objective(fresh)
    step = state_of(world, fresh, "direct")
    assert step.state == "in_progress"
    assert "1 active objective has no commitment from a partner." in step.open_items


def test_direct_in_progress_with_only_a_dropped_objective(world, fresh, police):
    _objective(fresh, status="dropped", commit=police)
    assert state_of(world, fresh, "direct").state == "in_progress"


def test_direct_done_with_a_committed_objective_with_an_indicator(world, fresh, police):
    _objective(fresh, commit=police)
    _objective(fresh, status="achieved", title="Old one")  # not active: needs no commitment
    assert state_of(world, fresh, "direct").state == "done"


def test_direct_in_progress_without_an_indicator(world, fresh, police):
    _objective(fresh, indicator="", commit=police)
    assert state_of(world, fresh, "direct").state == "in_progress"


def test_direct_in_progress_above_the_focus_limit(world, fresh, police):
    for i in range(6):
        _objective(fresh, commit=police, title=f"Objective {i}")
    step = state_of(world, fresh, "direct")
    assert step.state == "in_progress"  # default focus limit: 5
    assert "There are 6 active objectives, more than the focus limit of 5." in step.open_items
    FormationSettings.objects.create(partnership=fresh, focus_limit=6)
    assert state_of(world, fresh, "direct").state == "done"
    FormationSettings.objects.filter(partnership=fresh).update(focus_limit=2)
    assert state_of(world, fresh, "direct").state == "in_progress"


# Not applicable ----------------------------------------------------------------------------------


def test_not_applicable_overrides_the_derived_state_and_reopen_restores_it(world, fresh, police):
    seated_body(fresh, police)
    decision = claimed_step_set_not_applicable(
        actor=world.coordinator, partnership=fresh, step="clarify", reason="The city council sets the roles."
    )
    step = state_of(world, fresh, "clarify")
    assert step.state == "not_applicable"
    assert step.derived_state == "in_progress"
    assert step.open_items == []
    assert step.decision.reason == "The city council sets the roles."
    event = AuditEvent.objects.get(action="formation.claimed_step.not_applicable")
    assert event.partnership_code == str(fresh.code)
    assert event.reason == "The city council sets the roles."
    assert event.target_code == str(decision.pk)

    claimed_step_reopen(actor=world.coordinator, partnership=fresh, step="clarify", reason="Roles changed")
    assert state_of(world, fresh, "clarify").state == "in_progress"
    assert not ClaimedStepDecision.objects.filter(partnership=fresh).exists()
    reopened = AuditEvent.objects.get(action="formation.claimed_step.reopened")
    assert reopened.before["reason"] == "The city council sets the roles."


def test_not_applicable_again_changes_the_reason(world, fresh):
    claimed_step_set_not_applicable(actor=world.coordinator, partnership=fresh, step="alert", reason="First")
    claimed_step_set_not_applicable(actor=world.coordinator, partnership=fresh, step="alert", reason="Second")
    assert ClaimedStepDecision.objects.get(partnership=fresh, step="alert").reason == "Second"
    assert AuditEvent.objects.filter(action="formation.claimed_step.not_applicable").count() == 2


@pytest.mark.parametrize("reason", ["", "   "])
def test_not_applicable_needs_a_reason(world, fresh, reason):
    with pytest.raises(ValidationError) as exc:
        claimed_step_set_not_applicable(
            actor=world.coordinator, partnership=fresh, step="alert", reason=reason
        )
    assert "reason" in exc.value.error_dict
    assert not ClaimedStepDecision.objects.exists()


def test_unknown_step_and_reopening_an_applicable_step_are_refused(world, fresh):
    with pytest.raises(ValidationError) as exc:
        claimed_step_set_not_applicable(actor=world.coordinator, partnership=fresh, step="xyz", reason="r")
    assert "step" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        claimed_step_reopen(actor=world.coordinator, partnership=fresh, step="alert")
    assert "step" in exc.value.error_dict


@pytest.mark.parametrize(("persona", "error"), [("member", PermissionDenied), ("viewer", PermissionDenied)])
def test_only_coordinators_decide(world, persona, error):
    with pytest.raises(error):
        claimed_step_set_not_applicable(
            actor=getattr(world, persona), partnership=world.partnership_a, step="alert", reason="r"
        )
    assert not ClaimedStepDecision.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "coordinator_b"])
def test_outsiders_cannot_decide(world, persona):
    with pytest.raises(Http404):
        claimed_step_set_not_applicable(
            actor=getattr(world, persona), partnership=world.partnership_a, step="alert", reason="r"
        )


# Query counts ------------------------------------------------------------------------------------


def _fill(world, partnership, n):
    police = Partner.objects.filter(partnership=partnership).first()
    s = statement(world, partnership, nature="n", causes="c")
    for i in range(n):
        partner = active_partner(world, partnership, f"Partner {partnership.pk}-{i}")
        PartnerMotivation.objects.create(partner=partner, societal="yes")
        seated_body(partnership, partner, hours=2, name=f"Body {i}")
        task(partnership, partner, "R", title=f"Task {i}")
        c = candidate(world, partnership, name=f"Cand {partnership.pk}-{i}")
        share(world, c, email=f"c{i}@x.example")
        _assessment(world, c, tier="low", decision="admit", decided_by=world.coordinator)
        _objective(partnership, commit=police, title=f"O{i}")
        figure(s, label=f"F{i}", position=i)


@pytest.mark.parametrize("n", [0, 8])
def test_journey_reads_in_two_queries_whatever_the_data(world, fresh, n, django_assert_num_queries):
    _fill(world, fresh, n)
    claimed_step_set_not_applicable(actor=world.coordinator, partnership=fresh, step="alert", reason="r")
    with django_assert_num_queries(2):
        steps = claimed_journey(user=world.coordinator, partnership=fresh)
    assert len(steps) == 7


def test_journeys_of_many_partnerships_in_one_query(world, django_assert_num_queries):
    partnerships = [fresh_partnership(world, f"P{i}") for i in range(5)]
    _fill(world, partnerships[0], 3)
    claimed_step_set_not_applicable(
        actor=world.coordinator, partnership=partnerships[1], step="direct", reason="r"
    )
    with django_assert_num_queries(1):
        journeys = claimed_journeys(user=world.coordinator, partnerships=partnerships)
    assert set(journeys) == {p.pk for p in partnerships}
    assert {s.step: s.state for s in journeys[partnerships[1].pk]}["direct"] == "not_applicable"
    assert {s.step: s.state for s in journeys[partnerships[0].pk]}["inform"] == "done"


def test_candidates_of_other_partnerships_do_not_count(world, fresh):
    Candidate.objects.create(
        partnership=world.partnership_b, organisation=world.org_outsider, added_by=world.coordinator_b
    )
    assert state_of(world, fresh, "locate").state == "open"
