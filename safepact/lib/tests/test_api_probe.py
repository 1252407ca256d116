"""The cross-partnership probe: walk every GET path of the OpenAPI document and look for B.

As people of partnership A (a member and a coordinator) we call every GET endpoint the API
publishes, filled in with A's codes, and collect every string in the answers: nothing that
belongs to partnership B may be among them. Then we call every partnership-scoped GET endpoint
with B's codes (and with A's partnership but B's objects): each must answer 404.

The probe is driven by ``/api/v1/openapi.json``, so a new endpoint is probed without anyone
remembering to add it. A path parameter the probe cannot fill in, or a required query parameter
it does not know, fails the test: teach the probe instead of letting it skip the endpoint.
"""

import json
import re

import pytest

from conftest import add_member, make_user
from safepact.accounts.models import ApiToken
from safepact.audit.models import AuditEvent
from safepact.partnerships.models import Invitation, Membership, Partner
from safepact.partnerships.services import invitation_create

API = "/api/v1"

# A path parameter is named by the collection segment just before it: ".../partners/{partner_code}".
# Each maps to the key of the object's code on a side (A or B).
COLLECTIONS = {
    "partnerships": "partnership",
    "organisations": "organisation",
    "partners": "partner",
    "members": "member",
    "invitations": "invitation",
}
# Query parameters the probe knows (value None: left out); extra variants to walk for some paths.
# An unknown one fails the test: a filter naming an object could be a way into B.
KNOWN_QUERY = {"limit": "500", "offset": "0", "format": "json", "action": None, "since": None, "until": None}
VARIANTS = {"/api/v1/partnerships/{code}/audit/export": [{"format": "json"}, {"format": "csv"}]}
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
}


@pytest.fixture
def sides(world):
    """Both partnerships with something in every collection: a second member, a pending invitation."""
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
    return {
        "A": {
            "partnership": world.partnership_a.code,
            "organisation": world.org_city_a.code,
            "partner": world.membership_member.partner.code,
            "member": world.membership_member.code,
            "invitation": invitation_a.code,
        },
        "B": {
            "partnership": world.partnership_b.code,
            "organisation": world.org_b.code,
            "partner": m_b.partner.code,
            "member": b_coordinator_membership.code,
            "invitation": invitation_b.code,
        },
    }


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
    found = {str(b.code), b.name, b.purpose}
    for partner in partners:
        found.add(str(partner.code))
        if partner.organisation_id not in a_orgs:
            found |= {str(partner.organisation.code), partner.organisation.name}
    for membership in members:
        found.add(str(membership.code))
        if membership.user_id not in a_people:
            found |= {str(membership.user.code), membership.user.email, membership.user.full_name}
    for invitation in Invitation.objects.filter(partnership=b):
        found |= {str(invitation.code), invitation.email, invitation.message, invitation.token_hash}
    for event in AuditEvent.objects.filter(partnership_code=str(b.code)):
        found |= {str(event.code), event.hash}
    found |= set(ApiToken.objects.filter(user=world.coordinator_b).values_list("hint", flat=True))
    found.discard("")
    assert {str(b.code), world.org_b.name, world.coordinator_b.email} <= found
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
        match = re.fullmatch(r"\{(\w+)\}", segment)
        if not match:
            continue
        collection = segments[i - 1]
        if collection not in COLLECTIONS:
            pytest.fail(
                f"The probe does not know how to fill {segment} in {path}: add its collection "
                f"{collection!r} to COLLECTIONS in {__name__} (with codes on both sides)."
            )
        key = COLLECTIONS[collection]
        segments[i] = str((override or {}).get(key, codes[key]))
    return "/".join(segments)


def queries_for(path: str, operation: dict) -> list[dict]:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query" and parameter["name"] not in KNOWN_QUERY:
            pytest.fail(
                f"The probe does not know the query parameter {parameter['name']!r} of {path}: add it to "
                "KNOWN_QUERY (and, if it names an object, a variant that tries B's code in VARIANTS)."
            )
    return VARIANTS.get(path, [{"limit": "500"} if _paginated(operation) else {}])


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


def test_openapi_lists_every_path_and_the_docs_answer(client, world):
    schema = openapi(client)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == EXPECTED_PATHS
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert operation.get("security"), f"{method.upper()} {path} must require authentication"
    assert client.get(f"{API}/docs").status_code == 200


def test_openapi_never_exposes_integer_ids_or_secrets(client, world):
    schema = openapi(client)
    for name, component in schema["components"]["schemas"].items():
        properties = set(component.get("properties", {}))
        assert not properties & {"id", "pk", "token", "token_hash", "password", "secret"}, name


@pytest.mark.parametrize("persona", ["viewer", "member", "coordinator"])
def test_nothing_of_b_reaches_a_member_of_a(client, world, sides, persona):
    client.force_login(getattr(world, persona))
    operations = get_operations(openapi(client))
    assert set(operations) >= {p for p in EXPECTED_PATHS if not p.endswith("/revoke")}
    secrets = secrets_of_b(world)

    seen: set[str] = set()
    walked = []
    for path, operation in sorted(operations.items()):
        url = fill(path, sides["A"])
        for query in queries_for(path, operation):
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
            text = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
            leaked = sorted(s for s in secrets if s in text)
            assert not leaked, f"{path} {query} shows B's {leaked}"
            if response["Content-Type"].startswith("application/json"):
                strings_in(json.loads(text), seen)
            else:
                seen |= set(re.split(r"[,\r\n]", text))

    assert not seen & secrets
    # A positive control: the probe did see A's objects, so an empty answer cannot pass for safety.
    expected_of_a = {str(world.partnership_a.code), str(world.membership_member.code), world.org_city_a.name}
    assert expected_of_a <= seen
    if persona == "coordinator":
        assert str(sides["A"]["invitation"]) in seen
        assert any(
            e.hash in seen for e in AuditEvent.objects.filter(partnership_code=str(world.partnership_a.code))
        )
    assert len(walked) >= len(operations)


@pytest.mark.parametrize("persona", ["viewer", "member", "coordinator"])
def test_codes_of_b_answer_404(client, world, sides, persona):
    client.force_login(getattr(world, persona))
    operations = get_operations(openapi(client))
    scoped = [p for p in operations if p.startswith(PARTNERSHIP_SCOPED) or p == "/api/v1/partnerships/{code}"]
    assert len(scoped) >= 8
    before = AuditEvent.objects.count()
    for path, operation in sorted(operations.items()):
        params = re.findall(r"\{(\w+)\}", path)
        if not params:
            continue
        attempts = [fill(path, sides["B"])]
        if len(params) > 1:
            # A's partnership, B's object: the object must be looked up inside A.
            attempts.append(fill(path, sides["B"], override={"partnership": sides["A"]["partnership"]}))
        for url in attempts:
            for query in queries_for(path, operation):
                response = client.get(url, query)
                assert response.status_code == 404, (url, response.status_code, response.content[:300])
                assert response.json()["code"] == "not_found"
    assert AuditEvent.objects.count() == before, "a refused request must record nothing (no export of B)"


def test_probe_fails_on_a_path_it_cannot_fill():
    """The probe's own guard: an unknown collection is an error, never a silent skip."""
    with pytest.raises(pytest.fail.Exception, match="does not know how to fill"):
        fill("/api/v1/partnerships/{code}/meetings/{meeting_code}", {"partnership": "x"})
    with pytest.raises(pytest.fail.Exception, match="query parameter 'q'"):
        queries_for("/api/v1/x", {"parameters": [{"in": "query", "name": "q", "required": False}]})
