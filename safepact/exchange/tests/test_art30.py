"""GDPR Art. 30 records of processing per organisation: what they hold, who may read them, the CSV and the PDF
files, and the audit of the export."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from pypdf import PdfReader

from safepact.agreements import services as agreement_services
from safepact.audit.models import AuditEvent
from safepact.exchange import documents, selectors, services
from safepact.exchange.tests.register_factories import make_assessment, make_flow, partner
from safepact.lib import clock
from safepact.partnerships.models import Partner, PartnerStatus

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def register(world):
    """Three flows of partnership A (police controller in two, city in two, one ended) and one of B."""
    a = world.partnership_a
    police, city, shop = (partner(a, org) for org in (world.org_police_a, world.org_city_a, world.org_shop_a))
    agreement = agreement_services.agreement_create(
        actor=world.coordinator,
        partnership=a,
        kind="data_sharing",
        title="Engine data agreement",
        language="en",
    )
    assessment = make_assessment(
        a,
        world.member,
        title="Five Safes: engine owners",
        status="approved_with_conditions",
        decided_by=world.coordinator,
        valid_until=date(2026, 12, 31),
        conditions="Pseudonymise before sharing.",
    )
    engines = make_flow(world, assessment=assessment, agreement_code=agreement.code)
    cameras = make_flow(
        world,
        title="Camera images of the shopping street",
        purpose="Identify burglary suspects.",
        data_categories=["images", "location"],
        parties=[(police, "joint_controller", "views"), (shop, "joint_controller", "records")],
    )
    ended = make_flow(
        world,
        title="Old flow",
        parties=[(police, "controller", ""), (city, "processor", "")],
    )
    services.flow_end(actor=world.coordinator, flow=ended)
    b = world.partnership_b
    other = make_flow(
        world,
        actor=world.coordinator_b,
        partnership=b,
        title="Parkstad flow",
        parties=[(partner(b, world.org_b), "controller", "")],
    )
    return {"engines": engines, "cameras": cameras, "ended": ended, "other": other, "agreement": agreement}


def records_of(user, world, organisation):
    return selectors.art30_records(user=user, partnership=world.partnership_a, organisation=organisation)


# What a record holds ---------------------------------------------------------------------------------


def test_records_of_an_organisation_hold_its_active_flows_only(world, register):
    records = records_of(world.coordinator, world, world.org_police_a)
    assert [r.title for r in records] == [
        "Camera images of the shopping street",
        "Stolen engines: dealer records",
    ]
    cameras, engines = records
    assert cameras.role == "joint_controller" and cameras.article == "30(1)"
    assert [(p.organisation, p.role) for p in cameras.other_parties] == [
        ("Sofielund Fastighetsägare", "joint_controller")
    ]
    assert sorted(cameras.controllers) == ["Polisen Malmö", "Sofielund Fastighetsägare"]
    assert engines.role == "controller" and engines.part == "asks and receives"
    assert engines.recipients == ["Malmö stad"]
    assert engines.purpose.startswith("Trace the last owner")
    assert engines.legal_basis == "public_task" and "6(1)(e)" in engines.legal_basis_label
    assert engines.national_provision == "Polisdatalagen 2:7"
    assert engines.data_subjects == "Owners and buyers of boat engines"
    assert engines.data_categories == ["identification", "ownership"]
    assert engines.data_category_labels[1].startswith("Ownership")
    assert engines.retention == "Two years after the case is closed"
    assert engines.security_measures.startswith("Encrypted transfer")
    assert engines.assessment_decision == "approved_with_conditions"
    assert engines.assessment_valid_until == date(2026, 12, 31) and engines.assessment_valid
    assert engines.agreement_code == register["agreement"].code
    assert engines.agreement_title == "Engine data agreement"


def test_processor_record_names_the_controller(world, register):
    (record,) = records_of(world.member, world, world.org_city_a)
    assert record.title == "Stolen engines: dealer records"
    assert record.role == "processor" and record.article == "30(2)" and not record.is_controller
    assert record.controllers == ["Polisen Malmö"]


def test_assessment_past_its_validity_is_shown_as_not_in_effect(world, register):
    with clock.frozen(NOW + timedelta(days=400)):
        (record,) = records_of(world.member, world, world.org_city_a)
    assert record.assessment_decision == "approved_with_conditions" and not record.assessment_valid
    (cameras, _engines) = records_of(world.coordinator, world, world.org_police_a)
    assert cameras.assessment_code is None and not cameras.assessment_valid


def test_organisation_may_be_given_by_code(world, register):
    records = records_of(world.coordinator, world, str(world.org_shop_a.code))
    assert [r.title for r in records] == ["Camera images of the shopping street"]


def test_organisation_without_flows_has_no_records(world, register):
    services.flow_end(actor=world.coordinator, flow=register["engines"])
    assert records_of(world.member, world, world.org_city_a) == []


def test_records_read_in_few_queries(world, register, django_assert_max_num_queries):
    for number in range(5):
        make_flow(world, title=f"Flow {number}")
    with django_assert_max_num_queries(8):
        records = records_of(world.coordinator, world, world.org_police_a)
    assert len(records) == 7


# Who reads them ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "organisation"),
    [
        ("coordinator", "org_city_a"),
        ("coordinator", "org_shop_a"),
        ("member", "org_city_a"),
        ("viewer", "org_shop_a"),
    ],
)
def test_coordinators_and_the_organisations_own_members_read_them(world, register, persona, organisation):
    records = records_of(getattr(world, persona), world, getattr(world, organisation))
    assert records, "every organisation of A takes part in a flow"


@pytest.mark.parametrize(
    ("persona", "organisation"),
    [("member", "org_police_a"), ("member", "org_shop_a"), ("viewer", "org_city_a")],
)
def test_other_members_get_403(world, register, persona, organisation):
    with pytest.raises(PermissionDenied):
        records_of(getattr(world, persona), world, getattr(world, organisation))


@pytest.mark.parametrize("persona", ["outsider", "coordinator_b"])
def test_outsiders_get_404(world, register, persona):
    with pytest.raises(Http404):
        records_of(getattr(world, persona), world, world.org_police_a)


@pytest.mark.parametrize("organisation", ["org_b", "org_outsider", "not-a-code"])
def test_an_organisation_that_is_not_a_partner_is_404(world, register, organisation):
    value = getattr(world, organisation, organisation)
    with pytest.raises(Http404):
        records_of(world.coordinator, world, value)


def test_a_withdrawn_partner_still_has_its_records_for_the_coordinator(world, register):
    Partner.objects.filter(partnership=world.partnership_a, organisation=world.org_shop_a).update(
        status=PartnerStatus.WITHDRAWN
    )
    assert [r.title for r in records_of(world.coordinator, world, world.org_shop_a)] == [
        "Camera images of the shopping street"
    ]


# The files -----------------------------------------------------------------------------------------


def test_csv_parses_back_with_a_row_per_flow(world, register):
    records = records_of(world.coordinator, world, world.org_police_a)
    text = documents.art30_csv(records, world.org_police_a)
    rows = list(csv.reader(io.StringIO(text)))
    header, *body = rows
    assert header == documents.art30_columns()
    assert len(body) == 2
    engines = dict(zip(header, body[1], strict=True))
    assert engines["Data flow"] == "Stolen engines: dealer records"
    assert engines["Data flow code"] == str(register["engines"].code)
    assert engines["Organisation"] == "Polisen Malmö"
    assert engines["Role of the organisation"] == "Controller"
    assert engines["Record (GDPR article)"] == "Art. 30(1)"
    assert engines["Other parties (role)"] == "Malmö stad (Processor)"
    assert engines["Legal basis (GDPR Art. 6)"].startswith("Art. 6(1)(e)")
    assert engines["National legal provision"] == "Polisdatalagen 2:7"
    assert engines["Categories of personal data"].count(";") == 1
    assert engines["Recipients"] == "Malmö stad"
    assert engines["Assessment decision"] == "Approved with conditions"
    assert engines["Assessment valid until"] == "2026-12-31"
    assert engines["Assessment valid"] == "yes"
    assert engines["Data-sharing agreement"] == "Engine data agreement"
    assert "Parkstad flow" not in text and "Old flow" not in text


def test_csv_defuses_spreadsheet_formulas(world, register):
    services.flow_update(
        actor=world.coordinator, flow=register["engines"], title='=HYPERLINK("http://x.example","click")'
    )
    records = records_of(world.coordinator, world, world.org_police_a)
    rows = list(csv.reader(io.StringIO(documents.art30_csv(records, world.org_police_a))))
    titles = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://x.example","click")' in titles
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_pdf_holds_the_organisations_flows(world, register):
    records = records_of(world.member, world, world.org_city_a)
    content = documents.art30_pdf(records, world.org_city_a, partnership=world.partnership_a)
    assert content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Malmö stad" in text
    assert "Stolen engines: dealer records" in text
    assert "Processor" in text and "Polisen Malmö" in text
    assert "Engine data agreement" in text
    assert "Camera images" not in text and "Parkstad flow" not in text
    assert reader.metadata.title == "Records of processing: Malmö stad"


def test_pdf_without_records_says_so(world):
    content = documents.art30_pdf([], world.org_shop_a, partnership=world.partnership_a)
    text = " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    assert "no active data flow" in text


def test_filename_names_the_organisation_and_date(world):
    assert (
        documents.art30_filename(world.org_city_a, "csv")
        == "malmo-stad-records-of-processing-art30-2026-03-02.csv"
    )


# The audit of the export -------------------------------------------------------------------------


def test_export_is_audited(world, register):
    services.art30_export_record(
        actor=world.member, partnership=world.partnership_a, organisation=world.org_city_a, fmt="pdf", count=1
    )
    event = AuditEvent.objects.get(action="exchange.art30.exported")
    assert event.actor_code == str(world.member.code)
    assert event.after == {"organisation": str(world.org_city_a.code), "format": "pdf", "records": 1}
    assert event.partnership_code == str(world.partnership_a.code)


@pytest.mark.parametrize(
    ("persona", "error"), [("viewer", PermissionDenied), ("outsider", Http404), ("coordinator_b", Http404)]
)
def test_export_record_follows_the_read_rule(world, register, persona, error):
    with pytest.raises(error):
        services.art30_export_record(
            actor=getattr(world, persona),
            partnership=world.partnership_a,
            organisation=world.org_city_a,
            fmt="csv",
            count=1,
        )
    assert not AuditEvent.objects.filter(action="exchange.art30.exported").exists()


def test_export_record_refuses_an_unknown_format(world, register):
    with pytest.raises(ValidationError) as error:
        services.art30_export_record(
            actor=world.coordinator,
            partnership=world.partnership_a,
            organisation=world.org_city_a,
            fmt="xls",
            count=1,
        )
    assert set(error.value.message_dict) == {"format"}
