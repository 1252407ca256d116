"""The problem statement pages: reading (TLP), editing, figures with their chart, briefing links."""

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from django.core import mail

from safepact.audit.models import AuditEvent
from safepact.formation.models import BriefingShare, ProblemFigure, ProblemStatement
from safepact.formation.tests.claimed_problem_support import candidate, figure, share, statement

SVG = "{http://www.w3.org/2000/svg}"


def base(p):
    return f"/p/{p.code}/formation/problem/"


@pytest.fixture
def filled(world):
    """A GREEN statement with two figures, a candidate and one briefing link in partnership A."""
    s = statement(world, world.partnership_a, nature="Burglaries at night.", causes="Dark alleys.")
    f1 = figure(s, label="Reported burglaries", value=120, unit="per year", position=1)
    f2 = figure(s, label="Damage", value=250000, unit="EUR", position=2)
    cand = candidate(world, world.partnership_a, name="Lås & Larm AB")
    link, _token = share(world, cand)
    return {"statement": s, "figures": [f1, f2], "candidate": cand, "share": link}


def pages(world, filled):
    p = world.partnership_a
    f = filled["figures"][0]
    return {
        "problem": ("get", base(p), None, "read"),
        "edit form": ("get", f"{base(p)}edit/", None, "manage"),
        "edit": ("post", f"{base(p)}edit/", {"nature": "n", "causes": "c", "tlp": "green"}, "manage"),
        "figure add form": ("get", f"{base(p)}figures/new/", None, "manage"),
        "figure add": (
            "post",
            f"{base(p)}figures/new/",
            {"label": "L", "value": "3", "source": "S", "as_of": "2024-01-01"},
            "manage",
        ),
        "figure edit form": ("get", f"{base(p)}figures/{f.code}/edit/", None, "manage"),
        "figure edit": (
            "post",
            f"{base(p)}figures/{f.code}/edit/",
            {"label": "L", "value": "3", "source": "S", "as_of": "2024-01-01"},
            "manage",
        ),
        "figure move": ("post", f"{base(p)}figures/{f.code}/move/", {"direction": "down"}, "manage"),
        "figure remove": ("post", f"{base(p)}figures/{f.code}/remove/", {}, "manage"),
        "briefing form": ("get", f"{base(p)}briefings/new/", None, "manage"),
        "briefing send": (
            "post",
            f"{base(p)}briefings/new/",
            {"candidate": str(filled["candidate"].code), "email": "a@lock.example"},
            "manage",
        ),
        "briefing revoke": ("post", f"{base(p)}briefings/{filled['share'].code}/revoke/", {}, "manage"),
    }


NAMES = [
    "problem",
    "edit form",
    "edit",
    "figure add form",
    "figure add",
    "figure edit form",
    "figure edit",
    "figure move",
    "figure remove",
    "briefing form",
    "briefing send",
    "briefing revoke",
]


@pytest.mark.parametrize(
    "persona", ["anonymous", "outsider", "coordinator_b", "viewer", "member", "coordinator"]
)
@pytest.mark.parametrize("name", NAMES)
def test_role_matrix(client, world, filled, persona, name):
    method, url, data, need = pages(world, filled)[name]
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    if persona == "anonymous":
        assert response.status_code == 302 and "/account/login/" in response["Location"]
    elif persona in ("outsider", "coordinator_b"):
        assert response.status_code == 404
    elif need == "manage" and persona in ("viewer", "member"):
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302), response.content
    if response.status_code != 302 or persona == "anonymous":
        assert AuditEvent.objects.count() == before


# Reading -----------------------------------------------------------------------------------------


def test_member_reads_a_green_statement_with_chart_and_table(client_for, world, filled):
    response = client_for(world.viewer).get(base(world.partnership_a))
    html = response.content.decode()
    assert "Burglaries at night." in html and "Dark alleys." in html
    assert "TLP:GREEN" in html
    start, end = html.index("<svg"), html.index("</svg>") + 6
    svg = ET.fromstring(html[start:end])
    assert svg.find(f"{SVG}title").text == "Scale of the problem"
    bars = svg.findall(f"{SVG}g[@data-figure]")
    assert [b.get("data-figure") for b in bars] == [str(f.code) for f in filled["figures"]]
    assert bars[0].find(f"{SVG}title").text == "Reported burglaries: 120 per year"
    # Each unit has its own scale: both bars are the longest of their unit.
    assert {b.find(f"{SVG}rect").get("width") for b in bars} == {"280.0"}
    assert "<caption>Figures of the scale of the problem, with their source and date</caption>" in html
    assert "Police statistics" in html
    # viewers get no management controls and no briefing list
    assert "Add a figure" not in html and 'id="briefings"' not in html


def test_withheld_statement_shows_only_its_label(client_for, world):
    statement(world, world.partnership_a, tlp="red", nature="Informant names", people=[world.coordinator])
    html = client_for(world.member).get(base(world.partnership_a)).content.decode()
    assert "Informant names" not in html
    assert 'id="problem-withheld"' in html and "TLP:RED" in html


def test_empty_problem_page_invites_the_coordinator(client_for, world):
    html = client_for(world.coordinator).get(base(world.partnership_a)).content.decode()
    assert 'id="problem-empty"' in html and "Write the problem statement" in html


def test_problem_page_query_count_does_not_grow(client_for, world, django_assert_max_num_queries):
    p = world.partnership_a
    s = statement(world, p, tlp="amber", nature="n", causes="c", orgs=[world.org_police_a])
    counts = []
    client = client_for(world.coordinator)
    for extra in (0, 6):
        for i in range(extra):
            figure(s, label=f"F{i}", position=10 + i)
            share(world, candidate(world, p, name=f"Cand {i}"), email=f"c{i}@x.example")
        with django_assert_max_num_queries(12) as ctx:
            assert client.get(base(p)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# Editing -----------------------------------------------------------------------------------------


def test_coordinator_edits_the_statement_with_amber_recipients(client_for, world):
    cand = candidate(world, world.partnership_a, name="Lås AB")
    client = client_for(world.coordinator)
    form = client.get(f"{base(world.partnership_a)}edit/").content.decode()
    assert "Lås AB" in form and "Malmö stad" in form  # candidate and partner organisations offered
    response = client.post(
        f"{base(world.partnership_a)}edit/",
        {
            "nature": "Line one\nLine two",
            "causes": "Because.",
            "tlp": "amber",
            "recipient_organisations": [str(world.org_police_a.code), str(cand.organisation.code)],
        },
    )
    assert response.status_code == 302
    s = ProblemStatement.objects.get()
    assert s.tlp == "amber" and set(s.recipient_organisations.all()) == {
        world.org_police_a,
        cand.organisation,
    }
    html = client.get(base(world.partnership_a)).content.decode()
    assert "Line one<br>Line two" in html


def test_bad_edit_is_422_naming_the_field(client_for, world):
    client = client_for(world.coordinator)
    response = client.post(
        f"{base(world.partnership_a)}edit/", {"nature": "n", "causes": "c", "tlp": "amber"}
    )
    assert response.status_code == 422
    assert "Recipient organisations (for TLP:AMBER and TLP:AMBER+STRICT): Name at least one recipient" in (
        response.content.decode()
    )
    response = client.post(f"{base(world.partnership_a)}edit/", {"nature": "n", "causes": "c", "tlp": "blue"})
    assert response.status_code == 422
    assert "TLP label: Select a valid choice." in response.content.decode()
    assert not ProblemStatement.objects.exists()


def test_figure_add_edit_move_remove(client_for, world):
    client = client_for(world.coordinator)
    p = world.partnership_a
    for label in ("First", "Second"):
        response = client.post(
            f"{base(p)}figures/new/",
            {"label": label, "value": "12.5", "unit": "%", "source": "Survey", "as_of": "2024-06-30"},
        )
        assert response.status_code == 302 and response["Location"].endswith("#figures")
    first, second = ProblemFigure.objects.all()
    assert first.as_of == date(2024, 6, 30) and str(first.value) == "12.50"
    client.post(f"{base(p)}figures/{second.code}/move/", {"direction": "up"})
    assert list(ProblemFigure.objects.values_list("label", flat=True)) == ["Second", "First"]
    client.post(
        f"{base(p)}figures/{first.code}/edit/",
        {"label": "First (revised)", "value": "13", "unit": "", "source": "Survey 2", "as_of": "2024-06-30"},
    )
    first.refresh_from_db()
    assert (first.label, first.unit, first.source) == ("First (revised)", "", "Survey 2")
    client.post(f"{base(p)}figures/{second.code}/remove/")
    assert list(ProblemFigure.objects.values_list("label", flat=True)) == ["First (revised)"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "formation.problem_figure.added",
        "formation.problem_figure.changed",
        "formation.problem_figure.removed",
    } <= actions


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("label", "", "What is counted: This field is required."),
        ("value", "lots", "Value: Enter a number."),
        ("source", "", "Source: This field is required."),
        ("as_of", "", "Date of the figure: This field is required."),
        ("as_of", "2999-01-01", "Date of the figure: The date of a figure cannot be in the future."),
    ],
)
def test_bad_figure_is_422_naming_the_field(client_for, world, field, value, message):
    data = {"label": "L", "value": "1", "source": "S", "as_of": "2024-01-01"}
    data[field] = value
    response = client_for(world.coordinator).post(f"{base(world.partnership_a)}figures/new/", data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ProblemFigure.objects.exists()


def test_figure_of_another_partnership_is_404(client_for, world):
    other = figure(statement(world, world.partnership_b))
    client = client_for(world.coordinator)
    assert client.get(f"{base(world.partnership_a)}figures/{other.code}/edit/").status_code == 404
    assert client.post(f"{base(world.partnership_a)}figures/{other.code}/remove/").status_code == 404
    assert ProblemFigure.objects.filter(pk=other.pk).exists()


def test_bad_move_direction_changes_nothing(client_for, world, filled):
    f = filled["figures"][0]
    client_for(world.coordinator).post(
        f"{base(world.partnership_a)}figures/{f.code}/move/", {"direction": "left"}
    )
    f.refresh_from_db()
    assert f.position == 1


# Briefing links ----------------------------------------------------------------------------------


def test_coordinator_sends_a_briefing_link_by_email(
    client_for, world, filled, django_capture_on_commit_callbacks
):
    client = client_for(world.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{base(world.partnership_a)}briefings/new/",
            {"candidate": str(filled["candidate"].code), "email": "Contact@Lock.example"},
        )
    assert response.status_code == 302 and response["Location"].endswith("#briefings")
    new = BriefingShare.objects.exclude(pk=filled["share"].pk).get()
    assert new.email == "contact@lock.example" and new.created_by == world.coordinator
    [message] = mail.outbox
    assert message.to == ["contact@lock.example"]
    token = re.search(r"/briefings/([\w-]+)/", message.body).group(1)
    assert new.token_hash != token and len(new.token_hash) == 64
    assert "Burglaries at night" not in message.body and "Dark alleys" not in message.body
    html = client.get(base(world.partnership_a)).content.decode()
    assert "contact@lock.example" in html and "Lås &amp; Larm AB" in html


def test_briefing_form_offers_only_this_partnerships_candidates_and_checks_input(client_for, world, filled):
    other = candidate(world, world.partnership_b, name="Elsewhere candidate")
    client = client_for(world.coordinator)
    html = client.get(f"{base(world.partnership_a)}briefings/new/").content.decode()
    assert "Lås &amp; Larm AB" in html and "Elsewhere candidate" not in html
    response = client.post(
        f"{base(world.partnership_a)}briefings/new/", {"candidate": str(other.code), "email": "a@b.example"}
    )
    assert (
        response.status_code == 422
        and "Candidate partner: Select a valid choice." in response.content.decode()
    )
    response = client.post(
        f"{base(world.partnership_a)}briefings/new/",
        {"candidate": str(filled["candidate"].code), "email": "nope"},
    )
    assert (
        response.status_code == 422
        and "Email address: Enter a valid email address." in response.content.decode()
    )
    assert BriefingShare.objects.count() == 1


def test_briefing_form_without_candidates_says_so(client_for, world):
    html = client_for(world.coordinator).get(f"{base(world.partnership_a)}briefings/new/").content.decode()
    assert 'id="no-candidates"' in html


def test_briefing_list_shows_whether_the_candidate_sees_the_statement_and_revoke(client_for, world, filled):
    client = client_for(world.coordinator)
    row = re.search(
        r'<tr data-briefing="[^"]+">.*?</tr>', client.get(base(world.partnership_a)).content.decode(), re.S
    )
    assert "No, its label does not allow it" in row.group(0)  # GREEN
    assert "Not yet" in row.group(0)
    response = client.post(f"{base(world.partnership_a)}briefings/{filled['share'].code}/revoke/")
    assert response.status_code == 302
    filled["share"].refresh_from_db()
    assert filled["share"].revoked_at is not None
    assert AuditEvent.objects.filter(action="formation.briefing.revoked").count() == 1
    html = client.get(base(world.partnership_a)).content.decode()
    assert "Revoked" in html
    # revoking twice is refused with a message, nothing more is written
    client.post(f"{base(world.partnership_a)}briefings/{filled['share'].code}/revoke/")
    assert AuditEvent.objects.filter(action="formation.briefing.revoked").count() == 1


def test_briefing_link_of_another_partnership_is_404(client_for, world):
    other, _token = share(world, candidate(world, world.partnership_b, name="B cand"))
    response = client_for(world.coordinator).post(
        f"{base(world.partnership_a)}briefings/{other.code}/revoke/"
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None
