"""Agreements API: the role matrix on every endpoint (anonymous 401, outsiders 404, viewers 403 on writes),
and objects of another partnership or agreement are not found. The helpers here serve the other
``test_api_*`` modules too."""

import json
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import PASSWORD
from safepact.agreements import selectors, services
from safepact.agreements.models import Agreement, Comment, Party
from safepact.agreements.tests import support
from safepact.audit.models import AuditEvent
from safepact.partnerships.models import Partner

API = "/api/v1"


def base(world, partnership=None) -> str:
    return f"{API}/partnerships/{(partnership or world.partnership_a).code}"


def url(world, agreement, suffix: str = "", partnership=None) -> str:
    return f"{base(world, partnership)}/agreements/{agreement.code}{suffix}"


def call(client, method: str, path: str, body=None):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def pdf_upload(data: bytes = b"not a pdf at all", name: str = "agreement.pdf") -> dict:
    return {"file": SimpleUploadedFile(name, data, content_type="application/pdf")}


def partners_of_a(world) -> dict:
    found = {p.organisation_id: p for p in Partner.objects.filter(partnership=world.partnership_a)}
    return {
        "police": found[world.org_police_a.pk],
        "city": found[world.org_city_a.pk],
        "shop": found[world.org_shop_a.pk],
    }


@dataclass
class Things:
    review: Agreement  # in review, parties police and city, one comment by the member
    signing: Agreement  # open for signature, nobody signed yet (police and city required)
    in_force: Agreement  # signed by its only party, the police
    comment: Comment
    police: Partner
    city: Partner
    shop: Partner

    def party(self, agreement: Agreement, partner: Partner) -> Party:
        return agreement.parties.get(partner=partner)


@pytest.fixture
def things(world) -> Things:
    support.signatories(world)
    partners = partners_of_a(world)
    police, city = partners["police"], partners["city"]
    review = support.draft(world, title="Sofielund covenant", partner_codes=[police.code, city.code])
    services.agreement_submit_for_review(actor=world.coordinator, agreement=support.reload(review))
    comment = services.comment_add(
        actor=world.member, agreement=support.reload(review), section="", body="More street lamps."
    )
    signing = support.to_signing(world, support.draft(world, title="Code of conduct", kind="code_of_conduct"))
    in_force = support.to_signing(world, support.draft(world, kind="mou", partner_codes=[police.code]))
    support.sign(world.coordinator, in_force)
    return Things(
        review=support.reload(review),
        signing=signing,
        in_force=support.reload(in_force),
        comment=comment,
        police=police,
        city=city,
        shop=partners["shop"],
    )


READERS = {"viewer": 200, "member": 200, "coordinator": 200}
COORDINATOR = {"viewer": 403, "member": 403}


def endpoints(w, t: Things) -> dict:
    """name: (method, path, body, {persona: status}); personas not named: coordinator 2xx as given."""
    today = selectors.today().isoformat()
    review, signing = url(w, t.review), url(w, t.signing)
    return {
        "list": ("get", f"{base(w)}/agreements", None, READERS),
        "create": ("post", f"{base(w)}/agreements", {"kind": "mou"}, {**COORDINATOR, "coordinator": 201}),
        "detail": ("get", review, None, READERS),
        "patch": ("patch", review, {"title": "Renamed"}, {**COORDINATOR, "coordinator": 200}),
        "transition": (
            "post",
            f"{review}/transitions",
            {"action": "draft"},
            {**COORDINATOR, "coordinator": 200},
        ),
        "versions": ("get", f"{review}/versions", None, READERS),
        "version save": (
            "post",
            f"{review}/versions",
            {"body": "# Covenant\n\n## Parties\n\nUs.\n", "note": "shorter"},
            {**COORDINATOR, "coordinator": 201},
        ),
        "version": ("get", f"{review}/versions/1", None, READERS),
        "pdf": ("get", f"{review}/versions/1/pdf", None, READERS),
        "docx": ("get", f"{review}/versions/1/docx", None, READERS),
        "compare": ("get", f"{review}/compare?from=1&to=1", None, READERS),
        "parties": ("get", f"{review}/parties", None, READERS),
        "party add": (
            "post",
            f"{review}/parties",
            {"partner": str(t.shop.code)},
            {**COORDINATOR, "coordinator": 201},
        ),
        "party patch": (
            "patch",
            f"{review}/parties/{t.party(t.review, t.city).code}",
            {"required": False},
            {**COORDINATOR, "coordinator": 200},
        ),
        "party delete": (
            "delete",
            f"{review}/parties/{t.party(t.review, t.city).code}",
            None,
            {**COORDINATOR, "coordinator": 204},
        ),
        "withdraw": (
            "post",
            f"{signing}/parties/{t.party(t.signing, t.city).code}/withdraw",
            {"on_date": today, "reason": "The city council decided so."},
            {"viewer": 403, "member": 200, "coordinator": 200},  # the city's own signatory may
        ),
        "signatures": ("get", f"{signing}/signatures", None, READERS),
        "sign": (
            "post",
            f"{signing}/sign",
            {"password": PASSWORD},
            {"viewer": 403, "member": 201, "coordinator": 201},
        ),
        "accede": (
            "post",
            f"{url(w, t.in_force)}/accede",
            {"password": PASSWORD},
            {"viewer": 403, "member": 201, "coordinator": 422},  # the police is a party already
        ),
        "comments": ("get", f"{review}/comments", None, READERS),
        "comment add": (
            "post",
            f"{review}/comments",
            {"body": "And benches."},
            {"viewer": 403, "member": 201, "coordinator": 201},
        ),
        "comment resolve": (
            "post",
            f"{review}/comments/{t.comment.code}/resolve",
            None,
            {"viewer": 403, "member": 200, "coordinator": 200},
        ),
        "verify": (
            "post",
            f"{base(w)}/agreements/verify",
            "upload",
            {"viewer": 422, "member": 422, "coordinator": 422},
        ),
        "settings": ("get", f"{base(w)}/agreement-settings", None, READERS),
        "settings put": (
            "put",
            f"{base(w)}/agreement-settings",
            {"require_confidentiality": True, "review_notice_days": 14, "expiry_notice_days": 90},
            {**COORDINATOR, "coordinator": 200},
        ),
        "gate": ("get", f"{base(w)}/agreement-gate", None, READERS),
        "templates": ("get", f"{base(w)}/agreement-templates", None, READERS),
    }


P = "/api/v1/partnerships/{code}"
A = P + "/agreements/{agreement_code}"
#: Each matrix entry and the OpenAPI operation it calls.
OPERATIONS = {
    "list": ("get", f"{P}/agreements"),
    "create": ("post", f"{P}/agreements"),
    "detail": ("get", A),
    "patch": ("patch", A),
    "transition": ("post", f"{A}/transitions"),
    "versions": ("get", f"{A}/versions"),
    "version save": ("post", f"{A}/versions"),
    "version": ("get", f"{A}/versions/{{number}}"),
    "pdf": ("get", f"{A}/versions/{{number}}/pdf"),
    "docx": ("get", f"{A}/versions/{{number}}/docx"),
    "compare": ("get", f"{A}/compare"),
    "parties": ("get", f"{A}/parties"),
    "party add": ("post", f"{A}/parties"),
    "party patch": ("patch", f"{A}/parties/{{party_code}}"),
    "party delete": ("delete", f"{A}/parties/{{party_code}}"),
    "withdraw": ("post", f"{A}/parties/{{party_code}}/withdraw"),
    "signatures": ("get", f"{A}/signatures"),
    "sign": ("post", f"{A}/sign"),
    "accede": ("post", f"{A}/accede"),
    "comments": ("get", f"{A}/comments"),
    "comment add": ("post", f"{A}/comments"),
    "comment resolve": ("post", f"{A}/comments/{{comment_code}}/resolve"),
    "verify": ("post", f"{P}/agreements/verify"),
    "settings": ("get", f"{P}/agreement-settings"),
    "settings put": ("put", f"{P}/agreement-settings"),
    "gate": ("get", f"{P}/agreement-gate"),
    "templates": ("get", f"{P}/agreement-templates"),
}
NAMES = list(OPERATIONS)
ERROR_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 422: "invalid"}
#: Personas refused before anything is looked up; the viewer too on writes (in the same test, since a
#: refusal changes nothing). The others each get a fresh world, as their call may change it.
REFUSED = {"anonymous": 401, "outsider": 404, "coordinator_b": 404}
ALLOWED = [
    (name, persona)
    for name, (method, _path) in OPERATIONS.items()
    for persona in ("viewer", "member", "coordinator")
    if not (persona == "viewer" and method != "get" and name != "verify")
]


def send(client, method, path, body):
    if body == "upload":
        return client.post(path, pdf_upload())
    return call(client, method, path, body)


def test_the_matrix_names_every_endpoint(client, world):
    """Every agreements operation of the OpenAPI document is in the matrix, and nothing else."""
    client.force_login(world.coordinator)
    spec = json.loads(client.get(f"{API}/openapi.json").content)
    operations = {
        (method, path) for path, item in spec["paths"].items() for method in item if "/agreement" in path
    }
    assert operations == set(OPERATIONS.values())


def test_the_matrix_is_consistent(world, things):
    entries = endpoints(world, things)
    assert set(entries) == set(OPERATIONS)
    for name, (method, path, _body, allowed) in entries.items():
        assert method == OPERATIONS[name][0], name
        assert path.startswith(API), name
        if method != "get" and name != "verify":
            assert allowed["viewer"] == 403, f"{name}: a viewer may not write"


def check(response, status, before, method, context):
    assert response.status_code == status, (*context, response.content[:300])
    if status >= 400:
        assert response.json()["code"] == ERROR_CODES[status]
        assert AuditEvent.objects.count() == before, "a refused request changes nothing"
    elif method != "get":
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
        check(send(client, method, path, body), status, before, method, (name, persona))


@pytest.mark.parametrize(("name", "persona"), ALLOWED)
def test_role_matrix_allowed(client, world, things, name, persona):
    method, path, body, allowed = endpoints(world, things)[name]
    client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()
    check(send(client, method, path, body), allowed[persona], before, method, (name, persona))


def test_objects_of_another_partnership_or_agreement_are_not_found(client, world, things):
    theirs = services.agreement_create(actor=world.coordinator_b, partnership=world.partnership_b, kind="mou")
    their_party = theirs.parties.get()
    client.force_login(world.coordinator)
    # B's agreement under A's partnership, and A's agreement under B's partnership.
    assert client.get(url(world, theirs)).status_code == 404
    assert call(client, "patch", url(world, theirs), {"title": "Mine"}).status_code == 404
    assert client.get(url(world, things.review, partnership=world.partnership_b)).status_code == 404
    # B's party, and a party or comment of another of A's agreements.
    review = url(world, things.review)
    assert (
        call(client, "patch", f"{review}/parties/{their_party.code}", {"required": False}).status_code == 404
    )
    other_party = things.party(things.signing, things.city)
    assert call(client, "delete", f"{review}/parties/{other_party.code}").status_code == 404
    assert (
        call(
            client,
            "post",
            f"{url(world, things.signing)}/parties/{things.party(things.review, things.city).code}/withdraw",
            {"on_date": "2030-01-01", "reason": "x"},
        ).status_code
        == 404
    )
    assert (
        client.post(f"{url(world, things.signing)}/comments/{things.comment.code}/resolve").status_code == 404
    )
    # A version number the agreement does not have; a code that is no UUID at all.
    assert client.get(f"{review}/versions/9").status_code == 404
    assert client.get(f"{review}/versions/9/pdf").status_code == 404
    assert client.get(f"{base(world)}/agreements/not-a-code").status_code in (404, 422)
    assert Party.objects.filter(pk=their_party.pk, required=True).exists()
