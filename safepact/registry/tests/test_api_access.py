"""Registry API: the role matrix on every operation of the OpenAPI document (anonymous 401, outsiders and the
other partnership's coordinator 404, viewers 403 on every write and on checks, partners 403 on alert
management, search, export and import, the owning unit alone changing its alerts and deciding their hits,
another organisation's batch 404). A registry operation that is not in the matrix fails here. The helpers
and the ``things`` fixture serve the other ``test_api_*`` modules too."""

import json
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from safepact.audit.models import AuditEvent
from safepact.registry import services
from safepact.registry.models import Alert, BatchCheck, Check, Hit, Identifier, Overlap
from safepact.registry.tests.alerts_factories import law_enforcement_in_b
from safepact.registry.tests.conftest import boat_alert

API = "/api/v1"
HIN_1 = {"kind": "hin", "value": "SE-ABC12345D404"}
HIN_2 = {"kind": "hin", "value": "NL-XYZ98765E505"}
VIN = {"kind": "vin", "value": "WBA71DC010CH14720"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def base(reg, partnership=None) -> str:
    return f"{API}/partnerships/{(partnership or reg.partnership).code}/registry"


def csv_file(text: str, name: str = "stock.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


class Multipart(dict):
    """A multipart body: the form fields, and fresh files made by ``make_files()`` on every call."""

    def __init__(
        self, fields=None, make_files=lambda: {"file": csv_file("kind,value\nhin,SE-ABC12345D404\n")}
    ):
        super().__init__(fields or {})
        self.make_files = make_files


def call(client, method: str, path: str, body=None, **extra):
    if body is None:
        return getattr(client, method)(path, **extra)
    if isinstance(body, Multipart):
        return client.post(path, data={**body, **body.make_files()}, **extra)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json", **extra)


def batch_of(reg, user, membership, text: str, name: str = "stock.csv") -> BatchCheck:
    """A batch check uploaded through the service and run at once."""
    batch = services.batch_create(
        user=user, membership=membership, file=csv_file(text, name), context="purchase"
    )
    services.batch_run(batch_id=batch.pk)
    return BatchCheck.objects.get(pk=batch.pk)


@dataclass
class Things:
    alert: Alert  # the police's boat: two hull numbers and an engine number
    customs_alert: Alert  # customs' alert sharing the first hull number (an overlap), with a VIN
    hit: Hit  # the marina checked the second hull number
    overlap: Overlap
    batch: BatchCheck  # the city's batch, with a line that hits


def make_things(reg) -> Things:
    alert = boat_alert(reg)
    customs_alert = boat_alert(
        reg,
        by=reg.customs,
        identifiers=[HIN_1, VIN],
        description="Boat seized at the border, hull number matches.",
        case_reference="TV-2026-0042",
    )
    result = services.check_identifier(user=reg.marina, membership=reg.m_marina, context="storage", **HIN_2)
    batch = batch_of(reg, reg.city, reg.m_city, "kind,value\nhin,NL-XYZ98765E505\nvin,1FAPP64R7LH123456\n")
    return Things(
        alert=alert,
        customs_alert=customs_alert,
        hit=Hit.objects.get(code=result.hit_code),
        overlap=Overlap.objects.get(partnership=reg.partnership),
        batch=batch,
    )


@pytest.fixture
def things(reg) -> Things:
    return make_things(reg)


PERSONAS = ("viewer", "city", "marina", "police", "customs")
REFUSED = {"anonymous": 401, "outsider": 404, "coordinator_b": 404}
ERROR_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "invalid"}


def _statuses(viewer, city, marina, police, customs) -> dict:
    return dict(zip(PERSONAS, (viewer, city, marina, police, customs), strict=True))


CHECKERS = _statuses(403, 200, 200, 200, 200)
LAW_ENFORCEMENT = _statuses(403, 403, 403, 200, 200)
OWNER = _statuses(403, 403, 403, 200, 403)  # the police unit owns the alert; customs is another unit
CITY_BATCH = _statuses(403, 200, 404, 404, 404)  # another organisation's batch is not there
COORDINATOR = _statuses(403, 403, 403, 200, 403)


def created(statuses: dict) -> dict:
    return {persona: 201 if status == 200 else status for persona, status in statuses.items()}


def endpoints(reg, t: Things) -> dict:
    """name: (method, path, body, {persona: status})."""
    x = base(reg)
    alert, hit, overlap = (
        f"{x}/alerts/{t.alert.code}",
        f"{x}/hits/{t.hit.code}",
        f"{x}/overlaps/{t.overlap.code}",
    )
    batch = f"{x}/batches/{t.batch.code}"
    engine = t.alert.identifiers.get(kind="engine")
    new_alert = {
        "category": "bicycle",
        "description": "Cargo bike, green, child seat.",
        "case_reference": "5000-K123999-26",
        "legal_basis": "Rättegångsbalken 27 kap.",
        "jurisdiction": "SE",
        "identifiers": [{"kind": "frame", "value": "WTU123456789K"}],
        "action": "contact",
    }
    export = json.dumps(services.alerts_export(user=reg.police, partnership=reg.partnership))
    import_ = Multipart(
        {"mapping": "safepact"},
        make_files=lambda: {
            "file": SimpleUploadedFile(
                "export.json", export.replace("5000-K123456-26", "5000-K000001-26").encode()
            )
        },
    )
    return {
        # Checks.
        "check": ("post", f"{x}/check", {**HIN_2, "context": "purchase"}, CHECKERS),
        "checks": ("post", f"{x}/checks", {"items": [HIN_2, VIN], "context": "purchase"}, CHECKERS),
        "check log": ("get", f"{x}/checks", None, CHECKERS),
        # Batches.
        "batches": ("get", f"{x}/batches", None, CHECKERS),
        "batch upload": (
            "post",
            f"{x}/batches",
            Multipart({"context": "purchase"}),
            created(CHECKERS),
        ),
        "batch": ("get", batch, None, CITY_BATCH),
        "batch hits": ("get", f"{batch}/hits", None, CITY_BATCH),
        # Alerts and identifiers.
        "alerts": ("get", f"{x}/alerts", None, LAW_ENFORCEMENT),
        "alert create": ("post", f"{x}/alerts", new_alert, created(LAW_ENFORCEMENT)),
        "alert": ("get", alert, None, LAW_ENFORCEMENT),
        "alert patch": ("patch", alert, {"action_note": "Call 114 14 at once."}, OWNER),
        "alert status": ("post", f"{alert}/status", {"status": "located", "reason": "Found."}, OWNER),
        "identifier add": (
            "post",
            f"{alert}/identifiers",
            {"kind": "imei", "value": "354178036859789"},
            created(OWNER),
        ),
        "identifier delete": (
            "delete",
            f"{alert}/identifiers/{engine.code}",
            None,
            {persona: 204 if status == 200 else status for persona, status in OWNER.items()},
        ),
        # Hits and overlaps.
        "hits": ("get", f"{x}/hits", None, LAW_ENFORCEMENT),
        "hit": ("get", hit, None, LAW_ENFORCEMENT),
        "hit decision": ("post", f"{hit}/decision", {"status": "confirmed", "note": "Ours."}, OWNER),
        "overlaps": ("get", f"{x}/overlaps", None, LAW_ENFORCEMENT),
        # Either unit owning one of the two alerts resolves an overlap.
        "overlap resolution": ("post", f"{overlap}/resolution", {"status": "same_object"}, LAW_ENFORCEMENT),
        # Search, export, import, settings.
        "search": ("get", f"{x}/search?kind=hin&value=SE-ABC12345D4O5", None, LAW_ENFORCEMENT),
        "export": ("get", f"{x}/export", None, LAW_ENFORCEMENT),
        "import": ("post", f"{x}/imports", import_, LAW_ENFORCEMENT),
        "settings": ("get", f"{x}/settings", None, _statuses(200, 200, 200, 200, 200)),
        "settings put": ("put", f"{x}/settings", {"escalation_hours": 6}, COORDINATOR),
    }


P = "/api/v1/partnerships/{code}/registry"
#: Each matrix entry and the OpenAPI operation it calls.
OPERATIONS = {
    "check": ("post", f"{P}/check"),
    "checks": ("post", f"{P}/checks"),
    "check log": ("get", f"{P}/checks"),
    "batches": ("get", f"{P}/batches"),
    "batch upload": ("post", f"{P}/batches"),
    "batch": ("get", f"{P}/batches/{{batch_code}}"),
    "batch hits": ("get", f"{P}/batches/{{batch_code}}/hits"),
    "alerts": ("get", f"{P}/alerts"),
    "alert create": ("post", f"{P}/alerts"),
    "alert": ("get", f"{P}/alerts/{{alert_code}}"),
    "alert patch": ("patch", f"{P}/alerts/{{alert_code}}"),
    "alert status": ("post", f"{P}/alerts/{{alert_code}}/status"),
    "identifier add": ("post", f"{P}/alerts/{{alert_code}}/identifiers"),
    "identifier delete": ("delete", f"{P}/alerts/{{alert_code}}/identifiers/{{identifier_code}}"),
    "hits": ("get", f"{P}/hits"),
    "hit": ("get", f"{P}/hits/{{hit_code}}"),
    "hit decision": ("post", f"{P}/hits/{{hit_code}}/decision"),
    "overlaps": ("get", f"{P}/overlaps"),
    "overlap resolution": ("post", f"{P}/overlaps/{{overlap_code}}/resolution"),
    "search": ("get", f"{P}/search"),
    "export": ("get", f"{P}/export"),
    "import": ("post", f"{P}/imports"),
    "settings": ("get", f"{P}/settings"),
    "settings put": ("put", f"{P}/settings"),
}


def spec_of(client) -> dict:
    return json.loads(client.get(f"{API}/openapi.json").content)


def is_ours(path: str) -> bool:
    return path.startswith(P + "/")


def test_the_matrix_names_every_endpoint(client, reg):
    """Every registry operation of the OpenAPI document is in the matrix, and nothing else: a new endpoint
    fails here until its access rules are tested."""
    client.force_login(reg.police)
    spec = spec_of(client)
    operations = {(method, path) for path, item in spec["paths"].items() for method in item if is_ours(path)}
    assert operations == set(OPERATIONS.values())


def test_every_operation_is_documented(client, reg):
    client.force_login(reg.police)
    spec = spec_of(client)
    for path, item in spec["paths"].items():
        if is_ours(path):
            for method, operation in item.items():
                assert len(operation.get("summary", "")) > 15, (method, path)
                assert operation["tags"] == ["registry"], (method, path)
                assert {"401", "403", "404"} <= set(operation["responses"]), (method, path)
                if method != "get":
                    assert {"409", "422"} <= set(operation["responses"]), (method, path)
    checks = [spec["paths"][f"{P}/check"]["post"], spec["paths"][f"{P}/checks"]["post"]]
    assert all("429" in operation["responses"] for operation in checks)


def test_the_matrix_is_consistent(reg, things):
    entries = endpoints(reg, things)
    assert set(entries) == set(OPERATIONS)
    for name, (method, path, _body, allowed) in entries.items():
        assert method == OPERATIONS[name][0], name
        assert path.startswith(base(reg)), name
        assert set(allowed) == set(PERSONAS), name
        if method != "get" or name in ("check log", "batches", "batch", "batch hits"):
            assert allowed["viewer"] == 403, f"{name}: a viewer may not check or write"


def check(response, status, before, method, context) -> str | None:
    """What is wrong with the answer to one call of the matrix (None: all is well)."""
    if response.status_code != status:
        return f"{context}: {response.status_code} instead of {status}: {response.content[:300]!r}"
    if status >= 400:
        if response.json()["code"] != ERROR_CODES[status]:
            return f"{context}: code {response.json()['code']!r}"
        if (AuditEvent.objects.count(), Check.objects.count()) != before:
            return f"{context}: a refused request changed something"
    elif method != "get" and AuditEvent.objects.count() <= before[0]:
        return f"{context}: a write left no audit event"
    return None


class _Undo(Exception):
    pass


def user_of(reg, persona):
    return {"viewer": reg.viewer, "city": reg.city, "police": reg.police}.get(persona) or getattr(
        reg, persona
    )


def attempt(client, reg, persona, name, entry, status) -> str | None:
    """One call of the matrix as ``persona``, undone afterwards (a savepoint), so that every call of a test
    starts from the same ``things``."""
    method, path, body, _allowed = entry
    client.logout()
    if persona != "anonymous":
        client.force_login(user_of(reg, persona))
    problem = None
    try:
        with transaction.atomic():
            before = (AuditEvent.objects.count(), Check.objects.count())
            problem = check(call(client, method, path, body), status, before, method, (name, persona))
            raise _Undo
    except _Undo:
        pass
    return problem


def test_role_matrix_refused(client, reg, things):
    """Anonymous 401; outsiders and B's coordinator 404; viewers 403 on every check and write. Nothing
    recorded, nothing logged."""
    problems = []
    for name, entry in endpoints(reg, things).items():
        refused = dict(REFUSED)
        if entry[3]["viewer"] == 403:
            refused["viewer"] = 403
        for persona, status in refused.items():
            problems.append(attempt(client, reg, persona, name, entry, status))
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("persona", PERSONAS)
def test_role_matrix_allowed(client, reg, things, persona):
    problems = [
        attempt(client, reg, persona, name, entry, entry[3][persona])
        for name, entry in endpoints(reg, things).items()
    ]
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


def test_the_role_is_refused_before_the_object_is_looked_up(client, reg, things):
    """A partner's or viewer's refusal names no object: an unknown code gives the same 403."""
    x = base(reg)
    nowhere = "00000000-0000-4000-8000-000000000000"
    for user, method, paths, body in (
        (reg.marina, "get", (f"{x}/alerts/{things.alert.code}", f"{x}/alerts/{nowhere}"), None),
        (
            reg.city,
            "post",
            (f"{x}/hits/{things.hit.code}/decision", f"{x}/hits/{nowhere}/decision"),
            {"status": "confirmed"},
        ),
        (reg.viewer, "get", (f"{x}/batches/{things.batch.code}", f"{x}/batches/{nowhere}"), None),
    ):
        client.force_login(user)
        first, second = (call(client, method, path, body) for path in paths)
        assert first.status_code == second.status_code == 403
        assert first.content == second.content
    assert Hit.objects.get(pk=things.hit.pk).status == "open"


def test_objects_of_another_partnership_are_not_found(client, reg, things):
    """B's alert, hit and overlap under A's partnership, A's under B's, an identifier of another alert: 404,
    nothing changed."""
    agent = law_enforcement_in_b(reg)
    b = reg.world.partnership_b
    theirs = services.alert_create(
        user=agent,
        partnership=b,
        category="boat",
        description="Sloep De Horst.",
        case_reference="LB-2026-0077",
        legal_basis="Art. 94 Sv",
        jurisdiction="NL",
        identifiers=[HIN_1, VIN],
    )
    x, xb = base(reg), base(reg, b)
    client.force_login(reg.police)
    for response in (
        client.get(f"{x}/alerts/{theirs.code}"),
        call(client, "patch", f"{x}/alerts/{theirs.code}", {"description": "Mine now."}),
        client.get(f"{xb}/alerts/{things.alert.code}"),
        client.get(f"{xb}/hits/{things.hit.code}"),
        call(client, "post", f"{x}/hits/{theirs.code}/decision", {"status": "rejected"}),
        call(client, "post", f"{xb}/overlaps/{things.overlap.code}/resolution", {"status": "dismissed"}),
        # Another alert's identifier under the police's own alert.
        call(
            client,
            "delete",
            f"{x}/alerts/{things.alert.code}/identifiers/{things.customs_alert.identifiers.first().code}",
        ),
    ):
        assert response.status_code == 404, response.content[:200]
        assert response.json()["code"] == "not_found"
    # The close-identifier search of A finds nothing of B's, even its exact value.
    response = client.get(f"{x}/search", {"kind": "vin", "value": VIN["value"]})
    assert {item["alert"]["code"] for item in response.json()["items"]} == {str(things.customs_alert.code)}
    assert Alert.objects.get(pk=theirs.pk).description == "Sloep De Horst."
    assert Identifier.objects.filter(alert=things.customs_alert).count() == 2
    assert client.get(f"{x}/alerts/not-a-code").status_code in (404, 422)
