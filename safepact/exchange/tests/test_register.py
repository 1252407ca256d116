"""The data-sharing register: flows with parties and GDPR roles, the links to an assessment and an agreement,
who keeps and who reads the register, and the review reminders."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.agreements import services as agreement_services
from safepact.audit.models import AuditEvent
from safepact.exchange import selectors, services
from safepact.exchange.models import DataFlow, DataFlowParty, FlowStatus
from safepact.exchange.tests.register_factories import make_assessment, make_flow, partner
from safepact.lib import clock
from safepact.notifications.models import Notification
from safepact.partnerships.models import Partner, PartnerStatus

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with clock.frozen(NOW):
        yield


def roles(flow) -> dict[str, str]:
    return dict(DataFlowParty.objects.filter(flow=flow).values_list("partner__organisation__name", "role"))


def agreement_of(actor, partnership, title="Data-sharing agreement on engines"):
    return agreement_services.agreement_create(
        actor=actor, partnership=partnership, kind="data_sharing", title=title, language="en"
    )


# flow_create ---------------------------------------------------------------------------------------


def test_coordinator_adds_a_flow_with_parties_and_roles(world):
    flow = make_flow(world)
    assert flow.status == FlowStatus.ACTIVE and flow.created_by == world.coordinator
    assert roles(flow) == {"Polisen Malmö": "controller", "Malmö stad": "processor"}
    assert DataFlowParty.objects.get(flow=flow, role="processor").part == "provides"
    event = AuditEvent.objects.get(action="exchange.flow.created")
    assert event.target_code == str(flow.code)
    assert event.after["legal_basis"] == "public_task"
    assert sorted(event.after["parties"]) == sorted(
        [
            f"{partner(world.partnership_a, world.org_police_a).code}:controller",
            f"{partner(world.partnership_a, world.org_city_a).code}:processor",
        ]
    )


def test_parties_may_be_given_by_partner_code_and_as_dicts(world):
    a = world.partnership_a
    flow = make_flow(
        world,
        parties=[
            {"partner": str(partner(a, world.org_police_a).code), "role": "joint_controller"},
            (partner(a, world.org_city_a).code, "joint_controller"),
            {"partner": partner(a, world.org_shop_a), "role": "processor", "part": "stores"},
        ],
    )
    assert roles(flow) == {
        "Polisen Malmö": "joint_controller",
        "Malmö stad": "joint_controller",
        "Sofielund Fastighetsägare": "processor",
    }


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("member", PermissionDenied),
        ("viewer", PermissionDenied),
        ("outsider", Http404),
        ("coordinator_b", Http404),
    ],
)
def test_only_coordinators_keep_the_register(world, persona, error):
    with pytest.raises(error):
        make_flow(world, actor=getattr(world, persona))
    assert not DataFlow.objects.exists()


def _parties(world, case):
    a = world.partnership_a
    police, city, shop = (partner(a, org) for org in (world.org_police_a, world.org_city_a, world.org_shop_a))
    other = partner(world.partnership_b, world.org_b)
    return {
        "none": [],
        "not a list": "police",
        "processor only": [(city, "processor", "")],
        "one joint controller": [(police, "joint_controller", ""), (city, "processor", "")],
        "other partnership": [(police, "controller", ""), (other, "processor", "")],
        "twice": [(police, "controller", ""), (police, "processor", "")],
        "unknown role": [(police, "owner", "")],
        "unknown code": [(uuid.uuid4(), "controller", "")],
        "part too long": [(police, "controller", "x" * 201)],
        "bad shape": [("only one thing",)],
        "withdrawn": [(police, "controller", ""), (shop, "processor", "")],
    }[case]


@pytest.mark.parametrize(
    "case",
    [
        "none",
        "not a list",
        "processor only",
        "one joint controller",
        "other partnership",
        "twice",
        "unknown role",
        "unknown code",
        "part too long",
        "bad shape",
        "withdrawn",
    ],
)
def test_bad_parties_are_refused_and_nothing_is_stored(world, case):
    Partner.objects.filter(partnership=world.partnership_a, organisation=world.org_shop_a).update(
        status=PartnerStatus.WITHDRAWN
    )
    with pytest.raises(ValidationError) as error:
        make_flow(world, parties=_parties(world, case))
    assert set(error.value.message_dict) == {"parties"}
    assert not DataFlow.objects.exists() and not DataFlowParty.objects.exists()
    assert not AuditEvent.objects.filter(action="exchange.flow.created").exists()


def test_bad_fields_are_named_together(world):
    with pytest.raises(ValidationError) as error:
        make_flow(
            world,
            title="  ",
            purpose="",
            legal_basis="because",
            data_categories=["identification", "shoe_size"],
            review_on=date(2026, 3, 1),
            retention="x" * 301,
            data_subjects="",
            security_measures="",
        )
    assert set(error.value.message_dict) == {
        "title",
        "purpose",
        "legal_basis",
        "data_categories",
        "review_on",
        "retention",
        "data_subjects",
        "security_measures",
    }
    assert "shoe_size" in error.value.message_dict["data_categories"][0]
    assert not DataFlow.objects.exists()


@pytest.mark.parametrize("categories", [[], "identification", None])
def test_a_flow_carries_at_least_one_category_of_personal_data(world, categories):
    with pytest.raises(ValidationError) as error:
        make_flow(world, data_categories=categories)
    assert set(error.value.message_dict) == {"data_categories"}


def test_review_date_must_be_a_date(world):
    with pytest.raises(ValidationError) as error:
        make_flow(world, review_on=datetime(2027, 1, 1, tzinfo=UTC))
    assert set(error.value.message_dict) == {"review_on"}


def test_assessment_of_the_same_partnership_is_linked(world):
    assessment = make_assessment(world.partnership_a, world.member)
    flow = make_flow(world, assessment=assessment)
    assert flow.assessment == assessment
    by_code = make_flow(world, title="Second flow", assessment=str(assessment.code))
    assert by_code.assessment == assessment


@pytest.mark.parametrize("which", ["other partnership", "unknown code"])
def test_assessment_of_another_partnership_is_refused(world, which):
    other = make_assessment(world.partnership_b, world.coordinator_b)
    value = other if which == "other partnership" else uuid.uuid4()
    with pytest.raises(ValidationError) as error:
        make_flow(world, assessment=value)
    assert set(error.value.message_dict) == {"assessment"}
    assert not DataFlow.objects.exists()


def test_agreement_of_the_partnership_is_linked_by_code(world):
    agreement = agreement_of(world.coordinator, world.partnership_a)
    flow = make_flow(world, agreement_code=str(agreement.code))
    assert flow.agreement_code == agreement.code
    assert AuditEvent.objects.get(action="exchange.flow.created").after["agreement"] == str(agreement.code)


@pytest.mark.parametrize("which", ["other partnership", "unknown", "garbage"])
def test_agreement_of_another_partnership_is_refused(world, which):
    other = agreement_of(world.coordinator_b, world.partnership_b)
    value = {"other partnership": other.code, "unknown": uuid.uuid4(), "garbage": "not-a-code"}[which]
    with pytest.raises(ValidationError) as error:
        make_flow(world, agreement_code=value)
    assert set(error.value.message_dict) == {"agreement_code"}
    assert not DataFlow.objects.exists()


# flow_update / flow_end ----------------------------------------------------------------------------


def test_update_changes_fields_and_parties_and_audits_only_the_changes(world):
    flow = make_flow(world)
    a = world.partnership_a
    services.flow_update(
        actor=world.coordinator,
        flow=flow,
        purpose="Trace owners of stolen engines and outboard motors.",
        parties=[
            (partner(a, world.org_police_a), "joint_controller", ""),
            (partner(a, world.org_city_a), "joint_controller", ""),
        ],
    )
    flow.refresh_from_db()
    assert flow.purpose.endswith("outboard motors.")
    assert roles(flow) == {"Polisen Malmö": "joint_controller", "Malmö stad": "joint_controller"}
    event = AuditEvent.objects.get(action="exchange.flow.updated")
    assert set(event.after) == {"purpose", "parties"}
    assert event.before["purpose"].startswith("Trace the last owner")


def test_update_without_changes_records_nothing(world):
    flow = make_flow(world)
    services.flow_update(actor=world.coordinator, flow=flow, title=flow.title)
    assert not AuditEvent.objects.filter(action="exchange.flow.updated").exists()


def test_update_refuses_bad_input_and_keeps_the_flow(world):
    flow = make_flow(world)
    with pytest.raises(ValidationError) as error:
        services.flow_update(
            actor=world.coordinator,
            flow=flow,
            title="Renamed",
            legal_basis="nope",
            parties=[(partner(world.partnership_a, world.org_city_a), "processor", "")],
            created_by=world.member,
        )
    assert set(error.value.message_dict) == {"legal_basis", "parties", "created_by"}
    flow.refresh_from_db()
    assert flow.title == "Stolen engines: dealer records"
    assert roles(flow) == {"Polisen Malmö": "controller", "Malmö stad": "processor"}


def test_update_links_and_unlinks_the_agreement(world):
    flow = make_flow(world)
    agreement = agreement_of(world.coordinator, world.partnership_a)
    services.flow_update(actor=world.coordinator, flow=flow, agreement_code=agreement.code)
    flow.refresh_from_db()
    assert flow.agreement_code == agreement.code
    other = agreement_of(world.coordinator_b, world.partnership_b)
    with pytest.raises(ValidationError) as error:
        services.flow_update(actor=world.coordinator, flow=flow, agreement_code=other.code)
    assert set(error.value.message_dict) == {"agreement_code"}
    services.flow_update(actor=world.coordinator, flow=flow, agreement_code="")
    flow.refresh_from_db()
    assert flow.agreement_code is None


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("member", PermissionDenied),
        ("viewer", PermissionDenied),
        ("outsider", Http404),
        ("coordinator_b", Http404),
    ],
)
def test_only_coordinators_change_or_end_a_flow(world, persona, error):
    flow = make_flow(world)
    with pytest.raises(error):
        services.flow_update(actor=getattr(world, persona), flow=flow, title="Taken over")
    with pytest.raises(error):
        services.flow_end(actor=getattr(world, persona), flow=flow)
    flow.refresh_from_db()
    assert flow.title != "Taken over" and flow.status == FlowStatus.ACTIVE


def test_end_a_flow_once_and_then_it_is_read_only(world):
    flow = make_flow(world)
    services.flow_end(actor=world.coordinator, flow=flow, reason="The covenant ended.")
    flow.refresh_from_db()
    assert flow.status == FlowStatus.ENDED
    event = AuditEvent.objects.get(action="exchange.flow.ended")
    assert event.after == {"status": "ended"} and event.reason == "The covenant ended."
    with pytest.raises(ValidationError) as error:
        services.flow_end(actor=world.coordinator, flow=flow)
    assert set(error.value.message_dict) == {"status"}
    with pytest.raises(ValidationError) as error:
        services.flow_update(actor=world.coordinator, flow=flow, title="Back again")
    assert set(error.value.message_dict) == {"status"}


# Reading the register --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["coordinator", "member", "viewer"])
def test_every_member_reads_the_register(world, persona, django_assert_max_num_queries):
    make_flow(world)
    make_flow(world, title="Camera images of the shopping street", data_categories=["images"])
    user = getattr(world, persona)
    with django_assert_max_num_queries(4):
        flows = list(selectors.flow_list(user=user, partnership=world.partnership_a))
        names = [[party.partner.organisation.name for party in flow.parties.all()] for flow in flows]
    assert [flow.title for flow in flows] == [
        "Camera images of the shopping street",
        "Stolen engines: dealer records",
    ]
    assert names[0] == ["Malmö stad", "Polisen Malmö"]
    flow = selectors.get_flow_for_user(user, world.partnership_a.code, flows[0].code)
    assert flow.code == flows[0].code


def test_outsiders_do_not_read_the_register(world):
    flow = make_flow(world)
    assert not selectors.flow_list(user=world.outsider, partnership=world.partnership_a).exists()
    assert not selectors.flow_list(user=world.coordinator_b, partnership=world.partnership_a).exists()
    for user in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            selectors.get_flow_for_user(user, world.partnership_a.code, flow.code)
    # The flow is not found through another partnership either.
    with pytest.raises(Http404):
        selectors.get_flow_for_user(world.coordinator_b, world.partnership_b.code, flow.code)
    with pytest.raises(Http404):
        selectors.get_flow_for_user(world.member, world.partnership_a.code, "not-a-code")


def test_managing_a_flow_needs_a_coordinator(world):
    flow = make_flow(world)
    assert selectors.get_flow_for_user(world.coordinator, world.partnership_a.code, flow.code, manage=True)
    with pytest.raises(PermissionDenied):
        selectors.get_flow_for_user(world.member, world.partnership_a.code, flow.code, manage=True)


def test_list_filters_by_status(world):
    flow = make_flow(world)
    make_flow(world, title="Still running")
    services.flow_end(actor=world.coordinator, flow=flow)
    active = selectors.flow_list(user=world.member, partnership=world.partnership_a, status=FlowStatus.ACTIVE)
    assert [f.title for f in active] == ["Still running"]


# Review reminders ------------------------------------------------------------------------------------


def review_notes():
    return list(Notification.objects.filter(kind="exchange.flow.review").order_by("id"))


def test_review_reminder_goes_out_once_when_the_date_is_near(world):
    flow = make_flow(world, review_on=clock.today() + timedelta(days=45))
    assert services.flow_review_reminders() == 0
    clock.advance(timedelta(days=14))  # 31 days to go
    assert services.flow_review_reminders() == 0
    clock.advance(timedelta(days=1))  # 30 days to go
    assert services.flow_review_reminders() == 1
    notes = review_notes()
    assert [note.recipient for note in notes] == [world.coordinator]
    assert flow.title in notes[0].title and str(flow.code) in notes[0].url
    flow.refresh_from_db()
    assert flow.review_reminded_on == clock.today()
    assert AuditEvent.objects.get(action="exchange.flow.review_reminded").after["recipients"] == 1
    # The next days, and past the date: nothing more.
    for _day in range(40):
        clock.advance(timedelta(days=1))
        assert services.flow_review_reminders() == 0
    assert len(review_notes()) == 1


def test_a_new_review_date_is_reminded_again(world):
    flow = make_flow(world, review_on=clock.today() + timedelta(days=10))
    assert services.flow_review_reminders() == 1
    services.flow_update(actor=world.coordinator, flow=flow, review_on=clock.today() + timedelta(days=365))
    assert services.flow_review_reminders() == 0
    clock.advance(timedelta(days=340))
    assert services.flow_review_reminders() == 1
    assert len(review_notes()) == 2


def test_past_review_date_is_reminded_once_and_ended_flows_not_at_all(world):
    past = make_flow(world, review_on=clock.today() + timedelta(days=1))
    ended = make_flow(world, title="Ended flow", review_on=clock.today() + timedelta(days=1))
    services.flow_end(actor=world.coordinator, flow=ended)
    clock.advance(timedelta(days=60))
    assert services.flow_review_reminders(on=clock.today()) == 1
    assert services.flow_review_reminders(on=clock.today()) == 0
    (note,) = review_notes()
    assert past.title in note.title and "overdue" in note.title


def test_flow_of_a_partnership_without_coordinator_waits(world):
    make_flow(world, review_on=clock.today() + timedelta(days=5))
    Partner.objects.filter(partnership=world.partnership_a, organisation=world.org_police_a).update(
        status=PartnerStatus.SUSPENDED
    )
    assert services.flow_review_reminders() == 0
    assert DataFlow.objects.get().review_reminded_on is None
    Partner.objects.filter(partnership=world.partnership_a, organisation=world.org_police_a).update(
        status=PartnerStatus.ACTIVE
    )
    assert services.flow_review_reminders() == 1


def test_a_joint_controller_beside_another_controller_is_accepted(world):
    a = world.partnership_a
    flow = make_flow(
        world,
        parties=[
            (partner(a, world.org_police_a), "controller", "provides"),
            (partner(a, world.org_city_a), "joint_controller", "provides"),
            (partner(a, world.org_shop_a), "processor", "stores"),
        ],
    )
    assert roles(flow) == {
        "Polisen Malmö": "controller",
        "Malmö stad": "joint_controller",
        "Sofielund Fastighetsägare": "processor",
    }
