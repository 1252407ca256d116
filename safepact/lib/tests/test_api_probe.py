"""The cross-partnership probe: walk every GET path of the OpenAPI document and look for B.

As people of partnership A (a member and a coordinator) we call every GET endpoint the API
publishes, filled in with A's codes, and collect every string in the answers: nothing that
belongs to partnership B may be among them. Then we call every partnership-scoped GET endpoint
with B's codes (and with A's partnership but B's objects): each must answer 404.

The probe is driven by ``/api/v1/openapi.json``, so a new endpoint is probed without anyone
remembering to add it. A path parameter the probe cannot fill in, or a required query parameter
it does not know, fails the test: teach the probe instead of letting it skip the endpoint.

Both partnerships also have something in every formation collection (problem statement and figures,
candidates with an assessment and a briefing link, objectives with commitments and motives, Austin
profiles and input, bodies with seats, tasks with assignments) and an agreement with two or more
versions, a comment in review and a signature (so its PDF and DOCX have a signature page). The partner
directory is global: a published profile is public by design, an unpublished one of B's organisations is
one of B's secrets. PDF and DOCX answers are read as documents: the PDF's text, metadata and embedded
files, every XML part of the DOCX. The information exchange has a post with a file, a document with a
version, a sent request, a Five Safes assessment, a data flow and settings on both sides; its files are
downloaded and read. The registry has, on both sides, alerts with identifiers (two sharing one: an
overlap), a partner's check that hit, and batch checks (of the police and of a partner) that hit; B's
descriptions, case references and identifier values must never reach A, not even through a close-identifier
search for B's values.
"""

import csv
import html
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from datetime import date

import pytest

from conftest import add_member, make_org, make_user
from safepact.accounts.models import ApiToken
from safepact.agreements import services as agreement_services
from safepact.agreements.models import (
    Agreement,
    AgreementVersion,
    Comment,
    DocumentExport,
    Party,
    Signature,
)
from safepact.agreements.tests.support import draft, make_signatory, reload, sign, to_signing
from safepact.audit.models import AuditEvent
from safepact.continuity import services as continuity_services
from safepact.continuity.models import (
    Activity,
    Actual,
    ProgressReport,
    ReportSection,
)
from safepact.continuity.models import Commitment as ResourceCommitment
from safepact.formation.models import (
    AustinDimension,
    AustinInput,
    AustinProfile,
    Body,
    BriefingShare,
    Candidate,
    CandidateMove,
    ClaimedStepDecision,
    Commitment,
    DirectoryProfile,
    DueDiligenceAssessment,
    ImpartialityDismissal,
    Objective,
    PartnerMotivation,
    ProblemFigure,
    ProblemStatement,
    Seat,
    Task,
)
from safepact.formation.services import (
    austin,
    claimed,
    diligence,
    directory,
    objectives,
    pipeline,
    problem,
    structure,
)
from safepact.lib import clock
from safepact.meetings import services as meeting_services
from safepact.meetings.models import ActionItem, CalendarFeed, Decision, Meeting, Minutes, Participant
from safepact.notifications.models import Notification
from safepact.partnerships.models import Invitation, Membership, Partner
from safepact.partnerships.services import invitation_create
from safepact.registry.models import Hit, Overlap

API = "/api/v1"

# A path parameter is named by the collection segment just before it: ".../partners/{partner_code}".
# Each maps to the key of the object's code on a side (A or B).
COLLECTIONS = {
    "partnerships": "partnership",
    "organisations": "organisation",
    "partners": "partner",
    "members": "member",
    "invitations": "invitation",
    # Formation.
    "directory": "directory",  # an organisation with a directory profile (A: published; B: unpublished)
    "candidates": "candidate",
    "assessments": "assessment",
    "objectives": "objective",
    "commitments": "partner",
    "motivations": "partner",
    "bodies": "body",
    "seats": "seat",
    "tasks": "task",
    "assignments": "partner",
    "figures": "figure",
    "briefings": "briefing",
    # Agreements (a version is named by its number: B's number is one A's agreement does not have).
    "agreements": "agreement",
    "versions": "version",
    "parties": "party",
    "comments": "comment",
    # Meetings and their action items.
    "meetings": "meeting",
    "action-items": "action_item",
    # Continuity: activities, reports and their sections, commitments (named by their parameter, as
    # formation's commitments are named by a partner), notifications.
    "activities": "activity",
    "reports": "report",
    "sections": "section",
    "notifications": "notification",
    # Exchange: posts and their files, documents, requests, the register's flows.
    "posts": "post",
    "files": "attachment",
    "documents": "document",
    "requests": "request",
    "flows": "flow",
    # Registry: alerts and their identifiers, hits, overlaps, batch checks.
    "alerts": "alert",
    "identifiers": "identifier",
    "hits": "hit",
    "overlaps": "overlap",
    "batches": "batch",
}
# Collections whose segment another app uses too, as the exchange names them (under ``/exchange/``): its
# Five Safes assessments and its document versions (by code), not formation's or agreements'.
EXCHANGE_COLLECTIONS = {"assessments": "five_safes", "versions": "document_version"}
# A path parameter whose collection segment is shared: named by the parameter itself.
PARAMETERS = {"commitment_code": "commitment"}
# Query parameters the probe knows (value None: left out); extra variants to walk for some paths.
# An unknown one fails the test: a filter naming an object could be a way into B.
KNOWN_QUERY = {
    "limit": "500",
    "offset": "0",
    "format": "json",
    "action": None,
    "since": None,
    "until": None,
    # Formation: filters of the directory and the objectives, the question bank's language and version.
    "q": None,
    "kind": None,
    "sector": None,
    "country": None,
    "crime_area": None,
    "capability": None,
    "status": None,
    "lang": None,
    "version": None,
    # Agreements: the two versions to compare (numbers inside the agreement of the path).
    "from": None,
    "to": None,
    # Meetings: upcoming or past, my meetings' horizon; notifications: only the unread ones.
    "when": None,
    "days_ahead": None,
    "unread": None,
    # Exchange: the request boxes; the organisation whose Art. 30 records (a code: tried with B's).
    "box": None,
    "organisation": None,
    # Registry: alert filters; the close-identifier search (kind and value are in VARIANTS).
    "category": None,
    "mine": None,
    "value": None,
    "max_distance": None,
}
#: The registry's words and identifiers on each side (B's must never reach A).
REGISTRY_A = {
    "description": "Sofielund registry: white Bayliner taken from the harbour.",
    "twin": "Sofielund registry: the same hull, reported by the night shift.",
    "case_reference": "5000-K-SOFIELUND-26",
    "hin": "SE-ABC12345D404",
    "vin": "WBA71DC010CH14720",
    "imei": "354178036859789",
}
REGISTRY_B = {
    "description": "Gestolen sloep De Horst: blauwe romp, witte kap.",
    "twin": "Sloep De Horst opnieuw gemeld door de recherche.",
    "case_reference": "LB-DEHORST-2026-0077",
    "legal_basis": "Wetboek van Strafvordering art. 94 (De Horst)",
    "note": "Buitenboordmotor De Horst: eigenaar gebeld.",
    "hin": "NL-QRS45678F707",
    "vin": "1G4AH59H45G118341",
    "imei": "350077523237513",
    "file": "voorraad-dehorst.csv",
}
#: A query value naming an object, filled from a side's codes like a path parameter: "{organisation}".
QUERY_CODE = re.compile(r"\{(\w+)\}")
VARIANTS = {
    "/api/v1/partnerships/{code}/audit/export": [{"format": "json"}, {"format": "csv"}],
    # Searching the directory for B by name, country or sector finds nothing of B's (unpublished) ones.
    "/api/v1/directory": [
        {"limit": "500"},
        {"limit": "500", "q": "Parkstad"},
        {"limit": "500", "country": "NL"},
        {"limit": "500", "kind": "business", "sector": "security", "capability": "cameras"},
        {"limit": "500", "crime_area": "retail"},
    ],
    "/api/v1/partnerships/{code}/formation/objectives": [
        {"limit": "500"},
        {"limit": "500", "status": "active"},
        {"limit": "500", "status": "achieved"},
    ],
    "/api/v1/formation/question-bank": [{}, {"lang": "nl"}, {"lang": "en", "version": "1"}],
    "/api/v1/partnerships/{code}/agreements": [
        {"limit": "500"},
        {"limit": "500", "status": "signing"},
        {"limit": "500", "kind": "confidentiality"},
    ],
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/compare": [{}, {"from": "1", "to": "2"}],
    "/api/v1/partnerships/{code}/agreement-templates": [{}, {"lang": "nl"}],
    "/api/v1/partnerships/{code}/meetings": [
        {"limit": "500"},
        {"limit": "500", "when": "upcoming"},
        {"limit": "500", "when": "past"},
    ],
    "/api/v1/partnerships/{code}/action-items": [
        {"limit": "500"},
        {"limit": "500", "status": "open"},
        {"limit": "500", "status": "done"},
    ],
    "/api/v1/notifications": [{"limit": "500"}, {"limit": "500", "unread": "true"}],
    "/api/v1/partnerships/{code}/exchange/posts": [
        {"limit": "500"},
        {"limit": "500", "kind": "warning"},
        {"limit": "500", "kind": "news"},
    ],
    "/api/v1/partnerships/{code}/exchange/requests": [
        {"limit": "500"},
        {"limit": "500", "box": "sent"},
        {"limit": "500", "box": "received"},
        {"limit": "500", "box": "mine", "status": "sent"},
    ],
    # Searching for B's words finds nothing of B's.
    "/api/v1/partnerships/{code}/exchange/search": [
        {"q": "Sofielund", "limit": "100"},
        {"q": "Sofielund", "kind": "post"},
        {"q": "Horst", "limit": "100"},
        {"q": "Parkstad laadperron", "kind": "document"},
    ],
    "/api/v1/partnerships/{code}/exchange/five-safes/questions": [{}, {"lang": "nl"}],
    "/api/v1/partnerships/{code}/exchange/register/art30": [
        {},
        {"format": "csv"},
        {"organisation": "{organisation}"},
        {"organisation": "{organisation}", "format": "pdf"},
    ],
    # The registry: filters, and searching for B's words and identifiers finds nothing of B's.
    "/api/v1/partnerships/{code}/registry/alerts": [
        {"limit": "500"},
        {"limit": "500", "status": "active", "category": "boat"},
        {"limit": "500", "mine": "true"},
        {"limit": "500", "q": REGISTRY_B["case_reference"]},
        {"limit": "500", "q": REGISTRY_B["hin"]},
    ],
    "/api/v1/partnerships/{code}/registry/hits": [{"limit": "500"}, {"limit": "500", "status": "open"}],
    "/api/v1/partnerships/{code}/registry/overlaps": [{"limit": "500"}, {"limit": "500", "status": "open"}],
    "/api/v1/partnerships/{code}/registry/search": [
        {"kind": "hin", "value": "SE-ABC12345D404"},
        {"kind": "hin", "value": REGISTRY_B["hin"], "max_distance": "2"},
        {"kind": "vin", "value": REGISTRY_B["vin"], "max_distance": "1", "limit": "200"},
    ],
    "/api/v1/partnerships/{code}/registry/export": [{}, {"status": "active"}],
}
#: Objects a persona sees only when they are their own: the codes it reads instead of ``sides[...]``'s
#: (the coordinator reads the police's batch check; the member their own organisation's).
OWN_OBJECTS = {"member": {"batch": "batch_member"}}
PARTNERSHIP_SCOPED = "/api/v1/partnerships/{code}/"

EXPECTED_PATHS = {
    "/api/v1/me",
    "/api/v1/organisations",
    "/api/v1/organisations/{code}",
    "/api/v1/partnerships",
    "/api/v1/partnerships/{code}",
    "/api/v1/partnerships/{code}/partners",
    "/api/v1/partnerships/{code}/partners/{partner_code}",
    "/api/v1/partnerships/{code}/members",
    "/api/v1/partnerships/{code}/members/{member_code}",
    "/api/v1/partnerships/{code}/invitations",
    "/api/v1/partnerships/{code}/invitations/{invitation_code}/revoke",
    "/api/v1/partnerships/{code}/audit",
    "/api/v1/partnerships/{code}/audit/export",
    # Formation: the CLAIMED journey.
    "/api/v1/partnerships/{code}/formation/journey",
    "/api/v1/partnerships/{code}/formation/journey/{step}",
    # Problem statement, figures, briefing links.
    "/api/v1/partnerships/{code}/formation/problem",
    "/api/v1/partnerships/{code}/formation/problem/figures",
    "/api/v1/partnerships/{code}/formation/problem/figures/{figure_code}",
    "/api/v1/partnerships/{code}/formation/problem/briefings",
    "/api/v1/partnerships/{code}/formation/problem/briefings/{briefing_code}/revoke",
    # The partner directory (global).
    "/api/v1/directory",
    "/api/v1/directory/{org_code}",
    # The candidate pipeline and impartiality.
    "/api/v1/partnerships/{code}/formation/suggestions",
    "/api/v1/partnerships/{code}/formation/candidates",
    "/api/v1/partnerships/{code}/formation/candidates/{candidate_code}",
    "/api/v1/partnerships/{code}/formation/candidates/{candidate_code}/moves",
    "/api/v1/partnerships/{code}/formation/candidates/{candidate_code}/invitation",
    "/api/v1/partnerships/{code}/formation/impartiality",
    "/api/v1/partnerships/{code}/formation/impartiality/dismissals",
    # Due diligence and the question bank (global).
    "/api/v1/partnerships/{code}/formation/candidates/{candidate_code}/assessments",
    "/api/v1/partnerships/{code}/formation/candidates/{candidate_code}/assessments/{assessment_code}",
    "/api/v1/partnerships/{code}/formation/candidates/{candidate_code}/assessments/{assessment_code}/complete",
    "/api/v1/partnerships/{code}/formation/candidates/{candidate_code}/assessments/{assessment_code}/decide",
    "/api/v1/partnerships/{code}/formation/candidates/{candidate_code}/assessments/{assessment_code}/approve",
    "/api/v1/formation/question-bank",
    # Objectives, commitments, motives, alignment, settings.
    "/api/v1/partnerships/{code}/formation/objectives",
    "/api/v1/partnerships/{code}/formation/objectives/{objective_code}",
    "/api/v1/partnerships/{code}/formation/objectives/{objective_code}/commitments/{partner_code}",
    "/api/v1/partnerships/{code}/formation/motivations/{partner_code}",
    "/api/v1/partnerships/{code}/formation/alignment",
    "/api/v1/partnerships/{code}/formation/settings",
    # Austin's collaboration continuum.
    "/api/v1/partnerships/{code}/formation/austin/profiles",
    "/api/v1/partnerships/{code}/formation/austin/inputs",
    # Structure: bodies, seats, tasks (RACI) and the exports.
    "/api/v1/partnerships/{code}/formation/bodies",
    "/api/v1/partnerships/{code}/formation/bodies/{body_code}",
    "/api/v1/partnerships/{code}/formation/bodies/{body_code}/seats",
    "/api/v1/partnerships/{code}/formation/seats/{seat_code}",
    "/api/v1/partnerships/{code}/formation/tasks",
    "/api/v1/partnerships/{code}/formation/tasks/{task_code}",
    "/api/v1/partnerships/{code}/formation/tasks/{task_code}/assignments/{partner_code}",
    "/api/v1/partnerships/{code}/formation/organogram.svg",
    "/api/v1/partnerships/{code}/formation/tasks.csv",
    "/api/v1/partnerships/{code}/formation/seats.csv",
    # Agreements: drafting, versions, the lifecycle, parties, signing, comments, documents, verification.
    "/api/v1/partnerships/{code}/agreements",
    "/api/v1/partnerships/{code}/agreements/verify",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/transitions",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/versions",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/versions/{number}",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/versions/{number}/pdf",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/versions/{number}/docx",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/compare",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/parties",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/parties/{party_code}",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/parties/{party_code}/withdraw",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/signatures",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/sign",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/accede",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/comments",
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/comments/{comment_code}/resolve",
    "/api/v1/partnerships/{code}/agreement-settings",
    "/api/v1/partnerships/{code}/agreement-gate",
    "/api/v1/partnerships/{code}/agreement-templates",
    # Meetings: scheduling, answers, attendance, minutes, decisions, action items, the calendar.
    "/api/v1/partnerships/{code}/meetings",
    "/api/v1/partnerships/{code}/meetings.ics",
    "/api/v1/partnerships/{code}/meetings/{meeting_code}",
    "/api/v1/partnerships/{code}/meetings/{meeting_code}/cancel",
    "/api/v1/partnerships/{code}/meetings/{meeting_code}/response",
    "/api/v1/partnerships/{code}/meetings/{meeting_code}/attendance",
    "/api/v1/partnerships/{code}/meetings/{meeting_code}/minutes",
    "/api/v1/partnerships/{code}/meetings/{meeting_code}/decisions",
    "/api/v1/partnerships/{code}/meetings/{meeting_code}/decisions/{decision_code}",
    "/api/v1/partnerships/{code}/meetings/{meeting_code}/invitees",
    "/api/v1/partnerships/{code}/meetings/{meeting_code}/action-items",
    "/api/v1/partnerships/{code}/action-items",
    "/api/v1/partnerships/{code}/action-items/{item_code}",
    "/api/v1/partnerships/{code}/meetings-settings",
    # My meetings across partnerships, my secret calendar addresses (never listed with the address).
    "/api/v1/meetings/mine",
    "/api/v1/meetings/calendar-feeds",
    # Continuity: signals, the action plan, reports, the schedule, resources, settings.
    "/api/v1/partnerships/{code}/continuity",
    "/api/v1/partnerships/{code}/activities",
    "/api/v1/partnerships/{code}/activities/{activity_code}",
    "/api/v1/partnerships/{code}/reports",
    "/api/v1/partnerships/{code}/reports/{report_code}",
    "/api/v1/partnerships/{code}/reports/{report_code}.pdf",
    "/api/v1/partnerships/{code}/reports/{report_code}/sections/{section_code}",
    "/api/v1/partnerships/{code}/reports/{report_code}/sign-off",
    "/api/v1/partnerships/{code}/report-schedule",
    "/api/v1/partnerships/{code}/commitments",
    "/api/v1/partnerships/{code}/commitments/{commitment_code}",
    "/api/v1/partnerships/{code}/commitments/{commitment_code}/actuals",
    "/api/v1/partnerships/{code}/continuity-settings",
    # Notifications (the caller's own).
    "/api/v1/notifications",
    "/api/v1/notifications/read-all",
    "/api/v1/notifications/settings",
    "/api/v1/notifications/{notification_code}/read",
    # Information exchange: posts, files, documents, requests, Five Safes, the register, search, settings.
    "/api/v1/partnerships/{code}/exchange/posts",
    "/api/v1/partnerships/{code}/exchange/exports/posts",
    "/api/v1/partnerships/{code}/exchange/posts/{post_code}",
    "/api/v1/partnerships/{code}/exchange/posts/{post_code}/label",
    "/api/v1/partnerships/{code}/exchange/posts/{post_code}/forward",
    "/api/v1/partnerships/{code}/exchange/posts/{post_code}/access-log",
    "/api/v1/partnerships/{code}/exchange/posts/{post_code}/attachments",
    "/api/v1/partnerships/{code}/exchange/files/{attachment_code}",
    "/api/v1/partnerships/{code}/exchange/documents",
    "/api/v1/partnerships/{code}/exchange/documents/{document_code}",
    "/api/v1/partnerships/{code}/exchange/documents/{document_code}/label",
    "/api/v1/partnerships/{code}/exchange/documents/{document_code}/versions",
    "/api/v1/partnerships/{code}/exchange/versions/{version_code}/file",
    "/api/v1/partnerships/{code}/exchange/requests",
    "/api/v1/partnerships/{code}/exchange/requests/{request_code}",
    "/api/v1/partnerships/{code}/exchange/requests/{request_code}/label",
    "/api/v1/partnerships/{code}/exchange/requests/{request_code}/submit",
    "/api/v1/partnerships/{code}/exchange/requests/{request_code}/answers",
    "/api/v1/partnerships/{code}/exchange/requests/{request_code}/decline",
    "/api/v1/partnerships/{code}/exchange/requests/{request_code}/close",
    "/api/v1/partnerships/{code}/exchange/five-safes/questions",
    "/api/v1/partnerships/{code}/exchange/assessments",
    "/api/v1/partnerships/{code}/exchange/assessments/{assessment_code}",
    "/api/v1/partnerships/{code}/exchange/assessments/{assessment_code}/answers/{safe}",
    "/api/v1/partnerships/{code}/exchange/assessments/{assessment_code}/submit",
    "/api/v1/partnerships/{code}/exchange/assessments/{assessment_code}/decision",
    "/api/v1/partnerships/{code}/exchange/flows",
    "/api/v1/partnerships/{code}/exchange/flows/{flow_code}",
    "/api/v1/partnerships/{code}/exchange/register/art30",
    "/api/v1/partnerships/{code}/exchange/search",
    "/api/v1/partnerships/{code}/exchange/settings",
    # Registry: checks, batches, alerts and identifiers, hits, overlaps, search, export, import, settings.
    "/api/v1/partnerships/{code}/registry/check",
    "/api/v1/partnerships/{code}/registry/checks",
    "/api/v1/partnerships/{code}/registry/batches",
    "/api/v1/partnerships/{code}/registry/batches/{batch_code}",
    "/api/v1/partnerships/{code}/registry/batches/{batch_code}/hits",
    "/api/v1/partnerships/{code}/registry/alerts",
    "/api/v1/partnerships/{code}/registry/alerts/{alert_code}",
    "/api/v1/partnerships/{code}/registry/alerts/{alert_code}/status",
    "/api/v1/partnerships/{code}/registry/alerts/{alert_code}/identifiers",
    "/api/v1/partnerships/{code}/registry/alerts/{alert_code}/identifiers/{identifier_code}",
    "/api/v1/partnerships/{code}/registry/hits",
    "/api/v1/partnerships/{code}/registry/hits/{hit_code}",
    "/api/v1/partnerships/{code}/registry/hits/{hit_code}/decision",
    "/api/v1/partnerships/{code}/registry/overlaps",
    "/api/v1/partnerships/{code}/registry/overlaps/{overlap_code}/resolution",
    "/api/v1/partnerships/{code}/registry/search",
    "/api/v1/partnerships/{code}/registry/export",
    "/api/v1/partnerships/{code}/registry/imports",
    "/api/v1/partnerships/{code}/registry/settings",
}


@pytest.fixture
def sides(world, settings, tmp_path):
    """Both partnerships with something in every collection: a second member, a pending invitation, and
    formation data of every kind (created through the services, as the coordinators would)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the exchange's files
    # A: a pending invitation (the member and viewer joined through theirs).
    invitation_a, _ = invitation_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        email="pending@city.example",
        role="viewer",
        organisation=world.org_city_a,
    )
    # B: a second partner organisation with a member, and a pending invitation.
    shopkeeper = make_user("winkelier@parkstad.example", "Wim Winkelier")
    m_b = add_member(
        coordinator=world.coordinator_b,
        partnership=world.partnership_b,
        user=shopkeeper,
        role="member",
        new_organisation={"name": "Parkstad Winkeliers", "kind": "umbrella", "country": "NL"},
    )
    invitation_b, _ = invitation_create(
        actor=world.coordinator_b,
        partnership=world.partnership_b,
        email="pending@parkstad.example",
        role="viewer",
        organisation=world.org_b,
        message="Welkom bij Veilig Ondernemen Parkstad",
    )
    b_coordinator_membership = Membership.objects.get(user=world.coordinator_b)
    formation_a = formation_of_a(world)
    formation_b = formation_of_b(world, shop_partner=m_b.partner)
    agreements_a = agreements_of_a(world)
    agreements_b = agreements_of_b(world)
    meetings_a = meetings_of(
        world.coordinator,
        world.partnership_a,
        owner=world.membership_member.partner,
        title="Sofielund plenary",
        minutes="Sofielund minutes: the lamps.",
        decision="Sofielund lights the alleys.",
        action="Sofielund lamp count",
    )
    meetings_b = meetings_of(
        world.coordinator_b,
        world.partnership_b,
        owner=m_b.partner,
        title="Overleg De Horst",
        minutes="Notulen De Horst: camerabeelden laadperrons.",
        decision="De Horst krijgt camera's.",
        action="Offerte camera's De Horst",
    )
    continuity_a = continuity_of(
        world.coordinator,
        world.partnership_a,
        owner=world.membership_member.partner,
        activity="Sofielund lighting survey",
        source="Sofielund city fund",
        note="Sofielund street team",
    )
    continuity_b = continuity_of(
        world.coordinator_b,
        world.partnership_b,
        owner=m_b.partner,
        activity="Cameraplan laadperrons De Horst",
        source="Subsidie Veilig Ondernemen De Horst",
        note="Beveiligers De Horst",
    )
    exchange_a = exchange_of(
        world.coordinator,
        world.partnership_a,
        asked=world.membership_member.partner,
        words="Sofielund",
        texts=EXCHANGE_A,
    )
    exchange_b = exchange_of(
        world.coordinator_b, world.partnership_b, asked=m_b.partner, words="De Horst", texts=EXCHANGE_B
    )
    registry_a = registry_of_a(world)
    registry_b = registry_of_b(world, checker=shopkeeper)
    # B's people had notifications of B's meetings and report: one of them is B's secret to try.
    notification_a = (
        Notification.objects.filter(recipient=world.coordinator).first()
        or Notification.objects.filter(partnership=world.partnership_a).first()
    )
    notification_b = Notification.objects.filter(partnership=world.partnership_b).first()
    assert notification_a is not None and notification_b is not None
    # A version is named by its number: B's must be one that A's agreement lacks, or the probe of
    # "A's agreement, B's version" would find A's own version of that number.
    assert (
        agreements_b["version"]
        > AgreementVersion.objects.filter(agreement__code=agreements_a["agreement"]).count()
    )
    # The probe needs B's organisations unpublished: a published directory profile is public by design
    # (and so no secret of B's); an unpublished one must stay out of A's sight.
    b_orgs = Partner.objects.filter(partnership=world.partnership_b).values("organisation")
    assert not DirectoryProfile.objects.filter(organisation__in=b_orgs, published=True).exists()
    return {
        "A": {
            "partnership": world.partnership_a.code,
            "organisation": world.org_city_a.code,
            "partner": world.membership_member.partner.code,
            "member": world.membership_member.code,
            "invitation": invitation_a.code,
            **formation_a,
            **agreements_a,
            **meetings_a,
            **continuity_a,
            **exchange_a,
            **registry_a,
            "notification": notification_a.code,
        },
        "B": {
            "partnership": world.partnership_b.code,
            "organisation": world.org_b.code,
            "partner": m_b.partner.code,
            "member": b_coordinator_membership.code,
            "invitation": invitation_b.code,
            **formation_b,
            **agreements_b,
            **meetings_b,
            **continuity_b,
            **exchange_b,
            **registry_b,
            "notification": notification_b.code,
        },
    }


def _all_scores(position: int) -> dict:
    return dict.fromkeys(AustinDimension.values, position)


def formation_of_a(world) -> dict:
    """A's formation data. A's candidate is an organisation with a published directory profile (public)."""
    actor, a = world.coordinator, world.partnership_a
    city = world.membership_member.partner
    police = Partner.objects.get(partnership=a, organisation=world.org_police_a)
    locksmith = make_user("info@lasochlarm.example", "Lisa Låssmed")
    public_org = make_org(locksmith, "Malmö Lås och Larm AB", "business", "SE", sector="security")
    directory.directory_profile_save(
        actor=locksmith,
        organisation=public_org,
        summary="Locks, alarms and camera surveillance in Skåne.",
        regions="Skåne",
        crime_areas=["burglary"],
        capabilities=["cameras", "physical"],
        offers="Security surveys of shops.",
        contact_role="Sales manager",
    )
    directory.directory_profile_set_published(actor=locksmith, organisation=public_org, published=True)

    claimed.claimed_step_set_not_applicable(
        actor=actor, partnership=a, step="alert", reason="Everyone in Sofielund knows already."
    )
    problem.problem_statement_update(
        actor=actor, partnership=a, nature="Burglaries in Sofielund.", causes="Dark alleys.", tlp="green"
    )
    figure = problem.problem_figure_add(
        actor=actor,
        partnership=a,
        label="Burglaries in Sofielund",
        value=120,
        unit="per year",
        source="Polisen statistics",
        as_of=date(2024, 12, 31),
    )
    candidate = pipeline.candidate_add(
        actor=actor, partnership=a, organisation=public_org, note="Knows the shops of Sofielund."
    )
    briefing, _token = problem.briefing_share_create(
        actor=actor, candidate=candidate, email="briefing@lasochlarm.example"
    )
    assessment = diligence.assessment_start(actor=actor, candidate=candidate)
    objective = objectives.objective_create(
        actor=actor, partnership=a, title="Fewer burglaries in Sofielund", indicator="Reported burglaries"
    )
    objectives.commitment_add(actor=actor, objective=objective, partner=city, note="Street lighting.")
    objectives.motivation_set(actor=actor, partner=city, societal="A safe Sofielund.", benefits=["safer"])
    objectives.formation_settings_set(actor=actor, partnership=a, focus_limit=4)
    austin.austin_profile_record(
        actor=actor, partnership=a, scores=_all_scores(50), declared_stage="transactional", note="Sofielund."
    )
    austin.austin_input_give(
        actor=world.member, partner=city, positions={"engagement": 75}, comments={"engagement": "Good."}
    )
    body = structure.body_create(actor=actor, partnership=a, name="Sofielund steering board", level="board")
    seat = structure.seat_create(
        actor=actor, body=body, partner=police, person=actor, role_title="Sofielund chair", hours_per_month=4
    )
    task = structure.task_create(actor=actor, partnership=a, title="Sofielund evening patrols")
    structure.assignment_set(actor=actor, task=task, partner=police, raci="A")
    return {
        "directory": public_org.code,
        "candidate": candidate.code,
        "assessment": assessment.code,
        "briefing": briefing.code,
        "figure": figure.code,
        "objective": objective.code,
        "body": body.code,
        "seat": seat.code,
        "task": task.code,
    }


def formation_of_b(world, *, shop_partner) -> dict:
    """B's formation data, with distinctive (Dutch) names and texts so that a leak is recognised."""
    actor, b = world.coordinator_b, world.partnership_b
    municipality = Partner.objects.get(partnership=b, organisation=world.org_b)
    # B's own organisation has a draft directory profile, never published: 404 for A's people.
    directory.directory_profile_save(
        actor=actor,
        organisation=world.org_b,
        summary="Concept: gemeentelijk toezicht op bedrijventerrein De Horst.",
        regions="Parkstad-Zuid",
        offers="Vergunningen en handhaving op De Horst.",
        contact_role="Wijkregisseur De Horst",
    )
    locksmith = make_org(actor, "Slotenmakerij De Horst BV", "business", "NL", sector="security")

    claimed.claimed_step_set_not_applicable(
        actor=actor, partnership=b, step="alert", reason="Ondernemers van De Horst zijn al gewaarschuwd."
    )
    problem.problem_statement_update(
        actor=actor,
        partnership=b,
        nature="Winkeldiefstal en inbraak op bedrijventerrein De Horst.",
        causes="Slecht verlichte laadperrons achter De Horst.",
        tlp="green",
    )
    figure = problem.problem_figure_add(
        actor=actor,
        partnership=b,
        label="Inbraken op De Horst",
        value=37,
        unit="per kwartaal",
        source="Aangifteregister Parkstad-Zuid",
        as_of=date(2025, 3, 31),
    )
    candidate = pipeline.candidate_add(
        actor=actor,
        partnership=b,
        organisation=locksmith,
        reasons=[{"code": "region", "params": {"region": "Parkstad-Zuid en De Horst"}}],
        note="Kent alle sloten van De Horst.",
    )
    briefing, _token = problem.briefing_share_create(
        actor=actor, candidate=candidate, email="sloten@dehorst-sloten.example"
    )
    assessment = diligence.assessment_start(actor=actor, candidate=candidate)
    diligence.assessment_answer(
        actor=actor,
        assessment=assessment,
        answers={"ownership_jurisdictions": {"option": "no", "evidence": "KvK-uittreksel Slotenmakerij"}},
    )
    pipeline.impartiality_dismiss(
        actor=actor,
        partnership=b,
        organisation=locksmith,
        rule="sole_company",
        reason="Enige slotenmaker die De Horst bedient.",
    )
    objective = objectives.objective_create(
        actor=actor,
        partnership=b,
        title="Halvering inbraken De Horst",
        indicator="Aangiftes inbraak De Horst",
        description="Samen met de winkeliers van De Horst.",
    )
    objectives.commitment_add(
        actor=actor, objective=objective, partner=municipality, note="Cameratoezicht laadperrons De Horst"
    )
    objectives.motivation_set(
        actor=actor,
        partner=shop_partner,
        economic="Minder schade voor de winkeliers van De Horst.",
        benefits=["other"],
        benefits_other="Lagere premie bij Horst Verzekeringen",
    )
    objectives.formation_settings_set(actor=actor, partnership=b, focus_limit=7)
    austin.austin_profile_record(
        actor=actor,
        partnership=b,
        scores=_all_scores(25),
        declared_stage="philanthropic",
        note="De Horst staat nog aan het begin.",
    )
    austin.austin_input_give(
        actor=actor,
        partner=municipality,
        positions={"engagement": 25, "mission": 50},
        comments={"engagement": "De ondernemers van De Horst haken af."},
    )
    body = structure.body_create(
        actor=actor, partnership=b, name="Stuurgroep De Horst", level="board", mandate="Koers van De Horst."
    )
    seat = structure.seat_create(
        actor=actor,
        body=body,
        partner=municipality,
        person=actor,
        role_title="Voorzitter stuurgroep De Horst",
        mandate="Leidt de stuurgroep De Horst.",
        hours_per_month=6,
    )
    task = structure.task_create(
        actor=actor, partnership=b, title="Cameraplan De Horst", description="Camera's bij de laadperrons."
    )
    structure.assignment_set(actor=actor, task=task, partner=municipality, raci="A")
    return {
        "directory": world.org_b.code,
        "candidate": candidate.code,
        "assessment": assessment.code,
        "briefing": briefing.code,
        "figure": figure.code,
        "objective": objective.code,
        "body": body.code,
        "seat": seat.code,
        "task": task.code,
    }


def agreements_of_a(world) -> dict:
    """A's covenant: two versions, a comment made in review, then final and signed by the police only."""
    make_signatory(Membership.objects.get(user=world.coordinator, partner__partnership=world.partnership_a))
    make_signatory(world.membership_member)
    agreement = draft(world, title="Sofielund covenant")
    body = reload(agreement).versions.get().body
    agreement_services.version_save(
        actor=world.coordinator,
        agreement=reload(agreement),
        body=body + "\nThe partners light the alleys of Sofielund.\n",
        note="Sofielund lighting",
    )
    agreement_services.agreement_submit_for_review(actor=world.coordinator, agreement=reload(agreement))
    comment = agreement_services.comment_add(
        actor=world.member, agreement=reload(agreement), section="", body="Sofielund needs more lamps."
    )
    sign(world.coordinator, to_signing(world, agreement))
    return {
        "agreement": agreement.code,
        "version": 2,
        "party": reload(agreement).parties.first().code,
        "comment": comment.code,
    }


def agreements_of_b(world) -> dict:
    """B's confidentiality agreement (in Dutch): three versions, a comment, final, signed by B's coordinator."""
    actor, b = world.coordinator_b, world.partnership_b
    make_signatory(Membership.objects.get(user=actor, partner__partnership=b))
    agreement = agreement_services.agreement_create(
        actor=actor,
        partnership=b,
        kind="confidentiality",
        formality="general",
        language="nl",
        title="Geheimhouding De Horst",
    )
    body = reload(agreement).versions.get().body
    for number, line in enumerate(
        [
            "Beelden van de laadperrons van De Horst blijven binnen de stuurgroep.",
            "Geen kopieën buiten De Horst.",
        ]
    ):
        body += f"\n{line}\n"
        agreement_services.version_save(
            actor=actor, agreement=reload(agreement), body=body, note=f"Aanscherping De Horst {number + 1}"
        )
    agreement_services.agreement_submit_for_review(actor=actor, agreement=reload(agreement))
    comment = agreement_services.comment_add(
        actor=actor, agreement=reload(agreement), section="", body="Camerabeelden De Horst nooit delen."
    )
    agreement_services.agreement_finalise(actor=actor, agreement=reload(agreement))
    agreement_services.agreement_open_signing(actor=actor, agreement=reload(agreement))
    agreement_services.agreement_sign(actor=actor, agreement=reload(agreement), reauthenticated=True)
    return {
        "agreement": agreement.code,
        "version": 3,
        "party": reload(agreement).parties.first().code,
        "comment": comment.code,
    }


def meetings_of(actor, partnership, *, owner, title, minutes, decision, action) -> dict:
    """A meeting that started an hour ago, everyone invited, with GREEN minutes (every member of the
    partnership reads them), a decision and an action item of ``owner``; and a meeting next week."""
    from datetime import timedelta

    starts = clock.now().replace(microsecond=0) - timedelta(hours=1)
    meeting = meeting_services.meeting_create(
        actor=actor,
        partnership=partnership,
        kind="plenary",
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location=f"Town hall, {title}",
        agenda=f"1. {decision}",
    )
    meeting_services.meeting_create(
        actor=actor,
        partnership=partnership,
        kind="thematic",
        title=f"{title}, next week",
        starts_at=starts + timedelta(days=7),
        ends_at=starts + timedelta(days=7, hours=1),
    )
    meeting_services.minutes_save(actor=actor, meeting=meeting, text=minutes, tlp="green")
    meeting_services.decision_add(actor=actor, meeting=meeting, text=decision)
    item = meeting_services.action_item_create(
        actor=actor,
        meeting=meeting,
        title=action,
        owner_partner=owner,
        due_date=clock.today() + timedelta(days=7),
    )
    meeting_services.settings_update(actor=actor, partnership=partnership, monthly_hours_limit=6)
    # The coordinator's secret calendar addresses: personal, and the partnership's.
    meeting_services.calendar_feed_reset(actor=actor)
    meeting_services.calendar_feed_reset(actor=actor, partnership=partnership)
    feed = CalendarFeed.objects.get(user=actor, partnership=partnership)
    return {"meeting": meeting.code, "action_item": item.code, "calendar_feed": feed.code}


def continuity_of(actor, partnership, *, owner, activity, source, note) -> dict:
    """An activity of ``owner``, a monthly report schedule with last month's report open, an hours
    commitment with last month's use, and a funding commitment."""
    from datetime import timedelta
    from decimal import Decimal

    today = clock.today()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    item = continuity_services.activity_create(
        actor=actor,
        partnership=partnership,
        title=activity,
        description=f"{activity}: the plan.",
        owner_partner=owner,
        start_date=today - timedelta(days=3),
        due_date=today + timedelta(days=30),
    )
    continuity_services.schedule_set(
        actor=actor, partnership=partnership, frequency="monthly", starts_on=last_month
    )
    report = continuity_services.report_open(
        partnership=partnership,
        period_start=last_month,
        period_end=today.replace(day=1) - timedelta(days=1),
        due_date=today + timedelta(days=14),
    )
    section = report.sections.get(partner=owner)
    hours = continuity_services.commitment_create(
        actor=actor,
        partnership=partnership,
        partner=owner,
        kind="hours",
        amount=Decimal(12),
        starts_on=last_month,
        note=note,
    )
    continuity_services.actual_record(
        actor=actor, commitment=hours, month=last_month, amount=Decimal(7), note=note
    )
    continuity_services.commitment_create(
        actor=actor,
        partnership=partnership,
        partner=owner,
        kind="funding",
        amount=Decimal(25000),
        starts_on=last_month,
        ends_on=today + timedelta(days=400),
        source=source,
    )
    continuity_services.settings_update(actor=actor, partnership=partnership, disengagement_days=75)
    return {"activity": item.code, "report": report.code, "section": section.code, "commitment": hours.code}


EXCHANGE_A = {
    "post": "Sofielund exchange: bicycle thefts at the station.",
    "file": "Sofielund exchange note for platform 2.",
    "document": "Sofielund exchange lighting plan",
    "version": "Sofielund exchange plan: the first lamp row.",
    "request": "Sofielund exchange: who sold the outboard engine?",
    "assessment": "Five Safes: Sofielund exchange camera feed",
    "flow": "Sofielund exchange shop camera footage",
}
EXCHANGE_B = {
    "post": "Waarschuwing De Horst: inbraakgolf bij laadperron 3.",
    "file": "Notitie De Horst bij laadperron 3 en 4.",
    "document": "Cameraplan laadperrons De Horst",
    "version": "Cameraplan De Horst: eerste opzet.",
    "request": "De Horst: wie kocht de gestolen aanhanger?",
    "assessment": "Five Safes: camerabeelden De Horst",
    "flow": "Camerabeelden winkeliers De Horst",
}


def exchange_of(actor, partnership, *, asked, words: str, texts: dict) -> dict:
    """The information exchange of one side, by its coordinator: a GREEN post with a text file, a GREEN
    document with a text version, a GREEN request sent to ``asked``, a Five Safes assessment (coordinators
    read it), a data flow of the coordinator's and ``asked``'s organisations, and the settings."""
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile

    from safepact.exchange import services as exchange_services
    from safepact.partnerships.selectors import membership_in

    def text_file(name, text):
        return SimpleUploadedFile(name, f"{text}\n".encode(), content_type="text/plain")

    own = membership_in(actor, partnership).partner
    post = exchange_services.post_create(
        actor=actor,
        partnership=partnership,
        kind="warning",
        title=texts["post"],
        body=f"{texts['post']} {words}",
        tlp="green",
        files=[text_file(f"{words.lower().replace(' ', '-')}-note.txt", texts["file"])],
    )
    document = exchange_services.document_create(
        actor=actor,
        partnership=partnership,
        title=texts["document"],
        description=f"{texts['document']}: {words}",
        tlp="green",
        upload=text_file(f"{words.lower().replace(' ', '-')}-plan.txt", texts["version"]),
        note=texts["version"],
    )
    request = exchange_services.request_create(
        actor=actor,
        partnership=partnership,
        title=texts["request"],
        question=f"{texts['request']} ({words})",
        purpose=f"Trace the thief ({words}).",
        legal_basis="public_task",
        national_provision=f"{words} provision 2:7",
        deadline=clock.today() + timedelta(days=14),
        tlp="green",
        recipient_partners=[asked],
    )
    request = exchange_services.request_submit(actor=actor, request=request)
    assessment = exchange_services.assessment_create(
        actor=actor, partnership=partnership, title=texts["assessment"]
    )
    exchange_services.assessment_answer_set(
        actor=actor, assessment=assessment, safe="people", answer=f"{words}: named officers.", risk="low"
    )
    flow = exchange_services.flow_create(
        actor=actor,
        partnership=partnership,
        title=texts["flow"],
        purpose=f"{texts['flow']}: identify shoplifters.",
        legal_basis="legitimate_interests",
        data_subjects=f"Visitors of the shops of {words}",
        data_categories=["images"],
        retention=f"28 days ({words})",
        security_measures=f"Encrypted storage ({words}).",
        review_on=clock.today() + timedelta(days=90),
        parties=[(own, "controller", f"receives ({words})"), (asked, "processor", f"provides ({words})")],
    )
    exchange_services.settings_update(actor=actor, partnership=partnership, reminder_days=3)
    return {
        "post": post.code,
        "attachment": post.attachments.get().code,
        "document": document.code,
        "document_version": document.versions.get().code,
        "request": request.code,
        "five_safes": assessment.code,
        "flow": flow.code,
    }


def _registry_alert(user, partnership, texts: dict, *, description: str, identifiers: list[dict]):
    from safepact.registry import services as registry_services

    return registry_services.alert_create(
        user=user,
        partnership=partnership,
        category="boat",
        description=description,
        case_reference=texts["case_reference"],
        legal_basis=texts.get("legal_basis", "Rättegångsbalken 27 kap."),
        jurisdiction="NL" if texts is REGISTRY_B else "SE",
        identifiers=identifiers,
        action_note="Call the duty officer." if texts is REGISTRY_A else "",
    )


def _registry_batch(user, membership, name: str, lines: str):
    """A batch check of ``user``'s organisation, run at once (its hits made)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from safepact.registry import services as registry_services

    upload = SimpleUploadedFile(name, f"kind,value\n{lines}".encode(), content_type="text/csv")
    batch = registry_services.batch_create(user=user, membership=membership, file=upload, context="purchase")
    registry_services.batch_run(batch_id=batch.pk)
    return batch


def registry_of(world, partnership, *, police, checker, texts: dict) -> dict:
    """One side's registry: an alert with a hull number, a VIN and an IMEI, a second alert sharing the hull
    number (an overlap), a partner's check of the VIN (a hit), and batch checks of the police and of the
    partner, each with a line that hits."""
    from safepact.accounts.models import OrganisationMembership
    from safepact.partnerships.selectors import membership_in
    from safepact.registry import services as registry_services

    # Platform staff flag the police as law-enforcement officers of their unit (the registry needs it).
    OrganisationMembership.objects.filter(
        user=police, organisation=membership_in(police, partnership).partner.organisation
    ).update(is_law_enforcement_officer=True)
    alert = _registry_alert(
        police,
        partnership,
        texts,
        description=texts["description"],
        identifiers=[
            {"kind": "hin", "value": texts["hin"]},
            {"kind": "vin", "value": texts["vin"]},
            {"kind": "imei", "value": texts["imei"]},
        ],
    )
    _registry_alert(
        police,
        partnership,
        texts,
        description=texts["twin"],
        identifiers=[{"kind": "hin", "value": texts["hin"]}],
    )
    m_checker, m_police = membership_in(checker, partnership), membership_in(police, partnership)
    result = registry_services.check_identifier(
        user=checker, membership=m_checker, kind="vin", value=texts["vin"], context="offered_for_sale"
    )
    assert result.hit
    if "note" in texts:
        hit = Hit.objects.get(code=result.hit_code)
        registry_services.hit_decide(user=police, hit=hit, status="confirmed", note=texts["note"])
    batch_name = texts.get("file", "sofielund-stock.csv")
    lines = f"imei,{texts['imei']}\nvin,{texts['vin']}\n"
    batch = _registry_batch(police, m_police, f"police-{batch_name}", lines)
    batch_member = _registry_batch(checker, m_checker, batch_name, lines)
    assert batch_member.organisation_id != batch.organisation_id
    return {
        "alert": alert.code,
        "identifier": alert.identifiers.order_by("id").first().code,
        "hit": result.hit_code,
        "overlap": Overlap.objects.get(partnership=partnership).code,
        "batch": batch.code,
        "batch_member": batch_member.code,
    }


def registry_of_a(world) -> dict:
    return registry_of(
        world, world.partnership_a, police=world.coordinator, checker=world.member, texts=REGISTRY_A
    )


def registry_of_b(world, *, checker) -> dict:
    """B's registry: its police take part through a unit of their own (B's coordinator is the municipality);
    B's shopkeeper checks."""
    agent = make_user("agent@politie-limburg.example", "Anouk Agent")
    add_member(
        coordinator=world.coordinator_b,
        partnership=world.partnership_b,
        user=agent,
        role="member",
        new_organisation={"name": "Politie Limburg De Horst", "kind": "law_enforcement", "country": "NL"},
    )
    return registry_of(world, world.partnership_b, police=agent, checker=checker, texts=REGISTRY_B)


def registry_secrets_of_b(b) -> set[str]:
    """B's registry: codes, descriptions, case references, legal bases, identifiers (as typed and as
    stored), what B's partners checked, the notes of B's police, B's batch files."""
    from safepact.registry.models import Alert, BatchCheck, Check, Identifier

    found = {value for key, value in REGISTRY_B.items()}
    for alert in Alert.objects.filter(partnership=b):
        found |= {str(alert.code), alert.description, alert.case_reference, alert.legal_basis}
    for identifier in Identifier.objects.filter(partnership=b):
        found |= {str(identifier.code), identifier.value, identifier.key}
    for hit in Hit.objects.filter(partnership=b):
        found |= {str(hit.code), hit.checked_value, hit.note, hit.key}
    found |= {str(c) for c in Overlap.objects.filter(partnership=b).values_list("code", flat=True)}
    for batch in BatchCheck.objects.filter(partnership=b):
        found |= {str(batch.code), batch.file_name}
    found |= set(Check.objects.filter(partnership=b).values_list("key", flat=True))
    return found


def exchange_secrets_of_b(b) -> set[str]:
    """B's exchange: codes, titles, texts, file names and hashes, the register's words."""
    from safepact.exchange.models import (
        Answer,
        Assessment,
        AssessmentAnswer,
        Attachment,
        DataFlow,
        DataFlowParty,
        Document,
        DocumentVersion,
        InformationRequest,
        Post,
        RequestRecipient,
    )

    found = set(EXCHANGE_B.values())
    for post in Post.objects.filter(partnership=b):
        found |= {str(post.code), post.title, post.body}
    for document in Document.objects.filter(partnership=b):
        found |= {str(document.code), document.title, document.description}
    for version in DocumentVersion.objects.filter(document__partnership=b):
        found |= {str(version.code), version.name, version.sha256, version.note}
    for attachment in Attachment.objects.filter(post__partnership=b):
        found |= {str(attachment.code), attachment.name, attachment.sha256}
    for request in InformationRequest.objects.filter(partnership=b):
        found |= {
            str(request.code),
            request.title,
            request.question,
            request.purpose,
            request.national_provision,
        }
    found |= {
        str(c) for c in RequestRecipient.objects.filter(request__partnership=b).values_list("code", flat=True)
    }
    for answer in Answer.objects.filter(partnership=b):
        found |= {str(answer.code), answer.text}
    for assessment in Assessment.objects.filter(partnership=b):
        found |= {str(assessment.code), assessment.title, assessment.conditions, assessment.decision_note}
    found |= set(AssessmentAnswer.objects.filter(assessment__partnership=b).values_list("answer", flat=True))
    for flow in DataFlow.objects.filter(partnership=b):
        found |= {
            str(flow.code),
            flow.title,
            flow.purpose,
            flow.data_subjects,
            flow.retention,
            flow.security_measures,
        }
    found |= set(DataFlowParty.objects.filter(flow__partnership=b).values_list("part", flat=True))
    return found


def meeting_secrets_of_b(a, b) -> set[str]:
    """B's meetings, minutes, decisions, action items, participants; B's people's notifications (less the
    generic titles A's people get too)."""
    found = set()
    for meeting in Meeting.objects.filter(partnership=b):
        found |= {str(meeting.code), meeting.title, meeting.location, meeting.agenda}
        if meeting.series_id:
            found.add(str(meeting.series.code))
    for minutes in Minutes.objects.filter(partnership=b):
        found |= {str(minutes.code), minutes.text}
    for decision in Decision.objects.filter(meeting__partnership=b):
        found |= {str(decision.code), decision.text}
    for item in ActionItem.objects.filter(partnership=b):
        found |= {str(item.code), item.title}
    found |= {
        str(c) for c in Participant.objects.filter(meeting__partnership=b).values_list("code", flat=True)
    }
    # B's people's calendar addresses: for B, and the personal ones of people who are not in A.
    in_a = Membership.objects.filter(partner__partnership=a).values("user_id")
    feeds = CalendarFeed.objects.filter(partnership=b) | CalendarFeed.objects.filter(
        partnership__isnull=True, user__in=Membership.objects.filter(partner__partnership=b).values("user_id")
    ).exclude(user__in=in_a)
    found |= {str(c) for c in feeds.values_list("code", flat=True)}
    theirs = Notification.objects.filter(partnership=b)
    ours = Notification.objects.exclude(partnership=b)
    found |= {str(c) for c in theirs.values_list("code", flat=True)}
    found |= set(theirs.values_list("title", flat=True)) - set(ours.values_list("title", flat=True))
    found |= set(theirs.values_list("body", flat=True)) - set(ours.values_list("body", flat=True))
    return found


def continuity_secrets_of_b(b) -> set[str]:
    """B's activities, reports and sections, commitments and their use."""
    found = set()
    for activity in Activity.objects.filter(partnership=b):
        found |= {str(activity.code), activity.title, activity.description}
    for report in ProgressReport.objects.filter(partnership=b):
        found |= {str(report.code), report.summary}
    for section in ReportSection.objects.filter(report__partnership=b):
        found |= {str(section.code), section.activities_done, section.outputs, section.problems}
    for commitment in ResourceCommitment.objects.filter(partnership=b):
        found |= {str(commitment.code), commitment.source, commitment.note}
    for actual in Actual.objects.filter(commitment__partnership=b):
        found |= {str(actual.code), actual.note}
    return found


def agreement_secrets_of_b(a, b) -> set[str]:
    """B's agreements: codes, titles, texts and their hashes, notes, comments, signatures, exported files."""
    found = set()
    for agreement in Agreement.objects.filter(partnership=b):
        found |= {str(agreement.code), agreement.title, agreement.end_reason, agreement.final_sha256}
    notes_of_a = set(AgreementVersion.objects.filter(agreement__partnership=a).values_list("note", flat=True))
    for version in AgreementVersion.objects.filter(agreement__partnership=b):
        found |= {str(version.code), version.body, version.sha256}
        if version.note not in notes_of_a:  # "Drafted from the template" is everyone's
            found.add(version.note)
    for party in Party.objects.filter(agreement__partnership=b):
        found |= {str(party.code), party.withdrawal_reason}
    for signature in Signature.objects.filter(agreement__partnership=b):
        found |= {str(signature.code), signature.text_sha256}
    for comment in Comment.objects.filter(agreement__partnership=b):
        found |= {str(comment.code), comment.body}
    found |= set(
        DocumentExport.objects.filter(agreement__partnership=b).values_list("file_sha256", flat=True)
    )
    return found


def secrets_of_b(world) -> set[str]:
    """Everything that belongs to B alone, computed from the database so it grows with B."""
    b = world.partnership_b
    partners = Partner.objects.filter(partnership=b).select_related("organisation")
    members = Membership.objects.filter(partner__partnership=b).select_related("user")
    a_people = set(
        Membership.objects.filter(partner__partnership=world.partnership_a).values_list("user", flat=True)
    )
    a_orgs = set(
        Partner.objects.filter(partnership=world.partnership_a).values_list("organisation", flat=True)
    )
    # The partner directory is public by design: an organisation with a published profile (its name,
    # code and profile) is no secret of B's, even when it is B's partner or candidate. (The fixture keeps
    # B's own organisations unpublished, so this exclusion does not empty the probe.)
    public_orgs = set(DirectoryProfile.objects.filter(published=True).values_list("organisation", flat=True))
    private_to_b = set()

    def organisation_of_b(organisation):
        if organisation.pk not in a_orgs and organisation.pk not in public_orgs:
            private_to_b.add(organisation.pk)
            return {str(organisation.code), organisation.name}
        return set()

    found = {str(b.code), b.name, b.purpose}
    for partner in partners:
        found.add(str(partner.code))
        found |= organisation_of_b(partner.organisation)
    for membership in members:
        found.add(str(membership.code))
        if membership.user_id not in a_people:
            found |= {str(membership.user.code), membership.user.email, membership.user.full_name}
    for invitation in Invitation.objects.filter(partnership=b):
        found |= {str(invitation.code), invitation.email, invitation.message, invitation.token_hash}
    for event in AuditEvent.objects.filter(partnership_code=str(b.code)):
        found |= {str(event.code), event.hash}
    found |= set(ApiToken.objects.filter(user=world.coordinator_b).values_list("hint", flat=True))
    found |= formation_secrets_of_b(b, organisation_of_b)
    found |= agreement_secrets_of_b(world.partnership_a, b)
    found |= meeting_secrets_of_b(world.partnership_a, b)
    found |= continuity_secrets_of_b(b)
    found |= exchange_secrets_of_b(b)
    found |= registry_secrets_of_b(b)
    for profile in DirectoryProfile.objects.filter(organisation__in=private_to_b):
        found |= {str(profile.code), profile.summary, profile.offers, profile.regions, profile.contact_role}
    found.discard("")
    assert {str(b.code), world.org_b.name, world.coordinator_b.email} <= found
    return found


def formation_secrets_of_b(b, organisation_of_b) -> set[str]:
    """B's formation data: codes and the texts people wrote."""
    found = set(ClaimedStepDecision.objects.filter(partnership=b).values_list("reason", flat=True))
    for statement in ProblemStatement.objects.filter(partnership=b):
        found |= {str(statement.code), statement.nature, statement.causes}
    for figure in ProblemFigure.objects.filter(statement__partnership=b):
        found |= {str(figure.code), figure.label, figure.source}
    for candidate in Candidate.objects.filter(partnership=b).select_related("organisation"):
        found |= {str(candidate.code), candidate.note}
        found |= organisation_of_b(candidate.organisation)
        # Free-text parameters of the reasons (a region); codes, countries and choices are shared words.
        found |= {r["params"]["region"] for r in candidate.reasons if r.get("params", {}).get("region")}
    # Reasons of moves people typed; the ones SafePact writes ("Due diligence started.") are everyone's.
    move_reasons = CandidateMove.objects.values_list("reason", flat=True)
    found |= set(move_reasons.filter(candidate__partnership=b)) - set(
        move_reasons.exclude(candidate__partnership=b)
    )
    for share in BriefingShare.objects.filter(candidate__partnership=b):
        found |= {str(share.code), share.email, share.token_hash}
    for assessment in DueDiligenceAssessment.objects.filter(candidate__partnership=b):
        found |= {str(assessment.code), assessment.decision_reason}
        found |= {a.get("evidence", "") for a in assessment.answers.values() if isinstance(a, dict)}
    for dismissal in ImpartialityDismissal.objects.filter(partnership=b):
        found |= {str(dismissal.code), dismissal.reason}
    for objective in Objective.objects.filter(partnership=b):
        found |= {str(objective.code), objective.title, objective.description, objective.indicator}
    found |= set(Commitment.objects.filter(objective__partnership=b).values_list("note", flat=True))
    for motivation in PartnerMotivation.objects.filter(partner__partnership=b):
        found |= {motivation.economic, motivation.societal, motivation.legislative, motivation.benefits_other}
    for profile in AustinProfile.objects.filter(partnership=b):
        found |= {str(profile.code), profile.note}
    for given in AustinInput.objects.filter(partnership=b):
        found |= {str(given.code), given.comment}
    for body in Body.objects.filter(partnership=b):
        found |= {str(body.code), body.name, body.mandate}
    for seat in Seat.objects.filter(body__partnership=b):
        found |= {str(seat.code), seat.role_title, seat.mandate}
    for task in Task.objects.filter(partnership=b):
        found |= {str(task.code), task.title, task.description}
    return found


# Walking the OpenAPI document -------------------------------------------------------------------


def openapi(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def get_operations(schema):
    return {path: item["get"] for path, item in schema["paths"].items() if "get" in item}


def fill(path: str, codes: dict, *, override: dict | None = None) -> str:
    """The path with every ``{param}`` replaced by the code of the object its collection names."""
    segments = path.split("/")
    for i, segment in enumerate(segments):
        key = _key(segments, i, path)
        if key is None:
            continue
        suffix = PARAMETER.fullmatch(segment).group(2)  # "{report_code}.pdf"
        segments[i] = str((override or {}).get(key, codes[key])) + suffix
    return "/".join(segments)


#: A path parameter, alone in its segment or followed by a file extension.
PARAMETER = re.compile(r"\{(\w+)\}((?:\.\w+)?)")


def _key(segments: list[str], i: int, path: str) -> str | None:
    """The key of the object whose code fills segment ``i`` (None when it is no parameter)."""
    match = PARAMETER.fullmatch(segments[i])
    if not match:
        return None
    if match.group(1) in PARAMETERS:
        return PARAMETERS[match.group(1)]
    collection = segments[i - 1]
    if "exchange" in segments[:i] and collection in EXCHANGE_COLLECTIONS:
        return EXCHANGE_COLLECTIONS[collection]
    if collection not in COLLECTIONS:
        pytest.fail(
            f"The probe does not know how to fill {segments[i]} in {path}: add its collection "
            f"{collection!r} to COLLECTIONS in {__name__} (with codes on both sides)."
        )
    return COLLECTIONS[collection]


def queries_for(path: str, operation: dict) -> list[dict]:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and parameter["name"] not in KNOWN_QUERY:
            pytest.fail(
                f"The probe does not know the query parameter {parameter['name']!r} of {path}: add it to "
                "KNOWN_QUERY (and, if it names an object, a variant that tries B's code in VARIANTS)."
            )
    return VARIANTS.get(path, [{"limit": "500"} if _paginated(operation) else {}])


def fill_query(query: dict, codes: dict) -> dict:
    """The query with every value that names an object ("{organisation}") replaced by that side's code."""
    return {
        name: (str(codes[match.group(1)]) if (match := QUERY_CODE.fullmatch(value or "")) else value)
        for name, value in query.items()
    }


def names_objects(query: dict) -> bool:
    return any(QUERY_CODE.fullmatch(value or "") for value in query.values())


def _paginated(operation) -> bool:
    return any(p["name"] == "limit" for p in operation.get("parameters", []))


def strings_in(value, found: set[str]) -> set[str]:
    if isinstance(value, str):
        found.add(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            found.add(str(key))
            strings_in(item, found)
    elif isinstance(value, list):
        for item in value:
            strings_in(item, found)
    elif value is not None:
        found.add(str(value))
    return found


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOCUMENTS = ("application/pdf", DOCX)


def pdf_text(data: bytes) -> str:
    """A PDF as text: every page's text, the metadata and every embedded file."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    parts = [page.extract_text() or "" for page in reader.pages]
    parts += [str(value) for value in (reader.metadata or {}).values()]
    for files in reader.attachments.values():
        parts += [content.decode("utf-8", "replace") for content in files]
    return "\n".join(parts)


def docx_text(data: bytes) -> str:
    """A DOCX as text: the character data of every XML part (a paragraph a line), runs joined."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                xml = archive.read(name).decode("utf-8", "replace").replace("</w:p>", "</w:p>\n")
                parts.append(html.unescape(re.sub(r"<[^>]+>", "", xml)))
    return "\n".join(parts)


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    content_type = response["Content-Type"]
    if content_type.startswith("application/pdf"):
        return pdf_text(content)
    if content_type.startswith(DOCX):
        return docx_text(content)
    return content.decode()


def strings_of(response, text: str) -> set[str]:
    """Every string of an answer, by its type: JSON values, SVG text and attributes, CSV cells, the lines
    of a document's text (PDF, DOCX)."""
    content_type = response["Content-Type"]
    if content_type.startswith(DOCUMENTS):
        return {line.strip() for line in text.splitlines()}
    if content_type.startswith("application/json"):
        return strings_in(json.loads(text), set())
    if content_type.startswith("image/svg+xml"):
        found = set()
        for element in ET.fromstring(text).iter():
            found |= {element.text or "", element.tail or "", *element.attrib.values()}
        return {value.strip() for value in found}
    if content_type.startswith("text/csv"):
        return {cell for row in csv.reader(io.StringIO(text)) for cell in row}
    return set(re.split(r"[,\r\n]", text))


def leaks(secrets: set[str], text: str, strings: set[str]) -> list[str]:
    """Secrets found anywhere in the answer: in its raw text (XML/HTML entities resolved, as a browser
    would), or inside one of its parsed strings (JSON may escape non-ASCII, CSV quotes)."""
    haystack = "\n".join([html.unescape(text), *strings])
    return sorted(secret for secret in secrets if secret in haystack)


def test_openapi_lists_every_path_and_the_docs_answer(client, world):
    schema = openapi(client)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == EXPECTED_PATHS
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert operation.get("security"), f"{method.upper()} {path} must require authentication"
    assert client.get(f"{API}/docs").status_code == 200


def _schemas_referenced(value, spec, found: set[str]) -> set[str]:
    """The component schemas ``value`` refers to, directly or through other components."""
    if isinstance(value, dict):
        ref = value.get("$ref", "")
        name = ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None
        if name and name not in found:
            found.add(name)
            _schemas_referenced(spec["components"]["schemas"][name], spec, found)
        for item in value.values():
            _schemas_referenced(item, spec, found)
    elif isinstance(value, list):
        for item in value:
            _schemas_referenced(item, spec, found)
    return found


def test_openapi_never_exposes_integer_ids_or_secrets(client, world):
    schema = openapi(client)
    # A password may be sent (re-authentication for signing), never answered: only in a schema that no
    # answer refers to, and marked write-only so generated clients and docs treat it as a secret.
    answered = _schemas_referenced(
        [op.get("responses", {}) for item in schema["paths"].values() for op in item.values()], schema, set()
    )
    for name, component in schema["components"]["schemas"].items():
        properties = set(component.get("properties", {}))
        forbidden = {"id", "pk", "token", "token_hash", "password", "secret"}
        if "password" in properties and name not in answered:
            password = component["properties"]["password"]
            assert password.get("writeOnly") is True and password.get("format") == "password", name
            forbidden.discard("password")
        assert not properties & forbidden, name


# What each persona of A must see of A's own formation data: a positive control per collection.
SEEN_BY_EVERYONE = (
    "candidate",
    "objective",
    "body",
    "task",
    "seat",
    "directory",
    "agreement",
    "party",
    "comment",
    "meeting",
    "action_item",
    "activity",
    "report",
    "section",
    "commitment",
    "post",
    "attachment",
    "document",
    "document_version",
    "request",
    "flow",
)
SEEN_BY_COORDINATORS = ("assessment", "briefing", "five_safes")
# A's coordinator is a police officer: law enforcement reads the registry's alerts, hits and overlaps.
SEEN_BY_POLICE = ("alert", "identifier", "hit", "overlap", "batch")
# The files (not JSON) are read as what they are: SVG text and attributes, CSV cells.
FILES_SHOW = {
    "/api/v1/partnerships/{code}/formation/organogram.svg": ("image/svg+xml", "Sofielund steering board"),
    "/api/v1/partnerships/{code}/formation/tasks.csv": ("text/csv", "Sofielund evening patrols"),
    "/api/v1/partnerships/{code}/formation/seats.csv": ("text/csv", "Sofielund chair"),
    # Documents are searched as text (a PDF line may hold more than the phrase).
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/versions/{number}/pdf": (
        "application/pdf",
        "The partners light the alleys of Sofielund.",
    ),
    "/api/v1/partnerships/{code}/agreements/{agreement_code}/versions/{number}/docx": (
        DOCX,
        "The partners light the alleys of Sofielund.",
    ),
    "/api/v1/partnerships/{code}/meetings.ics": ("text/calendar", "SUMMARY:Sofielund plenary"),
    # The exchange's files, downloaded.
    "/api/v1/partnerships/{code}/exchange/files/{attachment_code}": ("text/plain", EXCHANGE_A["file"]),
    "/api/v1/partnerships/{code}/exchange/versions/{version_code}/file": (
        "text/plain",
        EXCHANGE_A["version"],
    ),
}


@pytest.mark.parametrize("persona", ["viewer", "member", "coordinator"])
def test_nothing_of_b_reaches_a_member_of_a(client, world, sides, persona):
    client.force_login(getattr(world, persona))
    operations = get_operations(openapi(client))
    assert set(operations) <= EXPECTED_PATHS and len(operations) >= 37
    secrets = secrets_of_b(world)

    seen: set[str] = set()
    walked = []
    codes = {**sides["A"], **{key: sides["A"][own] for key, own in OWN_OBJECTS.get(persona, {}).items()}}
    for path, operation in sorted(operations.items()):
        url = fill(path, codes)
        for query in queries_for(path, operation):
            query = fill_query(query, codes)
            response = client.get(url, query)
            walked.append((path, query, response.status_code))
            # Filled in right: the coordinator reads everything, the member all but coordinator-only pages.
            allowed = {200} if persona == "coordinator" else {200, 403}
            assert response.status_code in allowed, (
                path,
                query,
                response.status_code,
                response.content[:300],
            )
            text = body_of(response)
            strings = strings_of(response, text)
            leaked = leaks(secrets, text, strings)
            assert not leaked, f"{path} {query} shows B's {leaked}"
            if path in FILES_SHOW:
                content_type, of_a = FILES_SHOW[path]
                assert response["Content-Type"].startswith(content_type), path
                assert of_a in (text if content_type in DOCUMENTS else strings), path
            seen |= strings

    assert not seen & secrets
    # A positive control: the probe did see A's objects, so an empty answer cannot pass for safety.
    expected_of_a = {str(world.partnership_a.code), str(world.membership_member.code), world.org_city_a.name}
    expected_of_a |= {str(sides["A"][key]) for key in SEEN_BY_EVERYONE}
    expected_of_a |= {"Sofielund steering board", "Sofielund chair", "Sofielund evening patrols"}
    expected_of_a |= {"Sofielund covenant", "Sofielund needs more lamps."}
    expected_of_a |= {"Sofielund minutes: the lamps.", "Sofielund lights the alleys.", "Sofielund lamp count"}
    expected_of_a |= {"Sofielund lighting survey", "Sofielund city fund", "Sofielund street team"}
    expected_of_a |= {EXCHANGE_A[key] for key in ("post", "document", "request", "flow")}
    signatures_of_a = {str(s.code) for s in Signature.objects.filter(agreement__code=sides["A"]["agreement"])}
    assert signatures_of_a
    expected_of_a |= signatures_of_a
    assert expected_of_a <= seen, expected_of_a - seen
    # The registry: the police coordinator reads the alerts, hits, overlaps and its own batch; the member
    # their own organisation's batch.
    if persona == "member":
        assert str(sides["A"]["batch_member"]) in seen
    if persona == "coordinator":
        assert {str(sides["A"][key]) for key in SEEN_BY_POLICE} <= seen
        assert {REGISTRY_A["description"], REGISTRY_A["case_reference"]} <= seen
    if persona == "coordinator":
        assert str(sides["A"]["invitation"]) in seen
        assert str(sides["A"]["calendar_feed"]) in seen  # the coordinator's own calendar address
        assert {str(sides["A"][key]) for key in SEEN_BY_COORDINATORS} <= seen
        assert any(
            e.hash in seen for e in AuditEvent.objects.filter(partnership_code=str(world.partnership_a.code))
        )
    assert len(walked) >= len(operations)


@pytest.mark.parametrize("persona", ["viewer", "member", "coordinator"])
def test_codes_of_b_answer_404(client, world, sides, persona):
    client.force_login(getattr(world, persona))
    operations = get_operations(openapi(client))
    scoped = [p for p in operations if p.startswith(PARTNERSHIP_SCOPED) or p == "/api/v1/partnerships/{code}"]
    assert len(scoped) >= 30
    before = AuditEvent.objects.count()
    tried = 0
    for path, operation in sorted(operations.items()):
        # A query naming an object (Art. 30 records of an organisation): A's path, B's object in the query.
        for query in filter(names_objects, queries_for(path, operation)):
            response = client.get(fill(path, sides["A"]), fill_query(query, sides["B"]))
            tried += 1
            assert response.status_code == 404, (path, query, response.status_code, response.content[:300])
            assert response.json()["code"] == "not_found"
        for url, unknown_url in attempts_with_b(path, sides):
            for query in queries_for(path, operation):
                query = fill_query(query, sides["B"])
                response = client.get(url, query)
                tried += 1
                where = (url, response.status_code, response.content[:300])
                if response.status_code != 404 and unknown_url is not None and persona != "coordinator":
                    # A's partnership, a page of it this persona may not open (coordinators only): the
                    # refusal comes before any lookup, so it must be exactly the answer for a code that
                    # exists nowhere; it then tells nothing about B's object.
                    unknown = client.get(unknown_url, query)
                    assert response.status_code == unknown.status_code == 403, where
                    assert response.content == unknown.content, where
                    assert client.get(fill(path, sides["A"]), query).status_code == 403, where
                    continue
                assert response.status_code == 404, where
                assert response.json()["code"] == "not_found"
    assert tried >= len(scoped)
    assert AuditEvent.objects.count() == before, "a refused request must record nothing (no export of B)"


def attempts_with_b(path: str, sides: dict) -> list[tuple[str, str | None]]:
    """B's codes throughout; then A's codes for the leading parameters and B's for the rest, each with the
    same URL where B's codes are replaced by codes that exist nowhere. Each object must be looked up
    inside the one before it: A's partnership with B's candidate is 404, and so is A's partnership and
    candidate with B's assessment."""
    segments = path.split("/")
    keys = [_key(segments, i, path) for i, s in enumerate(segments) if PARAMETER.fullmatch(s)]
    if not keys:
        return []
    attempts = [(fill(path, sides["B"]), None)]
    for leading in range(1, len(keys)):
        override = {key: sides["A"][key] for key in keys[:leading]}
        if any(key in override for key in keys[leading:]):
            continue  # the same kind of object named twice (not the case today): cannot mix
        nowhere = {**override, **{key: uuid.uuid4() for key in keys[leading:]}}
        attempts.append((fill(path, sides["B"], override=override), fill(path, sides["B"], override=nowhere)))
    return attempts


def test_probe_fails_on_a_path_it_cannot_fill():
    """The probe's own guard: an unknown collection is an error, never a silent skip."""
    with pytest.raises(pytest.fail.Exception, match="does not know how to fill"):
        fill("/api/v1/partnerships/{code}/exchange/{post_code}", {"partnership": "x"})
    with pytest.raises(pytest.fail.Exception, match="query parameter 'partner'"):
        queries_for("/api/v1/x", {"parameters": [{"in": "query", "name": "partner", "required": False}]})
