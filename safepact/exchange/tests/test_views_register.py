"""Pages of the data-sharing register (flows with parties and roles, review dates), the GDPR Art. 30 export,
subject-access searches and exports, and legal holds: who may use each page, what it shows, what it stores."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse

from safepact.accounts.sudo import SESSION_KEY
from safepact.exchange import services
from safepact.exchange.models import DataFlow, FlowStatus, Post
from safepact.exchange.tests.factories import audit_events, make_post, media_root  # noqa: F401 - fixture
from safepact.exchange.tests.register_factories import make_flow, partner
from safepact.exchange.tests.request_factories import NOW, make_cast, reload, sent_request
from safepact.lib import clock

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def url(world, name, *args):
    return reverse(f"exchange:{name}", args=[world.partnership_a.code, *args])


def flow_data(world, parties: dict, **extra) -> dict:
    """The flow form with one formset row per active partner (``parties``: organisation -> (role, part))."""
    from safepact.partnerships.models import Partner, PartnerStatus

    partners = list(
        Partner.objects.filter(partnership=world.partnership_a, status=PartnerStatus.ACTIVE).order_by(
            "organisation__name"
        )
    )
    data = {
        "title": "Camera images from the shops",
        "purpose": "Identify shoplifters who return.",
        "legal_basis": "legitimate_interests",
        "national_provision": "",
        "data_subjects": "Visitors of the shops",
        "data_categories": ["images"],
        "retention": "28 days",
        "security_measures": "Encrypted; two named officers.",
        "review_on": (clock.today() + timedelta(days=200)).isoformat(),
        "assessment": "",
        "agreement": "",
        "parties-TOTAL_FORMS": str(len(partners)),
        "parties-INITIAL_FORMS": str(len(partners)),
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "1000",
    }
    for index, each in enumerate(partners):
        role, part = parties.get(each.organisation_id, ("", ""))
        data[f"parties-{index}-partner"] = str(each.code)
        data[f"parties-{index}-role"] = role
        data[f"parties-{index}-part"] = part
    data.update(extra)
    return data


def with_sudo(client):
    session = client.session
    session[SESSION_KEY] = clock.now().timestamp() + 600
    session.save()


# The register -------------------------------------------------------------------------------------------


def test_register_lists_flows_with_parties_and_due_reviews(client, world):
    soon = make_flow(world, title="Engines: dealer records", review_on=clock.today() + timedelta(days=10))
    later = make_flow(world, title="Shop cameras", review_on=clock.today() + timedelta(days=200))
    for person, coordinator in ((world.member, False), (world.viewer, False), (world.coordinator, True)):
        client.force_login(person)
        page = client.get(url(world, "register"))
        assert page.status_code == 200
        body = page.content.decode()
        assert "Engines: dealer records" in body and "Shop cameras" in body
        assert ("Add a data flow" in body) is coordinator
    rows = {flow.code: body.split(f'data-flow="{flow.code}"')[1].split("</tr>")[0] for flow in (soon, later)}
    assert 'data-review-due="true"' in rows[soon.code] and "review due soon" in rows[soon.code]
    assert "review due" not in rows[later.code]
    assert "Polisen Malmö: Controller" in rows[soon.code] and "Malmö stad: Processor" in rows[soon.code]
    with clock.frozen(NOW + timedelta(days=15)):
        body = client.get(url(world, "register")).content.decode()
    assert "review overdue" in body.split(f'data-flow="{soon.code}"')[1].split("</tr>")[0]


def test_a_coordinator_adds_a_flow_with_parties(client, world):
    client.force_login(world.coordinator)
    page = client.get(url(world, "flow_new"))
    assert page.status_code == 200
    assert page.content.decode().count("parties-") > 3  # one row per active partner
    parties = {
        world.org_police_a.pk: ("controller", "receives"),
        world.org_shop_a.pk: ("processor", "provides"),
    }
    response = client.post(url(world, "flow_new"), flow_data(world, parties))
    flow = DataFlow.objects.get()
    assert response.status_code == 302 and response["Location"] == url(world, "flow", flow.code)
    assert {(p.partner.organisation_id, p.role, p.part) for p in flow.parties.all()} == {
        (world.org_police_a.pk, "controller", "receives"),
        (world.org_shop_a.pk, "processor", "provides"),
    }
    assert flow.data_categories == ["images"] and audit_events("exchange.flow.created")
    page = client.get(url(world, "flow", flow.code))
    assert page.status_code == 200 and b"Camera images from the shops" in page.content


def test_flow_errors_are_shown_and_nothing_is_stored(client, world):
    client.force_login(world.coordinator)
    only_processor = {world.org_shop_a.pk: ("processor", "provides")}
    response = client.post(url(world, "flow_new"), flow_data(world, only_processor))
    assert response.status_code == 422
    assert b'id="parties-errors"' in response.content and b"controller" in response.content
    response = client.post(url(world, "flow_new"), flow_data(world, {}, title="", data_categories=[]))
    assert response.status_code == 422
    assert {"title", "data_categories"} <= set(response.context["form"].errors)
    part_without_role = {world.org_police_a.pk: ("controller", ""), world.org_shop_a.pk: ("", "provides")}
    response = client.post(url(world, "flow_new"), flow_data(world, part_without_role))
    assert response.status_code == 422
    assert not DataFlow.objects.exists()


def test_a_coordinator_edits_and_ends_a_flow(client, world):
    flow = make_flow(world)
    client.force_login(world.coordinator)
    page = client.get(url(world, "flow_edit", flow.code))
    assert page.status_code == 200 and page.context["form"].initial["title"] == flow.title
    parties = {world.org_police_a.pk: ("controller", "asks"), world.org_shop_a.pk: ("processor", "provides")}
    response = client.post(url(world, "flow_edit", flow.code), flow_data(world, parties, title="Engines v2"))
    assert response.status_code == 302
    flow = reload(flow)
    assert flow.title == "Engines v2"
    assert {p.partner.organisation_id for p in flow.parties.all()} == {
        world.org_police_a.pk,
        world.org_shop_a.pk,
    }
    # Ending needs the tick box.
    client.post(url(world, "flow_end", flow.code), {})
    assert reload(flow).status == FlowStatus.ACTIVE
    client.post(url(world, "flow_end", flow.code), {"confirm": "on"})
    assert reload(flow).status == FlowStatus.ENDED
    response = client.get(url(world, "flow_edit", flow.code))
    assert response.status_code == 302  # an ended flow cannot change


def test_register_roles_members_read_coordinators_change(client, world):
    flow = make_flow(world)
    client.force_login(world.member)
    assert client.get(url(world, "flow", flow.code)).status_code == 200
    for address in (url(world, "flow_new"), url(world, "flow_edit", flow.code)):
        assert client.get(address).status_code == 403
    assert client.post(url(world, "flow_new"), flow_data(world, {})).status_code == 403
    assert client.post(url(world, "flow_end", flow.code), {"confirm": "on"}).status_code == 403
    client.force_login(world.viewer)
    assert client.post(url(world, "flow_end", flow.code), {"confirm": "on"}).status_code == 403
    assert reload(flow).status == FlowStatus.ACTIVE and DataFlow.objects.count() == 1


# Art. 30 ------------------------------------------------------------------------------------------------


def test_art30_csv_for_an_organisation(client, world):
    flow = make_flow(world)
    client.force_login(world.coordinator)
    page = client.get(url(world, "art30"))
    assert page.status_code == 200 and b'id="art30-form"' in page.content
    response = client.get(url(world, "art30"), {"organisation": str(world.org_city_a.code), "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 2 and flow.title in rows[1]
    event = audit_events("exchange.art30.exported")[-1]
    assert event.after["format"] == "csv" and event.after["records"] == 1


def test_art30_pdf(client, world):
    make_flow(world)
    client.force_login(world.coordinator)
    response = client.get(
        url(world, "art30"), {"organisation": str(world.org_police_a.code), "format": "pdf"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_art30_members_export_their_own_organisation_only(client, world):
    make_flow(world)
    client.force_login(world.member)
    page = client.get(url(world, "art30"))
    offered = [str(value) for value, _label in page.context["form"].fields["organisation"].choices if value]
    assert offered == [str(world.org_city_a.code)]
    response = client.get(
        url(world, "art30"), {"organisation": str(world.org_police_a.code), "format": "csv"}
    )
    assert response.status_code == 400 and "organisation" in response.context["form"].errors
    assert (
        client.get(
            url(world, "art30"), {"organisation": str(world.org_city_a.code), "format": "xml"}
        ).status_code
        == 400
    )
    assert not audit_events("exchange.art30.exported")
    ok = client.get(url(world, "art30"), {"organisation": str(world.org_city_a.code), "format": "csv"})
    assert ok.status_code == 200


# Subject access -----------------------------------------------------------------------------------------


def test_subject_access_finds_visible_items_only(client, world):
    shown = make_post(world, world.coordinator, title="Theft at the marina", body="Erik Svensson was seen.")
    hidden = make_post(
        world,
        world.member,
        tlp="amber",
        orgs=[world.org_city_a],
        title="City note",
        body="erik svensson again",
    )
    client.force_login(world.coordinator)
    page = client.get(url(world, "subject_access"))
    assert page.status_code == 200 and page.context["hits"] is None
    page = client.get(url(world, "subject_access"), {"term": "ERIK svensson"})
    assert page.status_code == 200
    codes = {hit.code for hit in page.context["hits"]}
    assert codes == {shown.code} and hidden.code not in codes
    assert b'id="subject-export-form"' in page.content
    short = client.get(url(world, "subject_access"), {"term": "er"})
    assert short.status_code == 400 and "term" in short.context["form"].errors


def test_subject_access_export_asks_for_the_password_then_exports(client, world):
    make_post(world, world.coordinator, title="Marina", body="Erik Svensson was seen.")
    client.force_login(world.coordinator)
    response = client.post(url(world, "subject_access"), {"term": "Erik Svensson"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sudo"))
    assert not audit_events("exchange.subject_access.exported")
    with_sudo(client)
    response = client.post(url(world, "subject_access"), {"term": "Erik Svensson"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    exported = json.loads(response.content)
    assert "Erik Svensson" in json.dumps(exported)
    assert audit_events("exchange.subject_access.exported")


def test_subject_access_is_for_coordinators(client, world):
    for person, status in (
        (world.member, 403),
        (world.viewer, 403),
        (world.outsider, 404),
        (world.coordinator_b, 404),
    ):
        client.force_login(person)
        assert client.get(url(world, "subject_access"), {"term": "Erik"}).status_code == status
        with_sudo(client)
        assert client.post(url(world, "subject_access"), {"term": "Erik"}).status_code == status
    assert not audit_events("exchange.subject_access.exported")


# Legal holds --------------------------------------------------------------------------------------------


def test_a_coordinator_sets_and_lifts_a_legal_hold(client, world):
    post = make_post(world, world.member, title="Burglary wave")
    client.force_login(world.coordinator)
    page = client.get(url(world, "legal_hold", "post", post.code))
    assert page.status_code == 200 and b"Burglary wave" in page.content
    response = client.post(url(world, "legal_hold", "post", post.code), {"hold": "1", "reason": ""})
    assert response.status_code == 422 and "reason" in response.context["form"].errors
    assert not reload(post).legal_hold
    response = client.post(
        url(world, "legal_hold", "post", post.code), {"hold": "1", "reason": "Case 2025-17 at the court"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "exchange:post", kwargs={"code": world.partnership_a.code, "post": post.code}
    )
    post = reload(post)
    assert post.legal_hold and post.legal_hold_reason == "Case 2025-17 at the court"
    back = url(world, "posts")
    response = client.post(url(world, "legal_hold", "post", post.code), {"hold": "0", "next": back})
    assert response["Location"] == back and not reload(post).legal_hold
    # An unsafe "next" is ignored.
    response = client.post(
        url(world, "legal_hold", "post", post.code),
        {"hold": "1", "reason": "x", "next": "https://evil.example/"},
    )
    assert response["Location"].startswith("/p/")


def test_legal_hold_on_a_request_and_an_answer(client, world):
    cast = make_cast(world)
    request = sent_request(world, cast)
    answer = services.request_answer(actor=world.member, request=request, text="The owner is known to us.")
    client.force_login(world.coordinator)
    page = client.get(url(world, "request", request.code))
    assert b'id="legal-hold"' in page.content
    response = client.post(
        url(world, "legal_hold", "request", request.code), {"hold": "1", "reason": "Case 7"}
    )
    assert response["Location"] == url(world, "request", request.code) and reload(request).legal_hold
    response = client.post(url(world, "legal_hold", "answer", answer.code), {"hold": "1", "reason": "Case 7"})
    assert response["Location"] == url(world, "request", request.code) + f"#answer-{answer.code}"
    assert reload(answer).legal_hold


def test_legal_hold_access(client, world):
    post = make_post(world, world.member, title="Visible")
    hidden = make_post(world, world.member, tlp="amber", orgs=[world.org_city_a], title="Not for the police")
    client.force_login(world.member)
    assert client.get(url(world, "legal_hold", "post", post.code)).status_code == 403
    assert (
        client.post(url(world, "legal_hold", "post", post.code), {"hold": "1", "reason": "x"}).status_code
        == 403
    )
    client.force_login(world.viewer)
    assert (
        client.post(url(world, "legal_hold", "post", post.code), {"hold": "1", "reason": "x"}).status_code
        == 403
    )
    for person in (world.outsider, world.coordinator_b):
        client.force_login(person)
        assert (
            client.post(url(world, "legal_hold", "post", post.code), {"hold": "1", "reason": "x"}).status_code
            == 404
        )
    client.force_login(world.coordinator)
    # A label that keeps the item from the coordinator hides it here too; unknown kinds are not found.
    assert (
        client.post(url(world, "legal_hold", "post", hidden.code), {"hold": "1", "reason": "x"}).status_code
        == 404
    )
    assert client.get(url(world, "legal_hold", "meeting", post.code)).status_code == 404
    assert not Post.objects.filter(legal_hold=True).exists()


# Outsiders ----------------------------------------------------------------------------------------------


def test_outsiders_get_404_on_every_register_page(client, world):
    flow = make_flow(world)
    a = world.partnership_a
    pages = [
        ("get", url(world, "register")),
        ("get", url(world, "flow_new")),
        ("get", url(world, "flow", flow.code)),
        ("get", url(world, "flow_edit", flow.code)),
        ("post", url(world, "flow_end", flow.code)),
        ("get", url(world, "art30")),
        ("get", url(world, "art30") + f"?organisation={world.org_police_a.code}&format=csv"),
        ("get", url(world, "subject_access")),
        ("post", url(world, "subject_access")),
        ("get", url(world, "legal_hold", "post", flow.code)),
    ]
    for person in (world.outsider, world.coordinator_b):
        client.force_login(person)
        for method, address in pages:
            response = getattr(client, method)(
                address, {"confirm": "on", "term": "Erik"} if method == "post" else None
            )
            assert response.status_code == 404, (person, address)
    assert reload(flow).status == FlowStatus.ACTIVE
    assert partner(a, world.org_police_a)  # untouched
    assert not audit_events("exchange.art30.exported")
