"""Exchange API for the data-sharing register (flows, the GDPR Art. 30 records as JSON, CSV and PDF), search
(only what the searcher may see, query-constant) and the exchange settings: who may do what, errors naming
the field, the exports recorded in the audit trail."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safepact.audit.models import AuditEvent
from safepact.exchange.models import DataFlow, ExchangeSettings
from safepact.exchange.tests.factories import make_document, make_post, media_root  # noqa: F401 - fixture
from safepact.exchange.tests.register_factories import make_flow
from safepact.exchange.tests.test_api_access import base, call, make_request, partner_of
from safepact.lib import clock


@pytest.fixture(autouse=True)
def _media(media_root):  # noqa: F811 - the fixture imported above
    return media_root


def flow_body(world, **overrides) -> dict:
    body = {
        "title": "Stolen engines: dealer records",
        "purpose": "Trace the last owner of recovered stolen engines.",
        "legal_basis": "public_task",
        "national_provision": "Polisdatalagen 2:7",
        "data_subjects": "Buyers of boat engines",
        "data_categories": ["identification", "ownership"],
        "retention": "Two years",
        "security_measures": "Encrypted transfer.",
        "review_on": (clock.today() + timedelta(days=180)).isoformat(),
        "parties": [
            {"partner": str(partner_of(world, world.coordinator).code), "role": "controller", "part": "asks"},
            {"partner": str(partner_of(world, world.member).code), "role": "processor", "part": "provides"},
        ],
    }
    body.update(overrides)
    return body


# The register ------------------------------------------------------------------------------------------


def test_coordinator_records_changes_and_ends_a_flow(client_for, world):
    client = client_for(world.coordinator)
    x = base(world)
    response = call(client, "post", f"{x}/flows", flow_body(world))
    assert response.status_code == 201, response.content
    flow = response.json()
    assert {(p["organisation"]["code"], p["role"]) for p in flow["parties"]} == {
        (str(world.org_city_a.code), "processor"),
        (str(world.org_police_a.code), "controller"),
    }
    assert flow["status"] == "active" and flow["assessment"] is None and flow["agreement"] is None
    url = f"{x}/flows/{flow['code']}"
    # Every member reads the register.
    assert client_for(world.viewer).get(url).json()["title"] == "Stolen engines: dealer records"
    assert [f["code"] for f in client_for(world.viewer).get(f"{x}/flows").json()["items"]] == [flow["code"]]

    client = client_for(world.coordinator)
    response = call(client, "patch", url, {"retention": "One year", "review_on": None})
    assert response.status_code == 422 and response.json()["detail"].startswith("review_on")
    response = call(client, "patch", url, {"retention": "One year"})
    assert response.status_code == 200 and response.json()["retention"] == "One year"
    response = call(client, "patch", url, {"status": "ended"})
    assert response.status_code == 200 and response.json()["status"] == "ended"
    assert AuditEvent.objects.filter(action="exchange.flow.ended").count() == 1
    for body in ({"retention": "Forever"}, {"status": "active"}):
        response = call(client, "patch", url, body)
        assert response.status_code == 409 and response.json()["code"] == "conflict", body
    assert call(client, "patch", url, {"status": "ended"}).status_code == 200  # ended already: nothing to do
    assert AuditEvent.objects.filter(action="exchange.flow.ended").count() == 1
    assert DataFlow.objects.get(code=flow["code"]).retention == "One year"


def test_flow_input_errors_name_the_field(client_for, world):
    client = client_for(world.coordinator)
    other = str(partner_of(world, world.coordinator_b, world.partnership_b).code)
    city = str(partner_of(world, world.member).code)
    cases = [
        ({"parties": [{"partner": city, "role": "processor"}]}, "parties"),  # no controller
        ({"parties": [{"partner": other, "role": "controller"}]}, "parties"),  # B's partner
        ({"parties": []}, "parties"),
        ({"assessment": "00000000-0000-4000-8000-000000000000"}, "assessment"),
        ({"agreement": "00000000-0000-4000-8000-000000000000"}, "agreement"),
        ({"legal_basis": "whim"}, "legal_basis"),
        ({"data_categories": []}, "data_categories"),
        ({"title": ""}, "title"),
    ]
    before = (DataFlow.objects.count(), AuditEvent.objects.count())
    for fields, field in cases:
        response = call(client, "post", f"{base(world)}/flows", flow_body(world, **fields))
        assert response.status_code == 422, (fields, response.content)
        assert response.json()["detail"].startswith(field), (fields, response.json()["detail"])
    assert (DataFlow.objects.count(), AuditEvent.objects.count()) == before


def test_art30_records_as_json_csv_and_pdf(client_for, world):
    make_flow(world)
    x = base(world)
    client = client_for(world.member)  # the city: a processor in the flow
    response = client.get(f"{x}/register/art30")
    assert response.status_code == 200
    records = response.json()
    assert records["organisation"]["code"] == str(world.org_city_a.code)
    [record] = records["records"]
    assert record["article"] == "30(2)" and record["role"] == "processor"
    assert record["controllers"] == [world.org_police_a.name]
    assert not AuditEvent.objects.filter(action="exchange.art30.exported").exists()  # reading is no export

    response = client.get(f"{x}/register/art30", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 2 and "Stolen engines: dealer records" in rows[1]
    event = AuditEvent.objects.get(action="exchange.art30.exported")
    assert event.after == {"organisation": str(world.org_city_a.code), "format": "csv", "records": 1}

    # The coordinator reads any partner's records; the police are the controller.
    coordinator = client_for(world.coordinator)
    response = coordinator.get(
        f"{x}/register/art30", {"organisation": str(world.org_police_a.code), "format": "pdf"}
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="exchange.art30.exported").count() == 2

    # A member of another organisation may not read the police's records; B's organisation is unknown here.
    viewer = client_for(world.viewer)
    response = viewer.get(f"{x}/register/art30", {"organisation": str(world.org_police_a.code)})
    assert response.status_code == 403
    assert viewer.get(f"{x}/register/art30", {"organisation": str(world.org_b.code)}).status_code == 404
    assert viewer.get(f"{x}/register/art30", {"format": "xml"}).status_code == 422
    assert viewer.get(f"{x}/register/art30").json()["records"] == []  # the shop takes part in no flow
    assert AuditEvent.objects.filter(action="exchange.art30.exported").count() == 2


# Search -------------------------------------------------------------------------------------------------


def _search(client, world, **query):
    response = client.get(f"{base(world)}/search", query)
    assert response.status_code == 200, response.content
    return response.json()


def test_search_finds_only_what_the_searcher_may_see(client_for, world):
    make_post(world, world.coordinator, title="Outboard engine stolen", body="A Yamaha engine at the marina.")
    make_post(world, world.coordinator, tlp="amber", orgs=[world.org_city_a], title="Engine gang suspects")
    make_document(world, world.member, title="Engine serial register", description="Serials of engines.")
    make_request(
        world, world.coordinator, to=[partner_of(world, world.member)], submit=True, title="Engine owner"
    )
    make_post(world, world.coordinator_b, partnership=world.partnership_b, title="Engine diefstal De Horst")

    member = {hit["title"] for hit in _search(client_for(world.member), world, q="engine")["items"]}
    assert member == {
        "Outboard engine stolen",
        "Engine gang suspects",
        "Engine serial register",
        "Engine owner",
    }
    viewer = _search(client_for(world.viewer), world, q="engine")
    assert {hit["title"] for hit in viewer["items"]} == {
        "Outboard engine stolen",
        "Engine serial register",
        "Engine owner",
    }
    hit = next(h for h in viewer["items"] if h["kind"] == "post")
    assert hit["partnership"] == str(world.partnership_a.code) and hit["tlp"] == "green" and hit["url"]
    kinds = _search(client_for(world.viewer), world, q="engine", kind="document")["items"]
    assert [h["kind"] for h in kinds] == ["document"]
    page = _search(client_for(world.viewer), world, q="engine", limit=2)
    assert len(page["items"]) == 2 and page["has_more"] is True
    # Query syntax is never read as such, and an empty query finds nothing.
    for q in ('"engine', "engine OR *", "NEAR(engine", "", "'; DROP TABLE"):
        assert _search(client_for(world.viewer), world, q=q)["items"] is not None
    assert _search(client_for(world.viewer), world, q="")["items"] == []
    assert (
        client_for(world.viewer).get(f"{base(world)}/search", {"q": "x", "kind": "answer"}).status_code == 422
    )
    assert (
        client_for(world.viewer).get(f"{base(world)}/search", {"q": "x", "limit": "500"}).status_code == 422
    )


def test_search_costs_the_same_for_few_and_many_results(client_for, world):
    def posts(n, start=0):
        for i in range(start, start + n):
            make_post(
                world,
                world.coordinator,
                tlp=("green", "amber")[i % 2],
                orgs=[world.org_city_a],
                title=f"Engine report {i}",
            )
            make_document(world, world.coordinator, title=f"Engine document {i}")

    client = client_for(world.member)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            found = _search(client, world, q="engine", limit=50)
        return len(context.captured_queries), len(found["items"])

    posts(2)
    few, found = queries()
    assert found == 4
    posts(12, start=2)
    many, found = queries()
    assert found == 28
    assert many == few


# Settings and questions -------------------------------------------------------------------------------


def test_settings_are_read_and_changed_by_coordinators_with_errors_naming_the_field(client_for, world):
    client = client_for(world.coordinator)
    url = f"{base(world)}/settings"
    current = client.get(url).json()
    assert current["updated_at"] is None and set(current["allowed_types"]) == {
        "pdf",
        "image",
        "office",
        "text",
    }
    response = call(
        client, "put", url, {"max_upload_mb": 5, "allowed_types": ["pdf", "text"], "red_downloads": True}
    )
    assert response.status_code == 200, response.content
    changed = response.json()
    assert (changed["max_upload_mb"], changed["allowed_types"], changed["red_downloads"]) == (
        5,
        ["pdf", "text"],
        True,
    )
    assert changed["reminder_days"] == current["reminder_days"]  # left out: unchanged
    before = AuditEvent.objects.count()
    for body, field in (
        ({"max_upload_mb": 0}, "max_upload_mb"),
        ({"max_upload_mb": 10_000}, "max_upload_mb"),
        ({"post_retention_days": 1}, "post_retention_days"),
        ({"allowed_types": ["exe"]}, "allowed_types"),
        ({"reminder_days": 99}, "reminder_days"),
        ({"colour": "red"}, "colour"),
    ):
        response = call(client, "put", url, body)
        assert response.status_code == 422, (body, response.content)
        assert response.json()["detail"].startswith(field), (body, response.json()["detail"])
    assert AuditEvent.objects.count() == before
    assert ExchangeSettings.objects.get(partnership=world.partnership_a).max_upload_mb == 5
    assert client_for(world.member).get(url).status_code == 403


def test_questions_follow_the_language_of_the_request(client_for, world):
    client = client_for(world.viewer)
    url = f"{base(world)}/five-safes/questions"
    english = client.get(url).json()
    assert english["language"] == "en" and len(english["questions"]) == 5
    assert english["questions"][0]["safe"] == "people" and english["questions"][0]["question"]
    world.viewer.language = "nl"
    world.viewer.save(update_fields=["language"])
    dutch = client.get(url).json()
    assert dutch["language"] == "nl" and dutch["title"] != english["title"]
    assert client.get(url, {"lang": "en"}).json()["title"] == english["title"]
    assert client.get(url, {"lang": "fr"}).status_code == 422
