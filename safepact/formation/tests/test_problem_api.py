"""The problem statement API: statement, figures and briefing links, with the role matrix."""

import json

import pytest

from safepact.audit.models import AuditEvent
from safepact.formation.models import BriefingShare, ProblemFigure, ProblemStatement
from safepact.formation.tests.claimed_problem_support import API, candidate, figure, share, statement

PERSONAS = ["anonymous", "outsider", "coordinator_b", "viewer", "member", "coordinator"]


def base(p):
    return f"{API}/partnerships/{p.code}/formation/problem"


def call(client, method, path, body=None):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def filled(world):
    s = statement(world, world.partnership_a, nature="Thefts.", causes="Locks.")
    f = figure(s)
    cand = candidate(world, world.partnership_a, name="Lås AB")
    link, _token = share(world, cand)
    return {"statement": s, "figure": f, "candidate": cand, "share": link}


def endpoints(world, x):
    b = base(world.partnership_a)
    f = f"{b}/figures/{x['figure'].code}"
    fig = {"label": "Damage", "value": "1000.50", "unit": "EUR", "source": "Insurers", "as_of": "2024-12-31"}
    return {
        "get": ("get", b, None, "read", 200),
        "put": ("put", b, {"nature": "N", "causes": "C", "tlp": "green"}, "manage", 200),
        "figure add": ("post", f"{b}/figures", fig, "manage", 201),
        "figure patch": ("patch", f, {"value": "5"}, "manage", 200),
        "figure delete": ("delete", f, None, "manage", 204),
        "briefing list": ("get", f"{b}/briefings", None, "manage", 200),
        "briefing add": (
            "post",
            f"{b}/briefings",
            {"candidate": str(x["candidate"].code), "email": "a@lock.example"},
            "manage",
            201,
        ),
        "briefing revoke": ("post", f"{b}/briefings/{x['share'].code}/revoke", None, "manage", 200),
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "name",
    [
        "get",
        "put",
        "figure add",
        "figure patch",
        "figure delete",
        "briefing list",
        "briefing add",
        "briefing revoke",
    ],
)
def test_role_matrix(client, world, filled, persona, name):
    method, path, body, need, success = endpoints(world, filled)[name]
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()
    response = call(client, method, path, body)
    if persona == "anonymous":
        expected = 401
    elif persona in ("outsider", "coordinator_b"):
        expected = 404
    elif need == "manage" and persona in ("viewer", "member"):
        expected = 403
    else:
        expected = success
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["code"] in {"unauthenticated", "not_found", "forbidden"}
        assert AuditEvent.objects.count() == before
    elif method != "get":
        assert AuditEvent.objects.count() > before


def test_get_without_a_statement(client, world):
    client.force_login(world.viewer)
    data = client.get(base(world.partnership_a)).json()
    assert data["exists"] is False and data["visible"] is True and data["figures"] == []


def test_get_withholds_content_the_label_does_not_allow(client, world):
    s = statement(world, world.partnership_a, tlp="red", nature="Secret", people=[world.coordinator])
    figure(s, label="Hidden")
    client.force_login(world.member)
    data = client.get(base(world.partnership_a)).json()
    assert data["exists"] is True and data["visible"] is False and data["tlp"] == "red"
    assert data["nature"] == "" and data["figures"] == [] and data["recipient_people"] == []
    client.force_login(world.coordinator)
    data = client.get(base(world.partnership_a)).json()
    assert data["nature"] == "Secret" and data["figures"][0]["label"] == "Hidden"
    assert data["recipient_people"] == [
        {"code": str(world.coordinator.code), "full_name": "Cora Coordinator"}
    ]


def test_put_with_amber_recipients(client, world):
    cand = candidate(world, world.partnership_a, name="Lås AB")
    client.force_login(world.coordinator)
    body = {
        "nature": "  Thefts  ",
        "causes": "Locks",
        "tlp": "amber",
        "recipient_organisations": [str(world.org_police_a.code), str(cand.organisation.code)],
    }
    data = call(client, "put", base(world.partnership_a), body).json()
    assert data["nature"] == "Thefts" and data["tlp"] == "amber"
    assert {o["name"] for o in data["recipient_organisations"]} == {"Polisen Malmö", "Lås AB"}
    assert data["updated_by"]["code"] == str(world.coordinator.code)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tlp": "purple"}, "tlp"),
        ({"nature": "n"}, "tlp"),
        ({"tlp": "amber"}, "recipient_organisations"),
        (
            {"tlp": "amber", "recipient_organisations": ["00000000-0000-4000-8000-000000000000"]},
            "recipient_organisations",
        ),
        ({"tlp": "amber", "recipient_organisations": ["nope"]}, "recipient_organisations"),
        ({"tlp": "red"}, "recipient_people"),
        ({"tlp": "green", "nature": "x" * 20001}, "nature"),
        ({"tlp": "green", "colour": "blue"}, "colour"),
    ],
)
def test_put_bad_input_is_422_naming_the_field(client, world, body, field):
    client.force_login(world.coordinator)
    response = call(client, "put", base(world.partnership_a), body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field)
    assert not ProblemStatement.objects.exists()


def test_put_with_an_outsider_as_red_recipient_is_422(client, world):
    client.force_login(world.coordinator)
    body = {"tlp": "red", "recipient_people": [str(world.outsider.code)]}
    response = call(client, "put", base(world.partnership_a), body)
    assert response.status_code == 422 and response.json()["detail"].startswith("recipient_people")


def test_figures_add_patch_move_delete(client, world):
    client.force_login(world.coordinator)
    b = base(world.partnership_a)
    first = call(
        client, "post", f"{b}/figures", {"label": "A", "value": 1, "source": "S", "as_of": "2024-01-01"}
    )
    assert first.status_code == 201
    assert first.json()["position"] == 1 and first.json()["unit"] == ""
    second = call(
        client, "post", f"{b}/figures", {"label": "B", "value": "2.5", "source": "S", "as_of": "2024-01-01"}
    )
    code = second.json()["code"]
    moved = call(client, "patch", f"{b}/figures/{code}", {"position": 1, "unit": "%"})
    assert moved.status_code == 200 and moved.json()["position"] == 1 and moved.json()["unit"] == "%"
    data = client.get(b).json()
    assert [f["label"] for f in data["figures"]] == ["B", "A"]
    assert call(client, "delete", f"{b}/figures/{code}").status_code == 204
    assert list(ProblemFigure.objects.values_list("label", "position")) == [("A", 1)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": 1, "source": "S", "as_of": "2024-01-01"}, "label"),
        ({"label": "L", "value": "x", "source": "S", "as_of": "2024-01-01"}, "value"),
        ({"label": "L", "value": "1.234", "source": "S", "as_of": "2024-01-01"}, "value"),
        ({"label": "L", "value": 1, "source": "", "as_of": "2024-01-01"}, "source"),
        ({"label": "L", "value": 1, "source": "S"}, "as_of"),
        ({"label": "L", "value": 1, "source": "S", "as_of": "2999-01-01"}, "as_of"),
        ({"label": "L", "value": 1, "source": "S", "as_of": "yesterday"}, "as_of"),
    ],
)
def test_figure_bad_input_is_422_naming_the_field(client, world, body, field):
    client.force_login(world.coordinator)
    response = call(client, "post", f"{base(world.partnership_a)}/figures", body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field)
    assert not ProblemFigure.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"), [({"position": 0}, "position"), ({"label": None}, "label"), ({"source": ""}, "source")]
)
def test_figure_patch_bad_input(client, world, filled, body, field):
    client.force_login(world.coordinator)
    response = call(client, "patch", f"{base(world.partnership_a)}/figures/{filled['figure'].code}", body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field)


def test_figure_of_another_partnership_is_404(client, world):
    other = figure(statement(world, world.partnership_b))
    client.force_login(world.coordinator)
    path = f"{base(world.partnership_a)}/figures/{other.code}"
    assert call(client, "patch", path, {"value": 2}).status_code == 404
    assert call(client, "delete", path).status_code == 404


def test_briefings_list_create_revoke(client, world, filled, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(world.coordinator)
    b = base(world.partnership_a)
    with django_capture_on_commit_callbacks(execute=True):
        created = call(
            client,
            "post",
            f"{b}/briefings",
            {"candidate": str(filled["candidate"].code), "email": "X@Lock.example"},
        )
    assert created.status_code == 201
    data = created.json()
    assert data["email"] == "x@lock.example" and data["state"] == "open"
    assert data["organisation"]["name"] == "Lås AB" and "token" not in json.dumps(data)
    assert len(mailoutbox) == 1
    listed = client.get(f"{b}/briefings").json()
    assert listed["count"] == 2
    revoked = call(client, "post", f"{b}/briefings/{data['code']}/revoke")
    assert revoked.json()["state"] == "revoked"
    again = call(client, "post", f"{b}/briefings/{data['code']}/revoke")
    assert again.status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"candidate": "00000000-0000-4000-8000-000000000000", "email": "a@b.example"}, "candidate"),
        ({"email": "a@b.example"}, "candidate"),
        ({"candidate": "CANDIDATE", "email": "nope"}, "email"),
    ],
)
def test_briefing_bad_input(client, world, filled, body, field):
    body = {k: (str(filled["candidate"].code) if v == "CANDIDATE" else v) for k, v in body.items()}
    client.force_login(world.coordinator)
    response = call(client, "post", f"{base(world.partnership_a)}/briefings", body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field)
    assert BriefingShare.objects.count() == 1


def test_candidate_of_another_partnership_is_refused(client, world):
    other = candidate(world, world.partnership_b, name="B cand")
    client.force_login(world.coordinator)
    body = {"candidate": str(other.code), "email": "a@b.example"}
    response = call(client, "post", f"{base(world.partnership_a)}/briefings", body)
    assert response.status_code == 422 and response.json()["detail"].startswith("candidate")


@pytest.mark.parametrize("n", [1, 8])
def test_get_and_list_query_counts_do_not_grow(client, world, n, django_assert_max_num_queries):
    s = statement(world, world.partnership_a, tlp="amber", orgs=[world.org_police_a])
    for i in range(n):
        figure(s, label=f"F{i}", position=i)
        share(world, candidate(world, world.partnership_a, name=f"C{i}"), email=f"c{i}@x.example")
    client.force_login(world.coordinator)
    with django_assert_max_num_queries(10):
        assert client.get(base(world.partnership_a)).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(f"{base(world.partnership_a)}/briefings").json()["count"] == n
