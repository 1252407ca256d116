"""The candidate pipeline: adding, moving (transition rules), inviting (due-diligence admission), joining."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from conftest import make_user
from safepact.audit.models import AuditEvent
from safepact.formation.models import Candidate, CandidateMove, CandidateStage
from safepact.formation.selectors import diligence
from safepact.formation.services.pipeline import candidate_add, candidate_invite, candidate_move
from safepact.formation.tests.directory_helpers import profiled_org
from safepact.partnerships.models import Invitation, Partner, PartnerStatus
from safepact.partnerships.services import invitation_accept, partner_add, partner_set_status


@pytest.fixture
def admission(monkeypatch):
    """The due-diligence answer (written by another area): "none" unless a test says otherwise."""
    state = {"value": "none"}
    monkeypatch.setattr(diligence, "candidate_admission", lambda candidate: state["value"], raising=False)
    return state


@pytest.fixture
def shop(world):
    return profiled_org("Ica Malmö", crime_areas=["burglary"])


def add(world, org, **kwargs):
    return candidate_add(actor=world.coordinator, partnership=world.partnership_a, organisation=org, **kwargs)


def stages(candidate):
    return list(CandidateMove.objects.filter(candidate=candidate).values_list("from_stage", "to_stage"))


# Adding -------------------------------------------------------------------------------------------


def test_a_coordinator_adds_a_directory_organisation_as_candidate(world, shop):
    reasons = [{"code": "crime_areas", "params": {"areas": ["burglary"]}}]
    candidate = add(world, shop, suggested=True, reasons=reasons, note="Met them at the fair.")
    assert candidate.stage == CandidateStage.IDENTIFIED
    assert candidate.reasons == reasons and candidate.suggested
    assert stages(candidate) == [("", "identified")]
    event = AuditEvent.objects.get(action="formation.candidate.added")
    assert event.partnership_code == str(world.partnership_a.code)
    assert event.after["reasons"] == ["crime_areas"]


def test_members_and_viewers_cannot_add_candidates_and_outsiders_get_404(world, shop):
    for persona in ("member", "viewer"):
        with pytest.raises(PermissionDenied):
            candidate_add(actor=getattr(world, persona), partnership=world.partnership_a, organisation=shop)
    with pytest.raises(Http404):
        candidate_add(actor=world.coordinator_b, partnership=world.partnership_a, organisation=shop)
    assert not Candidate.objects.exists()


def test_an_organisation_the_coordinator_may_not_see_is_refused(world):
    hidden = profiled_org("Quiet Shop", published=False)
    with pytest.raises(ValidationError) as exc:
        add(world, hidden)
    assert exc.value.message_dict["organisation"] == ["Organisation not found."]


def test_partners_and_existing_candidates_are_refused(world, shop):
    with pytest.raises(ValidationError) as exc:
        add(world, world.org_city_a)
    assert "already a partner" in exc.value.message_dict["organisation"][0]
    add(world, shop)
    with pytest.raises(ValidationError) as exc:
        add(world, shop)
    assert "already a candidate" in exc.value.message_dict["organisation"][0]


def test_malformed_reasons_are_refused(world, shop):
    with pytest.raises(ValidationError) as exc:
        add(world, shop, reasons=[{"code": "bribe", "params": {}}])
    assert "reasons" in exc.value.message_dict
    assert not Candidate.objects.exists()


# Moving -------------------------------------------------------------------------------------------


def test_each_move_writes_a_history_row_and_an_audit_event(world, shop, admission):
    candidate = add(world, shop)
    candidate = candidate_move(actor=world.coordinator, candidate=candidate, to_stage="assessing")
    candidate = candidate_move(
        actor=world.coordinator, candidate=candidate, to_stage="declined", reason="No time"
    )
    assert stages(candidate) == [("", "identified"), ("identified", "assessing"), ("assessing", "declined")]
    events = AuditEvent.objects.filter(action="formation.candidate.moved").order_by("seq")
    assert [(e.before, e.after, e.reason) for e in events] == [
        ({"stage": "identified"}, {"stage": "assessing"}, ""),
        ({"stage": "assessing"}, {"stage": "declined"}, "No time"),
    ]


@pytest.mark.parametrize(
    ("path", "to_stage", "allowed"),
    [
        ([], "invited", "Assessing, Declined, Rejected"),
        ([], "joined", "Assessing, Declined, Rejected"),
        (["assessing"], "identified", "Invited, Declined, Rejected"),
        (["assessing", "declined"], "assessing", "no further stage"),
    ],
)
def test_a_refused_move_names_the_allowed_moves(world, shop, admission, path, to_stage, allowed):
    candidate = add(world, shop)
    for stage in path:
        candidate = candidate_move(actor=world.coordinator, candidate=candidate, to_stage=stage)
    with pytest.raises(ValidationError) as exc:
        candidate_move(actor=world.coordinator, candidate=candidate, to_stage=to_stage)
    assert allowed in exc.value.message_dict["to_stage"][0]
    assert Candidate.objects.get(pk=candidate.pk).stage == (path[-1] if path else "identified")


def test_joined_cannot_be_chosen_it_follows_the_partner(world, shop, admission):
    admission["value"] = "admitted"
    candidate = add(world, shop)
    candidate = candidate_move(actor=world.coordinator, candidate=candidate, to_stage="assessing")
    candidate = candidate_move(actor=world.coordinator, candidate=candidate, to_stage="invited")
    with pytest.raises(ValidationError) as exc:
        candidate_move(actor=world.coordinator, candidate=candidate, to_stage="joined")
    assert "active partner" in exc.value.message_dict["to_stage"][0]


def test_rejecting_needs_a_reason(world, shop):
    candidate = add(world, shop)
    with pytest.raises(ValidationError) as exc:
        candidate_move(actor=world.coordinator, candidate=candidate, to_stage="rejected", reason="  ")
    assert "reason" in exc.value.message_dict
    candidate = candidate_move(
        actor=world.coordinator, candidate=candidate, to_stage="rejected", reason="Conflict"
    )
    assert candidate.stage == "rejected"


@pytest.mark.parametrize("stage", ["identified", "assessing"])
def test_declined_and_rejected_are_possible_from_every_open_stage(world, shop, admission, stage):
    candidate = add(world, shop)
    if stage == "assessing":
        candidate = candidate_move(actor=world.coordinator, candidate=candidate, to_stage="assessing")
    candidate = candidate_move(actor=world.coordinator, candidate=candidate, to_stage="rejected", reason="No")
    assert candidate.stage == "rejected"


def test_members_and_viewers_cannot_move(world, shop):
    candidate = add(world, shop)
    for persona in ("member", "viewer"):
        with pytest.raises(PermissionDenied):
            candidate_move(actor=getattr(world, persona), candidate=candidate, to_stage="assessing")
    assert Candidate.objects.get(pk=candidate.pk).stage == "identified"


# Inviting and joining -----------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["none", "pending_approval", "rejected"])
def test_inviting_needs_the_due_diligence_admission(world, shop, admission, answer):
    admission["value"] = answer
    candidate = candidate_move(actor=world.coordinator, candidate=add(world, shop), to_stage="assessing")
    with pytest.raises(ValidationError) as exc:
        candidate_invite(actor=world.coordinator, candidate=candidate, email="anna@ica.example")
    assert "due diligence" in exc.value.message_dict["to_stage"][0]
    with pytest.raises(ValidationError):
        candidate_move(actor=world.coordinator, candidate=candidate, to_stage="invited")
    assert not Invitation.objects.filter(partner__organisation=shop).exists()
    assert not Partner.objects.filter(organisation=shop).exists()


def test_an_admitted_candidate_is_invited_then_joins_when_the_invitation_is_accepted(
    world, shop, admission, mailoutbox, django_capture_on_commit_callbacks
):
    admission["value"] = "admitted"
    candidate = candidate_move(actor=world.coordinator, candidate=add(world, shop), to_stage="assessing")
    with django_capture_on_commit_callbacks(execute=True):
        candidate, invitation = candidate_invite(
            actor=world.coordinator, candidate=candidate, email="Anna@ica.example", role="member"
        )
    assert candidate.stage == "invited"
    assert invitation.email == "anna@ica.example" and invitation.partner.organisation == shop
    assert (
        Partner.objects.get(partnership=world.partnership_a, organisation=shop).status
        == PartnerStatus.INVITED
    )
    token = re.search(r"/invitations/([^/\s]+)/", mailoutbox[0].body).group(1)
    anna = make_user("anna@ica.example", "Anna Ica")
    invitation_accept(user=anna, token=token)
    candidate.refresh_from_db()
    assert candidate.stage == "joined"
    move = CandidateMove.objects.filter(candidate=candidate).last()
    assert (move.from_stage, move.to_stage, move.moved_by) == ("invited", "joined", anna)
    event = AuditEvent.objects.filter(action="formation.candidate.moved").order_by("-seq").first()
    assert event.actor_label == "anna@ica.example" and event.after == {"stage": "joined"}


def test_a_coordinator_activating_the_partner_moves_the_candidate_to_joined(world, shop):
    candidate = add(world, shop)
    # A directory organisation is visible to the coordinator, so it can be added as a partner directly.
    partner = partner_add(actor=world.coordinator, partnership=world.partnership_a, organisation=shop)
    assert Candidate.objects.get(pk=candidate.pk).stage == "identified"
    partner_set_status(actor=world.coordinator, partner=partner, status=PartnerStatus.ACTIVE)
    candidate.refresh_from_db()
    assert candidate.stage == "joined"
    assert CandidateMove.objects.filter(
        candidate=candidate, to_stage="joined", moved_by=world.coordinator
    ).exists()


def test_declining_after_the_invitation_revokes_it_and_withdraws_the_invited_partner(world, shop, admission):
    admission["value"] = "admitted"
    candidate = candidate_move(actor=world.coordinator, candidate=add(world, shop), to_stage="assessing")
    candidate, invitation = candidate_invite(
        actor=world.coordinator, candidate=candidate, email="anna@ica.example"
    )
    candidate_move(
        actor=world.coordinator, candidate=candidate, to_stage="rejected", reason="Conflict of interest"
    )
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    partner = Partner.objects.get(partnership=world.partnership_a, organisation=shop)
    assert partner.status == PartnerStatus.WITHDRAWN
