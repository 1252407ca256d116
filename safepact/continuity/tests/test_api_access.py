"""Continuity API: the role matrix on every operation (anonymous 401, outsiders and the other partnership's
coordinator 404, viewers 403 on writes, members 403 on coordinator-only writes and on another partner's
things), and objects of another partnership or report are not found. The helpers here serve the other
``test_api_*`` modules too."""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from safepact.audit.models import AuditEvent
from safepact.continuity import services
from safepact.continuity.models import Activity, Commitment, ProgressReport, ReportSection
from safepact.lib import clock
from safepact.partnerships.models import Membership, Partner

API = "/api/v1"


def base(world, partnership=None) -> str:
    return f"{API}/partnerships/{(partnership or world.partnership_a).code}"


def call(client, method: str, path: str, body=None):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def partner_of(world, user, partnership=None) -> Partner:
    return Membership.objects.get(user=user, partner__partnership=partnership or world.partnership_a).partner


def month_ago() -> date:
    return (clock.today().replace(day=1) - timedelta(days=1)).replace(day=1)


def open_report(partnership, *, months_back: int = 1) -> ProgressReport:
    """The report of the month ``months_back`` months ago, sections due in 14 days."""
    start = clock.today().replace(day=1)
    for _ in range(months_back):
        start = (start - timedelta(days=1)).replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return services.report_open(
        partnership=partnership,
        period_start=start,
        period_end=end,
        due_date=clock.today() + timedelta(days=14),
    )


def section_of(report, partner) -> ReportSection:
    return ReportSection.objects.get(report=report, partner=partner)


@dataclass
class Things:
    city_activity: Activity  # owned by the member's partner
    police_activity: Activity  # owned by the coordinator's partner, depends on the city's
    report: ProgressReport
    city_commitment: Commitment  # hours a month, the member's partner
    police_funding: Commitment  # funding, the coordinator's partner


def make_things(world) -> Things:
    actor, a = world.coordinator, world.partnership_a
    city, police = partner_of(world, world.member), partner_of(world, world.coordinator)
    today = clock.today()
    city_activity = services.activity_create(
        actor=actor,
        partnership=a,
        title="Sofielund lighting survey",
        owner_partner=city,
        start_date=today - timedelta(days=10),
        due_date=today + timedelta(days=20),
    )
    police_activity = services.activity_create(
        actor=actor,
        partnership=a,
        title="Sofielund patrol schedule",
        owner_partner=police,
        start_date=today,
        due_date=today + timedelta(days=40),
        depends_on=[city_activity],
    )
    services.schedule_set(actor=actor, partnership=a, frequency="monthly", starts_on=month_ago())
    report = open_report(a)
    city_commitment = services.commitment_create(
        actor=actor,
        partnership=a,
        partner=city,
        kind="hours",
        amount=Decimal("16"),
        starts_on=month_ago(),
        note="Sofielund street team hours",
    )
    services.actual_record(
        actor=actor, commitment=city_commitment, month=month_ago(), amount=Decimal("12"), note="Sofielund"
    )
    police_funding = services.commitment_create(
        actor=actor,
        partnership=a,
        partner=police,
        kind="funding",
        amount=Decimal("50000"),
        starts_on=month_ago(),
        ends_on=today + timedelta(days=365),
        source="Sofielund city fund",
    )
    return Things(city_activity, police_activity, report, city_commitment, police_funding)


@pytest.fixture
def things(world) -> Things:
    return make_things(world)


READERS = {"viewer": 200, "member": 200, "coordinator": 200}
COORDINATOR = {"viewer": 403, "member": 403}


def endpoints(w, t: Things) -> dict:
    """name: (method, path, body, {persona: status})."""
    b = base(w)
    city = str(partner_of(w, w.member).code)
    today = clock.today()
    report = f"{b}/reports/{t.report.code}"
    city_section = section_of(t.report, partner_of(w, w.member))
    return {
        "overview": ("get", f"{b}/continuity", None, READERS),
        "activities": ("get", f"{b}/activities", None, READERS),
        "activity create": (
            "post",
            f"{b}/activities",
            {
                "title": "Lamp posts",
                "owner_partner": city,
                "start_date": today.isoformat(),
                "due_date": (today + timedelta(days=9)).isoformat(),
            },
            {**COORDINATOR, "coordinator": 201},
        ),
        "activity": ("get", f"{b}/activities/{t.city_activity.code}", None, READERS),
        # Members change the status of their own partner's activities.
        "activity patch": (
            "patch",
            f"{b}/activities/{t.city_activity.code}",
            {"status": "in_progress"},
            {"viewer": 403, "member": 200, "coordinator": 200},
        ),
        "activity delete": (
            "delete",
            f"{b}/activities/{t.police_activity.code}",
            None,
            {**COORDINATOR, "coordinator": 204},
        ),
        "reports": ("get", f"{b}/reports", None, READERS),
        "report": ("get", report, None, READERS),
        "report pdf": ("get", f"{report}.pdf", None, READERS),
        # Only the city's own members fill in the city's section; the police coordinator may not.
        "section patch": (
            "patch",
            f"{report}/sections/{city_section.code}",
            {"outputs": "Forty new lamps.", "submit": True},
            {"viewer": 403, "member": 200, "coordinator": 403},
        ),
        "sign-off": (
            "post",
            f"{report}/sign-off",
            {"summary": "A good month."},
            {**COORDINATOR, "coordinator": 200},
        ),
        "schedule": ("get", f"{b}/report-schedule", None, READERS),
        "schedule put": (
            "put",
            f"{b}/report-schedule",
            {"frequency": "quarterly", "starts_on": "2026-01-01"},
            {**COORDINATOR, "coordinator": 200},
        ),
        "commitments": ("get", f"{b}/commitments", None, READERS),
        "commitment create": (
            "post",
            f"{b}/commitments",
            {"partner": city, "kind": "staff", "amount": "1.5", "starts_on": today.isoformat()},
            {"viewer": 403, "member": 201, "coordinator": 201},
        ),
        "commitment patch": (
            "patch",
            f"{b}/commitments/{t.city_commitment.code}",
            {"amount": "20"},
            {"viewer": 403, "member": 200, "coordinator": 200},
        ),
        # The police's funding: the city's member may not remove it.
        "commitment delete": (
            "delete",
            f"{b}/commitments/{t.police_funding.code}",
            None,
            {**COORDINATOR, "coordinator": 204},
        ),
        "actuals": ("get", f"{b}/commitments/{t.city_commitment.code}/actuals", None, READERS),
        "actual record": (
            "post",
            f"{b}/commitments/{t.city_commitment.code}/actuals",
            {"month": today.isoformat(), "amount": "9"},
            {"viewer": 403, "member": 200, "coordinator": 200},
        ),
        "settings": ("get", f"{b}/continuity-settings", None, READERS),
        "settings put": (
            "put",
            f"{b}/continuity-settings",
            {
                "disengagement_days": 60,
                "runway_warning_days": 120,
                "underspend_percent": 40,
                "meeting_gap_days": 45,
            },
            {**COORDINATOR, "coordinator": 200},
        ),
    }


P = "/api/v1/partnerships/{code}"
R = P + "/reports/{report_code}"
C = P + "/commitments/{commitment_code}"
#: Each matrix entry and the OpenAPI operation it calls.
OPERATIONS = {
    "overview": ("get", f"{P}/continuity"),
    "activities": ("get", f"{P}/activities"),
    "activity create": ("post", f"{P}/activities"),
    "activity": ("get", f"{P}/activities/{{activity_code}}"),
    "activity patch": ("patch", f"{P}/activities/{{activity_code}}"),
    "activity delete": ("delete", f"{P}/activities/{{activity_code}}"),
    "reports": ("get", f"{P}/reports"),
    "report": ("get", R),
    "report pdf": ("get", f"{P}/reports/{{report_code}}.pdf"),
    "section patch": ("patch", f"{R}/sections/{{section_code}}"),
    "sign-off": ("post", f"{R}/sign-off"),
    "schedule": ("get", f"{P}/report-schedule"),
    "schedule put": ("put", f"{P}/report-schedule"),
    "commitments": ("get", f"{P}/commitments"),
    "commitment create": ("post", f"{P}/commitments"),
    "commitment patch": ("patch", C),
    "commitment delete": ("delete", C),
    "actuals": ("get", f"{C}/actuals"),
    "actual record": ("post", f"{C}/actuals"),
    "settings": ("get", f"{P}/continuity-settings"),
    "settings put": ("put", f"{P}/continuity-settings"),
}
NAMES = list(OPERATIONS)
ERROR_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 422: "invalid"}
REFUSED = {"anonymous": 401, "outsider": 404, "coordinator_b": 404}
ALLOWED = [
    (name, persona)
    for name, (method, _path) in OPERATIONS.items()
    for persona in ("viewer", "member", "coordinator")
    if not (persona == "viewer" and method != "get")
]
#: Reads that leave an audit event (a document export is recorded).
AUDITED_READS = {"report pdf"}
OURS = ("/continuity", "/activities", "/reports", "/report-schedule", "/continuity-settings")


def is_ours(path: str) -> bool:
    return path.startswith(P) and (any(part in path for part in OURS) or path.startswith(f"{P}/commitments"))


def test_the_matrix_names_every_endpoint(client, world):
    """Every continuity operation of the OpenAPI document is in the matrix, and nothing else."""
    client.force_login(world.coordinator)
    spec = json.loads(client.get(f"{API}/openapi.json").content)
    operations = {(method, path) for path, item in spec["paths"].items() for method in item if is_ours(path)}
    assert operations == set(OPERATIONS.values())


def test_every_operation_is_documented(client, world):
    client.force_login(world.coordinator)
    spec = json.loads(client.get(f"{API}/openapi.json").content)
    for path, item in spec["paths"].items():
        if is_ours(path):
            for method, operation in item.items():
                assert len(operation.get("summary", "")) > 10, (method, path)
                assert "continuity" in operation["tags"], (method, path)
                if method != "get":
                    assert {"403", "404", "422"} <= set(operation["responses"]), (method, path)


def test_the_matrix_is_consistent(world, things):
    entries = endpoints(world, things)
    assert set(entries) == set(OPERATIONS)
    for name, (method, path, _body, allowed) in entries.items():
        assert method == OPERATIONS[name][0], name
        assert path.startswith(API), name
        if method != "get":
            assert allowed["viewer"] == 403, f"{name}: a viewer may not write"


def check(response, status, before, method, context):
    assert response.status_code == status, (*context, response.content[:300])
    if status >= 400:
        assert response.json()["code"] == ERROR_CODES[status]
        assert AuditEvent.objects.count() == before, "a refused request changes nothing"
    elif method != "get" or context[0] in AUDITED_READS:
        assert AuditEvent.objects.count() > before, "every write leaves an audit event"


@pytest.mark.parametrize("name", NAMES)
def test_role_matrix_refused(client, world, things, name):
    method, path, body, allowed = endpoints(world, things)[name]
    refused = dict(REFUSED)
    if allowed["viewer"] == 403:
        refused["viewer"] = 403
    for persona, status in refused.items():
        client.logout()
        if persona != "anonymous":
            client.force_login(getattr(world, persona))
        before = AuditEvent.objects.count()
        check(call(client, method, path, body), status, before, method, (name, persona))


@pytest.mark.parametrize(("name", "persona"), ALLOWED)
def test_role_matrix_allowed(client, world, things, name, persona):
    method, path, body, allowed = endpoints(world, things)[name]
    client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()
    check(call(client, method, path, body), allowed[persona], before, method, (name, persona))


def test_a_member_may_not_touch_another_partners_things(client, world, things):
    client.force_login(world.member)
    b = base(world)
    police = partner_of(world, world.coordinator)
    before = AuditEvent.objects.count()
    attempts = [
        ("patch", f"{b}/activities/{things.police_activity.code}", {"status": "done"}),
        ("patch", f"{b}/activities/{things.city_activity.code}", {"title": "Renamed by the city"}),
        ("patch", f"{b}/commitments/{things.police_funding.code}", {"amount": "1"}),
        (
            "post",
            f"{b}/commitments/{things.police_funding.code}/actuals",
            {"month": "2026-01-01", "amount": "1"},
        ),
        (
            "post",
            f"{b}/commitments",
            {"partner": str(police.code), "kind": "hours", "amount": "5", "starts_on": "2026-01-01"},
        ),
        (
            "patch",
            f"{b}/reports/{things.report.code}/sections/{section_of(things.report, police).code}",
            {"outputs": "Not ours."},
        ),
    ]
    for method, path, body in attempts:
        response = call(client, method, path, body)
        assert response.status_code == 403, (path, response.content[:200])
        assert response.json()["code"] == "forbidden"
    assert AuditEvent.objects.count() == before
    assert Activity.objects.get(pk=things.police_activity.pk).status == "planned"
    assert Commitment.objects.get(pk=things.police_funding.pk).amount == Decimal("50000")


def test_objects_of_another_partnership_or_report_are_not_found(client, world, things):
    b_partnership, actor_b = world.partnership_b, world.coordinator_b
    their_partner = partner_of(world, actor_b, b_partnership)
    today = clock.today()
    theirs = services.activity_create(
        actor=actor_b,
        partnership=b_partnership,
        title="Camera's De Horst",
        owner_partner=their_partner,
        start_date=today,
        due_date=today,
    )
    their_report = open_report(b_partnership)
    their_section = section_of(their_report, their_partner)
    their_commitment = services.commitment_create(
        actor=actor_b,
        partnership=b_partnership,
        partner=their_partner,
        kind="hours",
        amount=4,
        starts_on=today,
    )
    other_report = open_report(world.partnership_a, months_back=2)
    client.force_login(world.coordinator)
    b = base(world)
    assert client.get(f"{b}/activities/{theirs.code}").status_code == 404
    assert call(client, "patch", f"{b}/activities/{theirs.code}", {"title": "Mine"}).status_code == 404
    assert call(client, "delete", f"{b}/activities/{theirs.code}").status_code == 404
    assert client.get(f"{b}/reports/{their_report.code}").status_code == 404
    assert client.get(f"{b}/reports/{their_report.code}.pdf").status_code == 404
    assert (
        call(client, "post", f"{b}/reports/{their_report.code}/sign-off", {"summary": "x"}).status_code == 404
    )
    # A's report, B's section; and A's section under another of A's reports.
    police = partner_of(world, world.coordinator)
    path = f"{b}/reports/{things.report.code}/sections/{their_section.code}"
    assert call(client, "patch", path, {"outputs": "x"}).status_code == 404
    path = f"{b}/reports/{other_report.code}/sections/{section_of(things.report, police).code}"
    assert call(client, "patch", path, {"outputs": "x"}).status_code == 404
    assert (
        call(client, "patch", f"{b}/commitments/{their_commitment.code}", {"amount": "1"}).status_code == 404
    )
    assert client.get(f"{b}/commitments/{their_commitment.code}/actuals").status_code == 404
    # B's partner as owner or committing partner of A's things: 422 naming the field.
    response = call(
        client,
        "post",
        f"{b}/activities",
        {
            "title": "x",
            "owner_partner": str(their_partner.code),
            "start_date": "2026-01-01",
            "due_date": "2026-01-02",
        },
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("owner_partner")
    response = call(
        client,
        "post",
        f"{b}/activities",
        {
            "title": "x",
            "owner_partner": str(police.code),
            "start_date": "2026-01-01",
            "due_date": "2026-01-02",
            "depends_on": [str(theirs.code)],
        },
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("depends_on")
    assert Activity.objects.get(pk=theirs.pk).title == "Camera's De Horst"
    assert ReportSection.objects.get(pk=their_section.pk).outputs == ""
