"""Exchange pages, access for every URL name of the app (posts and documents, and the request, assessment and
register pages too): anonymous to the login page, outsiders (and another partnership's coordinator) 404,
viewers 403 on every write, members 403 where only the author or a coordinator may act, and a refused
request changes nothing.

The URL names are read from the resolver and their parameters are built from objects made through the
services, so a new page fails ``test_every_url_name_is_covered`` until it is added here."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.exchange import services
from safepact.exchange.models import DataFlow, InformationRequest
from safepact.exchange.tests.factories import make_document, make_post, media_root, upload  # noqa: F401
from safepact.lib import clock
from safepact.partnerships.models import Partner
from safepact.partnerships.services import partnership_create

PERSONAS = ("outsider", "coordinator_b", "viewer", "member", "coordinator")


@pytest.fixture(autouse=True)
def _media(media_root):  # noqa: F811 - the fixture imported above
    return media_root


class Things:
    """The objects the URLs point at, made on first use (the request pages need the request services)."""

    def __init__(self, world):
        self.world = world
        self._made = {}

    def get(self, name):
        if name not in self._made:
            self._made[name] = getattr(self, f"_make_{name}")()
        return self._made[name]

    def partner(self, organisation):
        return Partner.objects.get(partnership=self.world.partnership_a, organisation=organisation)

    def _make_post(self):
        # By the coordinator, so that the member is neither author nor coordinator.
        return make_post(
            self.world, self.world.coordinator, title="Coordinator's post", files=[upload("a.pdf")]
        )

    def _make_attachment(self):
        return self.get("post").attachments.get()

    def _make_document(self):
        return make_document(self.world, self.world.coordinator, title="Coordinator's document")

    def _make_version(self):
        return self.get("document").versions.get()

    def _make_other_partnership(self):
        return partnership_create(
            actor=self.world.coordinator,
            organisation=self.world.org_police_a,
            name="Rosengård partnership",
            purpose="Safe Rosengård.",
            country="SE",
            crime_areas=["burglary"],
        )

    def _new_request(self, **extra):
        values = {
            "actor": self.world.coordinator,
            "partnership": self.world.partnership_a,
            "title": "Who sold this engine?",
            "question": "A stolen outboard engine was found.",
            "purpose": "Find the last owner.",
            "legal_basis": "public_task",
            "deadline": clock.today() + timedelta(days=14),
            "tlp": "green",
            "recipient_partners": [self.partner(self.world.org_city_a)],
        }
        values.update(extra)
        return services.request_create(**values)

    def _make_request(self):
        """Sent (no personal data asked for), GREEN, to the member's organisation."""
        request = self._new_request()
        return services.request_submit(actor=self.world.coordinator, request=request)

    def _make_assessment(self):
        """A request for personal data is submitted: its Five Safes assessment is made."""
        request = self._new_request(title="Owner details", data_categories=["identification"])
        services.request_submit(actor=self.world.coordinator, request=request)
        return InformationRequest.objects.get(pk=request.pk).assessment

    def _make_flow(self):
        flow = services.flow_create(
            actor=self.world.coordinator,
            partnership=self.world.partnership_a,
            title="Camera images to the police",
            purpose="Investigate shop lifting.",
            legal_basis="legitimate_interests",
            data_subjects="Shoplifters",
            data_categories=["images"],
            retention="28 days",
            security_measures="Encrypted transfer.",
            review_on=date(2030, 1, 1),
            parties=[
                (self.partner(self.world.org_police_a), "controller", "receives"),
                (self.partner(self.world.org_city_a), "controller", "provides"),
            ],
        )
        return DataFlow.objects.get(pk=flow.pk)


@pytest.fixture
def things(world):
    return Things(world)


# URL name -> (method, need, data). Methods: "get" (a page; a page with a form is also POSTed, see
# FORMS), "post" (an action). Needs: read = any member; write = member or coordinator; edit = the author or
# a coordinator (the items are the coordinator's); manage = coordinator; owner = a coordinator or whoever
# asked for it (the assessment); the PAGES-2 rows only check anonymous, outsider and viewer.
def cases(things):
    world = things.world

    def post_data():
        return {"kind": "news", "title": "Posted", "body": "Text", "tlp": "green", "files": [upload("b.pdf")]}

    return {
        # Pages of this module.
        "home": ("get", "read", None),
        "posts": ("get", "read", None),
        "post_new": ("get", "write", post_data),
        "posts_export": ("post", "read", dict),
        "post": ("get", "read", None),
        "post_edit": ("get", "edit", lambda: {"kind": "update", "title": "Changed", "body": "Text"}),
        "post_label": (
            "get",
            "edit",
            lambda: {"tlp": "amber", "recipient_organisations": [str(world.org_police_a.code)]},
        ),
        "post_forward": ("post", "write", lambda: {"partnership": str(things.get("other_partnership").code)}),
        "post_delete": ("get", "edit", dict),
        "post_attachment_new": ("get", "edit", lambda: {"files": [upload("c.png")]}),
        "attachment_view": ("get", "read", None),
        "attachment_download": ("get", "read", None),
        "documents": ("get", "read", None),
        "document_new": (
            "get",
            "write",
            lambda: {"title": "New doc", "description": "", "tlp": "green", "upload": upload("d.pdf")},
        ),
        "document": ("get", "read", None),
        "document_edit": ("get", "edit", lambda: {"title": "Renamed", "description": "About"}),
        "document_label": (
            "get",
            "edit",
            lambda: {"tlp": "amber", "recipient_organisations": [str(world.org_police_a.code)]},
        ),
        "document_version_new": ("get", "write", lambda: {"upload": upload("e.pdf"), "note": "Typos"}),
        "version_view": ("get", "read", None),
        "version_download": ("get", "read", None),
        "access_log": ("get", "edit", None),
        "search": ("get", "read", None),
        "settings": (
            "get",
            "manage",
            lambda: {
                "max_upload_mb": "10",
                "allowed_types": ["pdf", "image"],
                "post_retention_days": "365",
                "document_retention_days": "730",
                "request_retention_days": "365",
                "reminder_days": "3",
            },
        ),
        # Pages of the requests module (PAGES-2): anonymous, outsider and viewer only.
        "requests": ("get", "read", None),
        "request_new": ("get", "write", dict),
        "request": ("get", "read", None),
        "request_edit": ("get", "write", dict),
        "request_submit": ("post", "write", dict),
        "request_answer": ("get", "write", dict),
        "request_decline": ("get", "write", dict),
        "request_close": ("post", "write", dict),
        "request_label": ("get", "write", dict),
        "assessments": ("get", "read", None),
        "assessment_new": ("get", "write", dict),
        "assessment": ("get", "owner", None),
        "assessment_submit": ("post", "write", dict),
        "assessment_decide": ("post", "manage", dict),
        "register": ("get", "read", None),
        "flow_new": ("get", "manage", dict),
        "flow": ("get", "read", None),
        "flow_edit": ("get", "manage", dict),
        "flow_end": ("post", "manage", dict),
        "art30": ("get", "read", None),
        "subject_access": ("get", "manage", dict),
        "legal_hold": ("post", "manage", lambda: {"hold": "on", "reason": "Court case"}),
    }


PAGES_2 = {
    "requests", "request_new", "request", "request_edit", "request_submit", "request_answer",
    "request_decline", "request_close", "request_label", "assessments", "assessment_new", "assessment",
    "assessment_submit", "assessment_decide", "register", "flow_new", "flow", "flow_edit", "flow_end", "art30",
    "subject_access", "legal_hold",
}  # fmt: skip
#: Which object each kind of access-log / legal-hold URL uses.
KIND_ITEMS = {"access_log": "post", "legal_hold": "post"}
NAMES = sorted(cases(Things(None)).keys())


def exchange_patterns() -> dict:
    from safepact.exchange.urls import urlpatterns

    return {p.name: p for p in urlpatterns}


def url_for(things, name) -> str:
    """The URL of ``name`` with each parameter of its route taken from a real object."""
    pattern = exchange_patterns()[name]
    kwargs = {}
    for parameter in pattern.pattern.converters:
        if parameter == "code":
            kwargs["code"] = things.world.partnership_a.code
        elif parameter == "kind":
            kwargs["kind"] = KIND_ITEMS[name]
        elif parameter == "item":
            kwargs["item"] = things.get(KIND_ITEMS[name]).code
        else:
            kwargs[parameter] = things.get(parameter).code
    return reverse(f"exchange:{name}", kwargs=kwargs)


def expected_for(persona, need, name) -> set:
    if persona in ("outsider", "coordinator_b"):
        return {404}
    if name in PAGES_2 and persona != "viewer":
        return set()  # their own tests say what members and coordinators get
    if need == "read":
        return {200, 302}
    if persona == "viewer":
        return {403}
    if persona == "member" and need in ("edit", "manage", "owner"):
        return {403}
    return {200, 302}


def test_every_url_name_is_covered():
    """Fails for a page without a row above, and for a row whose page is gone (or not written yet)."""
    assert set(exchange_patterns()) == set(NAMES)


def _payload(data) -> dict:
    return data() if callable(data) else (data or {})


@pytest.mark.parametrize("name", NAMES)
def test_access(client, world, things, name):
    method, need, data = cases(things)[name]
    url = url_for(things, name)

    response = getattr(client, method)(url, _payload(data))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), name

    for persona in PERSONAS:
        client.force_login(getattr(world, persona))
        expected = expected_for(persona, need, name)
        methods = [method] if method == "post" or data is None else ["get", "post"]
        for verb in methods:
            payload = _payload(data if verb == "post" else None)  # made before counting the audit events
            before = AuditEvent.objects.count()
            response = getattr(client, verb)(url, payload)
            if expected:
                assert response.status_code in expected, (
                    persona,
                    verb,
                    response.status_code,
                    response.content[:300],
                )
            else:
                assert response.status_code < 500, (persona, verb, response.content[:300])
            if response.status_code >= 400 and verb == "post":
                assert AuditEvent.objects.count() == before, f"{persona}: a refused request changes nothing"
            if persona == "coordinator" and name not in PAGES_2 and verb == "post" and need != "read":
                assert AuditEvent.objects.count() > before, (
                    f"{persona}: an allowed write is recorded ({name})"
                )
        client.logout()


def test_posts_export_is_recorded_for_readers(client_for, world, things):
    """The export is a disclosure: even a viewer's is recorded."""
    before = AuditEvent.objects.count()
    response = client_for(world.viewer).post(url_for(things, "posts_export"))
    assert response.status_code == 200 and AuditEvent.objects.count() == before + 1


def test_actions_refuse_get(client_for, world, things):
    client = client_for(world.coordinator)
    for name in ("posts_export", "post_forward"):
        assert client.get(url_for(things, name)).status_code == 405, name


def test_another_partnerships_items_are_not_found_through_this_partnership(client_for, world, things):
    theirs = make_post(world, world.coordinator_b, partnership=world.partnership_b, files=[upload("t.pdf")])
    a, b = world.partnership_a.code, world.partnership_b.code
    client = client_for(world.coordinator)
    assert client.get(reverse("exchange:post", args=[a, theirs.code])).status_code == 404
    attachment = theirs.attachments.get()
    assert client.get(reverse("exchange:attachment_view", args=[a, attachment.code])).status_code == 404
    client = client_for(world.coordinator_b)
    assert client.get(reverse("exchange:post", args=[b, theirs.code])).status_code == 200
    mine = things.get("post")
    assert client.get(reverse("exchange:post", args=[b, mine.code])).status_code == 404
    version = things.get("version")
    assert client.get(reverse("exchange:version_view", args=[b, version.code])).status_code == 404


def test_access_log_of_unknown_kinds_and_codes_is_not_found(client_for, world, things):
    client = client_for(world.coordinator)
    post = things.get("post")
    a = world.partnership_a.code
    assert client.get(reverse("exchange:access_log", args=[a, "meeting", post.code])).status_code == 404
    assert client.get(reverse("exchange:access_log", args=[a, "document", post.code])).status_code == 404
    assert client.get(reverse("exchange:access_log", args=[a, "post", post.code])).status_code == 200
