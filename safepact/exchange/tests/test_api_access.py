"""Exchange API: the role matrix on every operation (anonymous 401, outsiders and the other partnership's
coordinator 404, viewers 403 on every write), the matrix checked against the OpenAPI document (a new
exchange endpoint that is not in it fails), and objects of another partnership are not found. The helpers
and the ``things`` fixture here serve the other ``test_api_*`` modules too."""

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction

from conftest import add_member
from safepact.audit.models import AuditEvent
from safepact.exchange import services
from safepact.exchange.models import Assessment, Attachment, DataFlow, Document, InformationRequest, Post
from safepact.exchange.tests.factories import (  # noqa: F401 - fixtures
    make_document,
    make_post,
    media_root,
    upload,
)
from safepact.exchange.tests.register_factories import make_flow
from safepact.lib import clock
from safepact.partnerships.models import Membership, Partner
from safepact.partnerships.services import partnership_create

API = "/api/v1"
SAFES = ("people", "projects", "settings", "data", "outputs")


@pytest.fixture(autouse=True)
def _media(media_root):  # noqa: F811 - the fixture imported above
    return media_root


def base(world, partnership=None) -> str:
    return f"{API}/partnerships/{(partnership or world.partnership_a).code}/exchange"


class Multipart(dict):
    """A multipart body: the form fields, and a fresh ``file`` made by ``make_file()`` on every call."""

    def __init__(self, fields=None, make_file=lambda: upload("note.txt", b"Sofielund notes.\n")):
        super().__init__(fields or {})
        self.make_file = make_file


def call(client, method: str, path: str, body=None, **extra):
    if body is None:
        return getattr(client, method)(path, **extra)
    if isinstance(body, Multipart):
        data = dict(body)
        file = body.make_file()
        if file is not None:
            data["file"] = file
        return client.post(path, data=data, **extra)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json", **extra)


def partner_of(world, user, partnership=None) -> Partner:
    return Membership.objects.get(user=user, partner__partnership=partnership or world.partnership_a).partner


def request_fields(world, *, to, **overrides) -> dict:
    """What ``request_create`` needs, asking the partners ``to``."""
    fields = {
        "title": "Recovered outboard engine",
        "question": "Who bought the engine with serial 12345?",
        "purpose": "Find the last owner of a stolen engine.",
        "legal_basis": "public_task",
        "national_provision": "",
        "data_categories": [],
        "deadline": clock.today() + timedelta(days=14),
        "tlp": "green",
        "recipient_partners": list(to),
    }
    fields.update(overrides)
    return fields


def make_request(world, actor, *, to, submit=False, partnership=None, **overrides) -> InformationRequest:
    request = services.request_create(
        actor=actor,
        partnership=partnership or world.partnership_a,
        **request_fields(world, to=to, **overrides),
    )
    if submit:
        request = services.request_submit(actor=actor, request=request)
    return InformationRequest.objects.get(pk=request.pk)


def answer_all(actor, assessment, *, risk="low"):
    for safe in SAFES:
        services.assessment_answer_set(
            actor=actor, assessment=assessment, safe=safe, answer=f"Fine for {safe}.", risk=risk
        )
    return Assessment.objects.get(pk=assessment.pk)


@dataclass
class Things:
    post: Post  # GREEN, by the member (the city), with a text file
    attachment: Attachment
    document: Document  # GREEN, by the member, one version
    sent: InformationRequest  # by the coordinator (police) to the city, sent
    draft: InformationRequest  # by the member (city) to the police, a draft
    assessment: Assessment  # asked by the member, all five safes answered, still a draft
    submitted: Assessment  # asked by the member, submitted for a decision
    flow: DataFlow
    elsewhere: object  # a third partnership where the coordinator and the member both write


def make_things(world) -> Things:
    post = make_post(
        world,
        world.member,
        title="Sofielund bicycle thefts",
        body="Sofielund: bikes taken at the station.",
        files=[upload("sofielund.txt", b"Sofielund station, three bikes.\n")],
    )
    document = make_document(world, world.member, title="Sofielund lighting plan")
    city, police = partner_of(world, world.member), partner_of(world, world.coordinator)
    sent = make_request(world, world.coordinator, to=[city], submit=True, title="Sofielund engine")
    draft = make_request(world, world.member, to=[police], title="Sofielund scooters")
    assessment = services.assessment_create(
        actor=world.member, partnership=world.partnership_a, title="Five Safes: Sofielund camera feed"
    )
    assessment = answer_all(world.member, assessment)
    submitted = answer_all(
        world.member,
        services.assessment_create(
            actor=world.member, partnership=world.partnership_a, title="Five Safes: Sofielund shop data"
        ),
    )
    submitted = services.assessment_submit(actor=world.member, assessment=submitted)
    flow = make_flow(world)
    elsewhere = partnership_create(
        actor=world.coordinator,
        organisation=world.org_police_a,
        name="Malmö harbour partnership",
        purpose="A safe harbour.",
        country="SE",
        crime_areas=["burglary"],
    )
    add_member(
        coordinator=world.coordinator,
        partnership=elsewhere,
        user=world.member,
        role="member",
        organisation=world.org_city_a,
    )
    return Things(
        post=post,
        attachment=post.attachments.get(),
        document=document,
        sent=sent,
        draft=draft,
        assessment=assessment,
        submitted=submitted,
        flow=flow,
        elsewhere=elsewhere,
    )


@pytest.fixture
def things(world) -> Things:
    return make_things(world)


READERS = {"viewer": 200, "member": 200, "coordinator": 200}
WRITERS = {"viewer": 403, "member": 201, "coordinator": 201}
COORDINATOR = {"viewer": 403, "member": 403}
AUTHOR = {"viewer": 403, "member": 200, "coordinator": 200}  # the member wrote it; coordinators may too


def endpoints(w, t: Things) -> dict:
    """name: (method, path, body, {persona: status})."""
    x = base(w)
    post, document, sent, draft = (
        f"{x}/posts/{t.post.code}",
        f"{x}/documents/{t.document.code}",
        f"{x}/requests/{t.sent.code}",
        f"{x}/requests/{t.draft.code}",
    )
    assessment, submitted = f"{x}/assessments/{t.assessment.code}", f"{x}/assessments/{t.submitted.code}"
    both = [str(w.org_city_a.code), str(w.org_police_a.code)]
    relabel = {"tlp": "amber", "recipient_organisations": both}
    shop = str(partner_of(w, w.viewer).code)
    police, city = partner_of(w, w.coordinator), partner_of(w, w.member)
    return {
        # Posts and their files.
        "posts": ("get", f"{x}/posts", None, READERS),
        "post create": (
            "post",
            f"{x}/posts",
            {"kind": "warning", "title": "Sofielund pickpockets", "body": "At the market.", "tlp": "green"},
            WRITERS,
        ),
        "export": ("get", f"{x}/exports/posts", None, READERS),
        "post": ("get", post, None, READERS),
        "post patch": ("patch", post, {"title": "Sofielund bicycle thefts (update)"}, AUTHOR),
        "post delete": ("delete", post, None, {"viewer": 403, "member": 204, "coordinator": 204}),
        "post label": ("post", f"{post}/label", relabel, AUTHOR),
        "post forward": (
            "post",
            f"{post}/forward",
            {"partnership": str(t.elsewhere.code)},
            WRITERS,
        ),
        "access log": ("get", f"{post}/access-log", None, AUTHOR),
        "attachment add": (
            "post",
            f"{post}/attachments",
            Multipart(),
            {**AUTHOR, "member": 201, "coordinator": 201},
        ),
        "file": ("get", f"{x}/files/{t.attachment.code}", None, READERS),
        # Documents and versions.
        "documents": ("get", f"{x}/documents", None, READERS),
        "document create": (
            "post",
            f"{x}/documents",
            Multipart({"title": "Sofielund camera map", "tlp": "green"}),
            WRITERS,
        ),
        "document": ("get", document, None, READERS),
        "document patch": ("patch", document, {"title": "Sofielund lighting plan 2"}, AUTHOR),
        "document label": ("post", f"{document}/label", relabel, AUTHOR),
        "version add": ("post", f"{document}/versions", Multipart({"note": "Corrected."}), WRITERS),
        "version file": ("get", f"{x}/versions/{t.document.versions.get().code}/file", None, READERS),
        # Information requests.
        "requests": ("get", f"{x}/requests", None, READERS),
        "request create": (
            "post",
            f"{x}/requests",
            {
                **request_fields(w, to=[shop]),
                "deadline": (clock.today() + timedelta(days=7)).isoformat(),
            },
            WRITERS,
        ),
        "request": ("get", sent, None, READERS),
        # The member asked for the draft: only they change, relabel or send it (coordinators relabel too).
        "request patch": (
            "patch",
            draft,
            {"title": "Sofielund scooters (update)"},
            {**AUTHOR, "coordinator": 403},
        ),
        "request label": ("post", f"{draft}/label", relabel, AUTHOR),
        "request submit": ("post", f"{draft}/submit", None, {**AUTHOR, "coordinator": 403}),
        # Sent by the police to the city: the city answers or declines; the police (requester) closes.
        "request answer": (
            "post",
            f"{sent}/answers",
            {"text": "Sold to a dealer in Lund."},
            {"viewer": 403, "member": 201, "coordinator": 403},
        ),
        "request decline": (
            "post",
            f"{sent}/decline",
            {"reason": "We keep no sales records."},
            {"viewer": 403, "member": 201, "coordinator": 403},
        ),
        "request close": ("post", f"{sent}/close", None, {"viewer": 403, "member": 403, "coordinator": 200}),
        # Five Safes assessments (asked by the member).
        "questions": ("get", f"{x}/five-safes/questions", None, READERS),
        "assessments": ("get", f"{x}/assessments", None, READERS),
        "assessment": ("get", assessment, None, AUTHOR),
        "assessment answer": (
            "put",
            f"{assessment}/answers/data",
            {"answer": "Pseudonymised before it is shared.", "risk": "medium", "mitigations": "Hashing."},
            AUTHOR,
        ),
        "assessment submit": ("post", f"{assessment}/submit", None, AUTHOR),
        "assessment decision": (
            "post",
            f"{submitted}/decision",
            {"decision": "approved"},
            {**COORDINATOR, "coordinator": 200},
        ),
        # The register.
        "flows": ("get", f"{x}/flows", None, READERS),
        "flow create": (
            "post",
            f"{x}/flows",
            {
                "title": "Sofielund shop camera footage",
                "purpose": "Identify shoplifters.",
                "legal_basis": "legitimate_interests",
                "data_subjects": "Visitors of the shops",
                "data_categories": ["images"],
                "retention": "28 days",
                "security_measures": "Encrypted storage.",
                "review_on": (clock.today() + timedelta(days=90)).isoformat(),
                "parties": [
                    {"partner": str(police.code), "role": "controller", "part": "receives"},
                    {"partner": str(city.code), "role": "processor", "part": "provides"},
                ],
            },
            {**COORDINATOR, "coordinator": 201},
        ),
        "flow": ("get", f"{x}/flows/{t.flow.code}", None, READERS),
        "flow patch": (
            "patch",
            f"{x}/flows/{t.flow.code}",
            {"retention": "One year after the case is closed"},
            {**COORDINATOR, "coordinator": 200},
        ),
        "art30": ("get", f"{x}/register/art30", None, READERS),
        # Search and settings.
        "search": ("get", f"{x}/search?q=Sofielund", None, READERS),
        "settings": ("get", f"{x}/settings", None, {**COORDINATOR, "coordinator": 200}),
        "settings put": ("put", f"{x}/settings", {"reminder_days": 3}, {**COORDINATOR, "coordinator": 200}),
    }


P = "/api/v1/partnerships/{code}/exchange"
#: Each matrix entry and the OpenAPI operation it calls.
OPERATIONS = {
    "posts": ("get", f"{P}/posts"),
    "post create": ("post", f"{P}/posts"),
    "export": ("get", f"{P}/exports/posts"),
    "post": ("get", f"{P}/posts/{{post_code}}"),
    "post patch": ("patch", f"{P}/posts/{{post_code}}"),
    "post delete": ("delete", f"{P}/posts/{{post_code}}"),
    "post label": ("post", f"{P}/posts/{{post_code}}/label"),
    "post forward": ("post", f"{P}/posts/{{post_code}}/forward"),
    "access log": ("get", f"{P}/posts/{{post_code}}/access-log"),
    "attachment add": ("post", f"{P}/posts/{{post_code}}/attachments"),
    "file": ("get", f"{P}/files/{{attachment_code}}"),
    "documents": ("get", f"{P}/documents"),
    "document create": ("post", f"{P}/documents"),
    "document": ("get", f"{P}/documents/{{document_code}}"),
    "document patch": ("patch", f"{P}/documents/{{document_code}}"),
    "document label": ("post", f"{P}/documents/{{document_code}}/label"),
    "version add": ("post", f"{P}/documents/{{document_code}}/versions"),
    "version file": ("get", f"{P}/versions/{{version_code}}/file"),
    "requests": ("get", f"{P}/requests"),
    "request create": ("post", f"{P}/requests"),
    "request": ("get", f"{P}/requests/{{request_code}}"),
    "request patch": ("patch", f"{P}/requests/{{request_code}}"),
    "request label": ("post", f"{P}/requests/{{request_code}}/label"),
    "request submit": ("post", f"{P}/requests/{{request_code}}/submit"),
    "request answer": ("post", f"{P}/requests/{{request_code}}/answers"),
    "request decline": ("post", f"{P}/requests/{{request_code}}/decline"),
    "request close": ("post", f"{P}/requests/{{request_code}}/close"),
    "questions": ("get", f"{P}/five-safes/questions"),
    "assessments": ("get", f"{P}/assessments"),
    "assessment": ("get", f"{P}/assessments/{{assessment_code}}"),
    "assessment answer": ("put", f"{P}/assessments/{{assessment_code}}/answers/{{safe}}"),
    "assessment submit": ("post", f"{P}/assessments/{{assessment_code}}/submit"),
    "assessment decision": ("post", f"{P}/assessments/{{assessment_code}}/decision"),
    "flows": ("get", f"{P}/flows"),
    "flow create": ("post", f"{P}/flows"),
    "flow": ("get", f"{P}/flows/{{flow_code}}"),
    "flow patch": ("patch", f"{P}/flows/{{flow_code}}"),
    "art30": ("get", f"{P}/register/art30"),
    "search": ("get", f"{P}/search"),
    "settings": ("get", f"{P}/settings"),
    "settings put": ("put", f"{P}/settings"),
}
NAMES = list(OPERATIONS)
ERROR_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "invalid"}
REFUSED = {"anonymous": 401, "outsider": 404, "coordinator_b": 404}


def is_ours(path: str) -> bool:
    return path.startswith(P + "/") or path == P


def spec_of(client) -> dict:
    return json.loads(client.get(f"{API}/openapi.json").content)


def test_the_matrix_names_every_endpoint(client, world):
    """Every exchange operation of the OpenAPI document is in the matrix, and nothing else: a new endpoint
    fails here until its access rules are tested."""
    client.force_login(world.coordinator)
    spec = spec_of(client)
    operations = {(method, path) for path, item in spec["paths"].items() for method in item if is_ours(path)}
    assert operations == set(OPERATIONS.values())


def test_every_operation_is_documented(client, world):
    client.force_login(world.coordinator)
    spec = spec_of(client)
    for path, item in spec["paths"].items():
        if is_ours(path):
            for method, operation in item.items():
                assert len(operation.get("summary", "")) > 15, (method, path)
                assert operation["tags"] == ["exchange"], (method, path)
                assert {"401", "404"} <= set(operation["responses"]), (method, path)
                if method != "get":
                    assert {"403", "404", "409", "422"} <= set(operation["responses"]), (method, path)


def test_the_matrix_is_consistent(world, things):
    entries = endpoints(world, things)
    assert set(entries) == set(OPERATIONS)
    for name, (method, path, _body, allowed) in entries.items():
        assert method == OPERATIONS[name][0], name
        assert path.startswith(base(world)), name
        assert set(allowed) == {"viewer", "member", "coordinator"}, name
        if method != "get":
            assert allowed["viewer"] == 403, f"{name}: a viewer may not write"


def check(response, status, before, method, context) -> str | None:
    """What is wrong with the answer to one call of the matrix (None: all is well)."""
    if response.status_code != status:
        return f"{context}: {response.status_code} instead of {status}: {response.content[:300]!r}"
    if status >= 400:
        if response.json()["code"] != ERROR_CODES[status]:
            return f"{context}: code {response.json()['code']!r}"
        if AuditEvent.objects.count() != before:
            return f"{context}: a refused request changed something"
    elif method != "get" and AuditEvent.objects.count() <= before:
        return f"{context}: a write left no audit event"
    return None


class _Undo(Exception):
    pass


def attempt(client, world, persona, name, entry, status) -> str | None:
    """One call of the matrix as ``persona``, undone afterwards (a savepoint), so that every call of a test
    starts from the same ``things``."""
    method, path, body, _allowed = entry
    client.logout()
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    problem = None
    try:
        with transaction.atomic():
            before = AuditEvent.objects.count()
            problem = check(call(client, method, path, body), status, before, method, (name, persona))
            raise _Undo
    except _Undo:
        pass
    return problem


def test_role_matrix_refused(client, world, things):
    """Anonymous 401; outsiders and B's coordinator 404; viewers 403 on every write. Nothing recorded."""
    problems = []
    for name, entry in endpoints(world, things).items():
        refused = dict(REFUSED)
        if entry[3]["viewer"] == 403:
            refused["viewer"] = 403
        for persona, status in refused.items():
            problems.append(attempt(client, world, persona, name, entry, status))
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("persona", ["viewer", "member", "coordinator"])
def test_role_matrix_allowed(client, world, things, persona):
    problems = [
        attempt(client, world, persona, name, entry, entry[3][persona])
        for name, entry in endpoints(world, things).items()
    ]
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


def test_a_viewer_is_refused_before_anything_is_read_or_stored(client, world, things):
    """The role comes first: a viewer's write names no object (an unknown code gives the same 403)."""
    client.force_login(world.viewer)
    x = base(world)
    for path in (f"{x}/posts/{things.post.code}", f"{x}/posts/00000000-0000-4000-8000-000000000000"):
        response = call(client, "patch", path, {"title": "Mine now"})
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert Post.objects.get(pk=things.post.pk).title == "Sofielund bicycle thefts"


def test_objects_of_another_partnership_are_not_found(client, world, things):
    """B's objects under A's partnership, and A's objects under B's: 404, nothing changed."""
    theirs = make_post(world, world.coordinator_b, partnership=world.partnership_b, title="De Horst")
    their_document = make_document(world, world.coordinator_b, partnership=world.partnership_b)
    client.force_login(world.coordinator)
    x, xb = base(world), base(world, world.partnership_b)
    for response in (
        client.get(f"{x}/posts/{theirs.code}"),
        call(client, "patch", f"{x}/posts/{theirs.code}", {"title": "Mine"}),
        call(client, "post", f"{x}/posts/{theirs.code}/label", {"tlp": "clear", "reason": "Why not."}),
        client.get(f"{x}/documents/{their_document.code}"),
        client.get(f"{x}/versions/{their_document.versions.get().code}/file"),
        client.get(f"{xb}/posts/{things.post.code}"),
        client.get(f"{xb}/requests/{things.sent.code}"),
        client.get(f"{x}/flows/{DataFlow.objects.create(**_flow_of_b(world)).code}"),
    ):
        assert response.status_code == 404, response.content[:200]
        assert response.json()["code"] == "not_found"
    assert Post.objects.get(pk=theirs.pk).title == "De Horst"
    assert client.get(f"{x}/posts/not-a-code").status_code in (404, 422)


def _flow_of_b(world) -> dict:
    return {
        "partnership": world.partnership_b,
        "title": "Camerabeelden De Horst",
        "purpose": "Inbraken",
        "legal_basis": "public_task",
        "data_subjects": "Bezoekers",
        "data_categories": ["images"],
        "retention": "28 dagen",
        "security_measures": "Versleuteld",
        "review_on": clock.today() + timedelta(days=30),
        "created_by": world.coordinator_b,
    }


def test_outsider_with_a_token_is_refused_like_with_a_session(client, world, things):
    """A personal API token acts as its owner: an outsider's token reads nothing of A."""
    from safepact.accounts.services import api_token_create

    _token, secret = api_token_create(user=world.outsider, name="Script")
    response = client.get(f"{base(world)}/posts", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 404
    response = client.get(f"{base(world)}/requests/{things.sent.code}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 404
