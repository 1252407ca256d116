"""The journey page (every member), its not-applicable form (coordinators), the picture, the overview
section link and the dashboard attention item."""

import xml.etree.ElementTree as ET

import pytest

from safepact.audit.models import AuditEvent
from safepact.formation.models import ClaimedStepDecision, PartnerMotivation
from safepact.formation.services.claimed import claimed_step_set_not_applicable
from safepact.formation.tests.claimed_problem_support import (
    candidate,
    figure,
    fresh_partnership,
    seated_body,
    share,
    statement,
    task,
)
from safepact.partnerships.models import Partner

SVG = "{http://www.w3.org/2000/svg}"


def journey_url(p):
    return f"/p/{p.code}/formation/"


def step_url(p, step):
    return f"/p/{p.code}/formation/steps/{step}/"


def picture(response) -> ET.Element:
    html = response.content.decode()
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    return ET.fromstring(html[start:end])


# Access ------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(journey_url(world.partnership_a))
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]
    assert (
        client.post(step_url(world.partnership_a, "alert"), {"action": "not_applicable"}).status_code == 302
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("coordinator_b", 404), ("viewer", 200), ("member", 200), ("coordinator", 200)],
)
def test_who_sees_the_journey(client_for, world, persona, status):
    assert client_for(getattr(world, persona)).get(journey_url(world.partnership_a)).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("coordinator_b", 404), ("viewer", 403), ("member", 403)]
)
def test_only_coordinators_mark_steps(client_for, world, persona, status):
    client = client_for(getattr(world, persona))
    response = client.post(
        step_url(world.partnership_a, "alert"), {"action": "not_applicable", "reason": "r"}
    )
    assert response.status_code == status
    assert not ClaimedStepDecision.objects.exists()


def test_unknown_partnership_code_is_404(client_for, world):
    client = client_for(world.coordinator)
    assert client.get("/p/00000000-0000-4000-8000-000000000000/formation/").status_code == 404


def test_viewer_sees_no_decision_forms(client_for, world):
    html = client_for(world.viewer).get(journey_url(world.partnership_a)).content.decode()
    assert 'name="reason"' not in html
    html = client_for(world.coordinator).get(journey_url(world.partnership_a)).content.decode()
    assert html.count('name="reason"') == 7


# The picture -------------------------------------------------------------------------------------


def test_picture_has_seven_nodes_with_step_state_shape_and_text(client_for, world):
    p = fresh_partnership(world)
    police = Partner.objects.get(partnership=p)
    seated_body(p, police, hours=3)
    task(p, police, "R")  # clarify: done
    candidate(world, p)  # locate: in progress
    PartnerMotivation.objects.create(partner=police, societal="Safety")  # motivate: done (one partner)
    claimed_step_set_not_applicable(actor=world.coordinator, partnership=p, step="direct", reason="Later")
    response = client_for(world.coordinator).get(journey_url(p))
    svg = picture(response)
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "CLAIMED journey: 3 of 7 steps done"
    assert "Clarify: Done" in svg.find(f"{SVG}desc").text
    nodes = svg.findall(f"{SVG}g[@data-step]")
    states = {g.get("data-step"): g.get("data-state") for g in nodes}
    assert list(states) == ["clarify", "locate", "alert", "inform", "motivate", "empower", "direct"]
    assert states == {
        "clarify": "done",
        "locate": "in_progress",
        "alert": "open",
        "inform": "open",
        "motivate": "done",
        "empower": "done",
        "direct": "not_applicable",
    }
    for g in nodes:
        texts = [t.text for t in g.findall(f"{SVG}text")]
        assert texts[0] == g.get("data-step")[0].upper()  # the letter
        assert texts[2] in {"Done", "In progress", "Open", "Not applicable"}  # the state in words
        assert g.find(f"{SVG}title").text.startswith(texts[0] + " · ")
    by_step = {g.get("data-step"): g for g in nodes}
    # The state is also told by shape, not colour only.
    assert by_step["clarify"].find(f"{SVG}circle").get("fill") != "#ffffff"
    assert by_step["locate"].find(f"{SVG}circle").get("stroke-width") == "6"
    assert by_step["alert"].find(f"{SVG}circle").get("stroke-dasharray")
    assert by_step["direct"].find(f"{SVG}rect") is not None and by_step["direct"].find(f"{SVG}circle") is None


def test_page_lists_state_evidence_open_items_link_and_rule_per_step(client_for, world):
    p = world.partnership_a
    figure(statement(world, p, nature="Thefts", causes="Locks"))
    html = client_for(world.member).get(journey_url(p)).content.decode()
    assert 'id="step-inform"' in html and 'data-state="done"' in html
    assert "1 figure of the scale of the problem, with source and date." in html
    assert f'href="/p/{p.code}/formation/problem/"' in html
    assert "Done when the nature and the causes of the problem are described" in html
    assert "Add a body (a board or a working group) to the structure and who sits in it." in html


def test_not_applicable_step_shows_reason_and_reopen_form(client_for, world):
    claimed_step_set_not_applicable(
        actor=world.coordinator, partnership=world.partnership_a, step="empower", reason="Volunteers only"
    )
    html = client_for(world.coordinator).get(journey_url(world.partnership_a)).content.decode()
    assert "Volunteers only" in html
    assert 'name="action" value="reopen"' in html
    assert "(from the data alone: Open)" in html


# The form ----------------------------------------------------------------------------------------


def test_coordinator_marks_a_step_not_applicable_and_reopens_it(client_for, world):
    client = client_for(world.coordinator)
    response = client.post(
        step_url(world.partnership_a, "alert"), {"action": "not_applicable", "reason": "All partners joined."}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#step-alert")
    decision = ClaimedStepDecision.objects.get(partnership=world.partnership_a, step="alert")
    assert decision.reason == "All partners joined."
    assert decision.decided_by == world.coordinator
    response = client.post(step_url(world.partnership_a, "alert"), {"action": "reopen", "reason": ""})
    assert response.status_code == 302
    assert not ClaimedStepDecision.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="formation.claimed_step.").count() == 2


def test_missing_reason_is_422_naming_the_field_and_stores_nothing(client_for, world):
    client = client_for(world.coordinator)
    response = client.post(
        step_url(world.partnership_a, "alert"), {"action": "not_applicable", "reason": " "}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Reason: Give a reason why this step does not apply." in html
    assert 'aria-invalid="true"' in html
    assert not ClaimedStepDecision.objects.exists()


def test_reopening_an_applicable_step_is_422(client_for, world):
    response = client_for(world.coordinator).post(
        step_url(world.partnership_a, "alert"), {"action": "reopen"}
    )
    assert response.status_code == 422
    assert "This step is not marked as not applicable." in response.content.decode()


def test_unknown_step_is_404_and_bad_action_422(client_for, world):
    client = client_for(world.coordinator)
    assert client.post(step_url(world.partnership_a, "xyz"), {"action": "reopen"}).status_code == 404
    assert client.post(step_url(world.partnership_a, "alert"), {"action": "nonsense"}).status_code == 422


def test_get_on_the_step_url_is_not_allowed(client_for, world):
    assert client_for(world.coordinator).get(step_url(world.partnership_a, "alert")).status_code == 405


# Query count ------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 6])
def test_journey_page_query_count_does_not_grow(client_for, world, n, django_assert_max_num_queries):
    p = world.partnership_a
    police = Partner.objects.get(partnership=p, organisation=world.org_police_a)
    s = statement(world, p, nature="n", causes="c")
    for i in range(n):
        c = candidate(world, p, name=f"C{i}")
        share(world, c, email=f"x{i}@x.example")
        figure(s, label=f"F{i}", position=i)
        seated_body(p, police, hours=1, name=f"B{i}")
        task(p, police, "R", title=f"T{i}")
    for step in ("alert", "direct"):
        claimed_step_set_not_applicable(actor=world.coordinator, partnership=p, step=step, reason="r")
    client = client_for(world.coordinator)
    # session, user, membership (access helper), facts, decisions
    with django_assert_max_num_queries(5):
        response = client.get(journey_url(p))
    assert response.status_code == 200


# Overview section and dashboard -----------------------------------------------------------------


def test_partnership_overview_links_to_the_journey(client_for, world):
    html = client_for(world.viewer).get(f"/p/{world.partnership_a.code}/").content.decode()
    assert f'href="/p/{world.partnership_a.code}/formation/"' in html
    assert "Formation journey" in html


def test_dashboard_tells_coordinators_how_far_the_journey_is(client_for, world):
    html = client_for(world.coordinator).get("/").content.decode()
    assert f'<a href="/p/{world.partnership_a.code}/formation/">CLAIMED: 1 of 7 steps done</a>' in html
    # members and viewers do not get the item
    assert "CLAIMED:" not in client_for(world.member).get("/").content.decode()


def test_dashboard_counts_applicable_steps_and_hides_when_all_settled(client_for, world):
    p = world.partnership_a
    for step in ("clarify", "alert"):
        claimed_step_set_not_applicable(actor=world.coordinator, partnership=p, step=step, reason="r")
    html = client_for(world.coordinator).get("/").content.decode()
    assert "CLAIMED: 1 of 5 steps done" in html
    for step in ("inform", "motivate", "empower", "direct"):
        claimed_step_set_not_applicable(actor=world.coordinator, partnership=p, step=step, reason="r")
    assert "CLAIMED:" not in client_for(world.coordinator).get("/").content.decode()


def test_dashboard_attention_is_one_query_for_many_partnerships(world, django_assert_num_queries):
    from safepact.formation.services.claimed import claimed_attention
    from safepact.partnerships.selectors import active_memberships

    for i in range(4):
        fresh_partnership(world, f"P{i}")
    memberships = list(active_memberships(world.coordinator).select_related("partner__partnership"))
    with django_assert_num_queries(1):
        items = claimed_attention(user=world.coordinator, memberships=memberships)
    assert len(items) == 5
    with django_assert_num_queries(0):
        assert claimed_attention(user=world.viewer, memberships=[]) == {}
