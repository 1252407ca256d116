"""The Five Safes gate: a request for personal data waits for an approved, valid assessment; four eyes decide;
rejection and expiry keep the request from being sent."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.exchange import selectors, services
from safepact.exchange.models import Assessment, AssessmentAnswer, AssessmentStatus, RequestStatus
from safepact.exchange.tests.request_factories import NOW, fill_assessment, make_cast, make_request, reload
from safepact.lib import clock
from safepact.notifications.models import Notification

pytestmark = pytest.mark.django_db

PERSONAL = ["identification", "ownership"]


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def cast(world):
    return make_cast(world, second_coordinator=True)


def notified(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


def awaiting(world, cast, **fields):
    """A request for personal data, submitted: it waits for its (new, empty) assessment."""
    request = make_request(world, cast, data_categories=PERSONAL, **fields)
    return services.request_submit(actor=fields.get("actor") or world.coordinator, request=request)


def submitted(world, cast, **fields):
    request = awaiting(world, cast, **fields)
    asker = fields.get("actor") or world.coordinator
    fill_assessment(request.assessment, asker)
    services.assessment_submit(actor=asker, assessment=request.assessment)
    return reload(request)


def approve(world, cast, request, **decision):
    decision.setdefault("decision", AssessmentStatus.APPROVED)
    return services.assessment_decide(actor=cast.coordinator2, assessment=request.assessment, **decision)


# The gate ------------------------------------------------------------------------------------------


def test_asking_for_personal_data_waits_for_a_new_assessment(world, cast):
    request = awaiting(world, cast)
    assert request.status == RequestStatus.AWAITING_ASSESSMENT and request.sent_at is None
    assessment = request.assessment
    assert assessment.status == AssessmentStatus.DRAFT and assessment.requested_by == world.coordinator
    assert assessment.question_set == "1"
    # an AMBER request is not named in the assessment every coordinator reads
    assert "engine" not in assessment.title.lower() and assessment.title.startswith("Five Safes: ")
    assert not Notification.objects.filter(kind="exchange.request").exists()
    with pytest.raises(Http404):  # still not shown to the addressed organisations
        selectors.get_request_for_user(world.member, world.partnership_a.code, request.code)
    assert AuditEvent.objects.filter(action="exchange.request.awaiting_assessment").count() == 1


def test_an_open_request_names_its_assessment(world, cast):
    request = awaiting(world, cast, tlp="green")
    assert request.assessment.title == "Five Safes: Recovered stolen engine"


def test_relabelling_a_waiting_request_as_restricted_renames_its_assessment(world, cast):
    request = awaiting(world, cast, tlp="green")
    services.request_update(actor=world.coordinator, request=request, tlp="amber")
    assert "engine" not in reload(request.assessment).title.lower()


@pytest.mark.parametrize("state", ["draft", "submitted"])
def test_an_assessment_not_decided_yet_does_not_let_the_request_go(world, cast, state):
    request = awaiting(world, cast)
    if state == "submitted":
        fill_assessment(request.assessment, world.coordinator)
        services.assessment_submit(actor=world.coordinator, assessment=request.assessment)
    again = services.request_submit(actor=world.coordinator, request=request)
    assert again.status == RequestStatus.AWAITING_ASSESSMENT
    assert again.assessment_id == request.assessment_id and Assessment.objects.count() == 1
    assert not Notification.objects.filter(kind="exchange.request").exists()


def test_submitting_asks_the_other_coordinators_to_decide(world, cast):
    request = awaiting(world, cast)
    with pytest.raises(ValidationError) as error:
        services.assessment_submit(actor=world.coordinator, assessment=request.assessment)
    assert "Safe people" in error.value.message_dict["answers"][0]
    fill_assessment(request.assessment, world.coordinator)
    assessment = services.assessment_submit(actor=world.coordinator, assessment=request.assessment)
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert notified("exchange.assessment.submitted") == ["coordinator2@city.example"]
    notification = Notification.objects.get(kind="exchange.assessment.submitted")
    assert "engine" not in notification.title.lower() and notification.tlp == "amber"
    assert str(assessment.code) in notification.url
    event = AuditEvent.objects.get(action="exchange.assessment.submitted")
    assert event.after["risks"] == dict.fromkeys(("data", "outputs", "people", "projects", "settings"), "low")


def test_with_only_one_coordinator_who_asked_nobody_can_decide(world):
    cast = make_cast(world)  # the police coordinator is the only coordinator
    request = awaiting(world, cast)
    fill_assessment(request.assessment, world.coordinator)
    with pytest.raises(ValidationError) as error:
        services.assessment_submit(actor=world.coordinator, assessment=request.assessment)
    assert "four eyes" in error.value.message_dict["assessment"][0]
    assert reload(request.assessment).status == AssessmentStatus.DRAFT


def test_with_one_coordinator_a_member_s_request_can_be_decided(world):
    cast = make_cast(world)
    request = awaiting(world, cast, actor=world.member, partners=[cast.shop])
    fill_assessment(request.assessment, world.member)
    services.assessment_submit(actor=world.member, assessment=request.assessment)
    assert notified("exchange.assessment.submitted") == ["coordinator@polisen.example"]
    services.assessment_decide(
        actor=world.coordinator, assessment=request.assessment, decision=AssessmentStatus.APPROVED
    )
    assert reload(request).status == RequestStatus.SENT


# Deciding ------------------------------------------------------------------------------------------


def test_approval_by_another_coordinator_sends_the_request(world, cast):
    request = submitted(world, cast)
    assessment = approve(world, cast, request)
    assert assessment.status == AssessmentStatus.APPROVED and assessment.decided_by == cast.coordinator2
    assert assessment.decided_at == NOW and assessment.valid_until == clock.today() + timedelta(days=365)
    request = reload(request)
    assert request.status == RequestStatus.SENT and request.sent_at == NOW
    assert notified("exchange.request") == [
        "coordinator2@city.example",
        "dealer@shop.example",
        "member@city.example",
    ]
    assert notified("exchange.assessment.decided") == ["coordinator@polisen.example"]
    decided = Notification.objects.get(kind="exchange.assessment.decided")
    assert "engine" not in decided.title.lower()
    assert AuditEvent.objects.get(action="exchange.assessment.decided").after["status"] == "approved"


def test_approval_with_conditions_needs_the_conditions(world, cast):
    request = submitted(world, cast)
    with pytest.raises(ValidationError) as error:
        approve(world, cast, request, decision=AssessmentStatus.APPROVED_WITH_CONDITIONS)
    assert "conditions" in error.value.message_dict
    assessment = approve(
        world,
        cast,
        request,
        decision=AssessmentStatus.APPROVED_WITH_CONDITIONS,
        conditions="Only the serial number and the owner's name.",
        valid_until=clock.today() + timedelta(days=30),
    )
    assert assessment.conditions.startswith("Only") and assessment.valid_until == clock.today() + timedelta(
        30
    )
    assert reload(request).status == RequestStatus.SENT


@pytest.mark.parametrize(
    ("decision", "field"),
    [
        ({"decision": "maybe"}, "decision"),
        ({"decision": AssessmentStatus.REJECTED}, "note"),
        ({"decision": AssessmentStatus.APPROVED, "valid_until": "2025-06-03"}, "valid_until"),
        ({"decision": AssessmentStatus.APPROVED, "valid_until": "soon"}, "valid_until"),
    ],
)
def test_a_bad_decision_is_refused_naming_the_field(world, cast, decision, field):
    request = submitted(world, cast)
    with pytest.raises(ValidationError) as error:
        approve(world, cast, request, **decision)
    assert field in error.value.message_dict
    assert reload(request.assessment).status == AssessmentStatus.SUBMITTED


def test_the_person_who_asked_cannot_decide_and_only_coordinators_decide(world, cast):
    request = submitted(world, cast)
    with pytest.raises(PermissionDenied, match="four eyes"):
        services.assessment_decide(
            actor=world.coordinator, assessment=request.assessment, decision=AssessmentStatus.APPROVED
        )
    for member in (world.member, world.viewer, cast.dealer):
        with pytest.raises(PermissionDenied):
            services.assessment_decide(actor=member, assessment=request.assessment, decision="approved")
    for stranger in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            services.assessment_decide(actor=stranger, assessment=request.assessment, decision="approved")
    assert reload(request).status == RequestStatus.AWAITING_ASSESSMENT


def test_the_database_refuses_a_decision_by_the_person_who_asked(world, cast):
    request = submitted(world, cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=request.assessment_id).update(decided_by=world.coordinator)


def test_only_a_submitted_assessment_is_decided(world, cast):
    request = awaiting(world, cast)
    with pytest.raises(ValidationError) as error:
        approve(world, cast, request)
    assert "status" in error.value.message_dict


def test_rejection_returns_the_request_to_draft_with_the_reasoning(world, cast):
    request = submitted(world, cast)
    assessment = approve(
        world, cast, request, decision=AssessmentStatus.REJECTED, note="Ask for the serial only."
    )
    assert assessment.status == AssessmentStatus.REJECTED and assessment.valid_until is None
    request = reload(request)
    assert request.status == RequestStatus.DRAFT
    assert request.assessment.decision_note == "Ask for the serial only."
    assert notified("exchange.assessment.decided") == ["coordinator@polisen.example"]
    assert not Notification.objects.filter(kind="exchange.request").exists()
    assert AuditEvent.objects.get(action="exchange.request.returned").after == {
        "status": "draft",
        "because": "rejected",
    }
    # submitting again starts a new assessment from the old answers; the rejected one stays as it was
    request = services.request_submit(actor=world.coordinator, request=request)
    assert request.status == RequestStatus.AWAITING_ASSESSMENT
    assert request.assessment_id != assessment.pk and request.assessment.status == AssessmentStatus.DRAFT
    assert request.assessment.answers.count() == 5
    assert reload(assessment).status == AssessmentStatus.REJECTED


def test_an_expired_assessment_does_not_let_a_request_be_sent(world, cast):
    request = make_request(world, cast, data_categories=PERSONAL, deadline=clock.today() + timedelta(days=20))
    assessment = services.assessment_create(
        actor=world.coordinator, partnership=world.partnership_a, title="Engine owners", request=request
    )
    fill_assessment(assessment, world.coordinator)
    services.assessment_submit(actor=world.coordinator, assessment=assessment)
    services.assessment_decide(
        actor=cast.coordinator2, assessment=assessment, decision="approved", valid_until=clock.today()
    )
    assert reload(request).status == RequestStatus.DRAFT  # decided before it was submitted: not sent yet
    clock.advance(timedelta(days=2))
    request = services.request_submit(actor=world.coordinator, request=reload(request))
    assert request.status == RequestStatus.AWAITING_ASSESSMENT
    assert request.assessment_id != assessment.pk
    assert not Notification.objects.filter(kind="exchange.request").exists()


def test_a_valid_approval_made_before_submitting_sends_at_once(world, cast):
    request = make_request(world, cast, data_categories=PERSONAL)
    assessment = services.assessment_create(
        actor=world.coordinator, partnership=world.partnership_a, title="Engine owners", request=request
    )
    fill_assessment(assessment, world.coordinator)
    services.assessment_submit(actor=world.coordinator, assessment=assessment)
    services.assessment_decide(actor=cast.coordinator2, assessment=assessment, decision="approved")
    request = services.request_submit(actor=world.coordinator, request=reload(request))
    assert request.status == RequestStatus.SENT


def test_an_approval_after_the_deadline_returns_the_request_for_a_new_deadline(world, cast):
    request = submitted(world, cast, deadline=clock.today() + timedelta(days=1))
    clock.advance(timedelta(days=3))
    approve(world, cast, request)
    request = reload(request)
    assert request.status == RequestStatus.DRAFT
    assert AuditEvent.objects.get(action="exchange.request.returned").after["because"] == "deadline"
    assert "deadline" in Notification.objects.get(kind="exchange.assessment.decided").title
    services.request_update(
        actor=world.coordinator, request=request, deadline=clock.today() + timedelta(days=5)
    )
    assert services.request_submit(actor=world.coordinator, request=request).status == RequestStatus.SENT


# Filling in ----------------------------------------------------------------------------------------


def test_the_person_who_asked_or_a_coordinator_fills_in_while_it_is_a_draft(world, cast):
    request = awaiting(world, cast)
    assessment = request.assessment
    row = services.assessment_answer_set(
        actor=world.coordinator, assessment=assessment, safe="people", answer="Two detectives.", risk="low"
    )
    assert row.assessment == assessment and row.mitigations == ""
    services.assessment_answer_set(
        actor=cast.coordinator2,
        assessment=assessment,
        safe="people",
        answer="Two vetted detectives.",
        risk="medium",
        mitigations="Named in the request.",
    )
    assert AssessmentAnswer.objects.get(assessment=assessment, safe="people").risk == "medium"
    for other in (world.member, cast.dealer):
        with pytest.raises(PermissionDenied):
            services.assessment_answer_set(
                actor=other, assessment=assessment, safe="data", answer="x", risk="low"
            )
    with pytest.raises(Http404):
        services.assessment_answer_set(
            actor=world.outsider, assessment=assessment, safe="data", answer="x", risk="low"
        )
    event = AuditEvent.objects.filter(action="exchange.assessment.answered").order_by("seq").last()
    assert event.before == {"safe": "people", "risk": "low", "mitigations": False}
    assert event.after == {"safe": "people", "risk": "medium", "mitigations": True}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"safe": "buildings"}, "safe"),
        ({"answer": " "}, "answer"),
        ({"risk": "extreme"}, "risk"),
    ],
)
def test_a_bad_answer_is_refused_naming_the_field(world, cast, values, field):
    request = awaiting(world, cast)
    arguments = {"safe": "data", "answer": "Only the serial number.", "risk": "low", **values}
    with pytest.raises(ValidationError) as error:
        services.assessment_answer_set(actor=world.coordinator, assessment=request.assessment, **arguments)
    assert field in error.value.message_dict
    assert not AssessmentAnswer.objects.exists()


def test_a_submitted_assessment_is_not_changed(world, cast):
    request = submitted(world, cast)
    with pytest.raises(ValidationError) as error:
        services.assessment_answer_set(
            actor=world.coordinator, assessment=request.assessment, safe="data", answer="More.", risk="high"
        )
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.assessment_submit(actor=world.coordinator, assessment=request.assessment)


def test_an_assessment_of_a_data_flow(world, cast):
    assessment = services.assessment_create(
        actor=world.member, partnership=world.partnership_a, title="Camera images from the shops"
    )
    assert assessment.requested_by == world.member
    fill_assessment(assessment, world.member)
    services.assessment_submit(actor=world.member, assessment=assessment)
    assert notified("exchange.assessment.submitted") == [
        "coordinator2@city.example",
        "coordinator@polisen.example",
    ]
    assert "Camera images" in Notification.objects.filter(kind="exchange.assessment.submitted").first().title


def test_asking_for_an_assessment_refusals(world, cast):
    with pytest.raises(ValidationError) as error:
        services.assessment_create(actor=world.member, partnership=world.partnership_a, title="")
    assert "title" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.assessment_create(actor=world.viewer, partnership=world.partnership_a, title="A")
    with pytest.raises(Http404):
        services.assessment_create(actor=world.outsider, partnership=world.partnership_a, title="A")
    request = make_request(world, cast, data_categories=PERSONAL)
    with pytest.raises(PermissionDenied):  # a coordinator who did not ask
        services.assessment_create(
            actor=cast.coordinator2, partnership=world.partnership_a, title="A", request=request
        )
    services.request_submit(actor=world.coordinator, request=request)
    with pytest.raises(ValidationError) as error:  # it has one already
        services.assessment_create(
            actor=world.coordinator, partnership=world.partnership_a, title="A", request=request
        )
    assert "request" in error.value.message_dict


# Reading -------------------------------------------------------------------------------------------


def test_coordinators_and_the_person_who_asked_read_an_assessment(world, cast):
    request = awaiting(world, cast, actor=world.member, partners=[cast.shop])
    code, assessment_code = world.partnership_a.code, request.assessment.code
    for reader in (world.member, world.coordinator, cast.coordinator2):
        assert selectors.get_assessment_for_user(reader, code, assessment_code) == request.assessment
    for other in (cast.dealer, world.viewer, cast.garage):
        with pytest.raises(PermissionDenied):
            selectors.get_assessment_for_user(other, code, assessment_code)
    for stranger in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            selectors.get_assessment_for_user(stranger, code, assessment_code)
    with pytest.raises(Http404):
        selectors.get_assessment_for_user(world.coordinator, code, "not-a-code")


def test_the_assessment_list_shows_coordinators_everything_and_members_their_own(world, cast):
    mine = awaiting(world, cast, actor=world.member, partners=[cast.shop]).assessment
    flow = services.assessment_create(actor=cast.dealer, partnership=world.partnership_a, title="Flow")
    a = world.partnership_a
    assert set(selectors.assessment_list(user=world.coordinator, partnership=a)) == {mine, flow}
    assert list(selectors.assessment_list(user=world.member, partnership=a)) == [mine]
    assert list(selectors.assessment_list(user=world.viewer, partnership=a)) == []
    assert list(selectors.assessment_list(user=world.outsider, partnership=a)) == []
    fill_assessment(flow, cast.dealer)
    services.assessment_submit(actor=cast.dealer, assessment=flow)
    assert list(selectors.assessments_awaiting_decision(user=world.coordinator, partnership=a)) == [flow]
    assert list(selectors.assessments_awaiting_decision(user=world.member, partnership=a)) == []
