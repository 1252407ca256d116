"""Pipeline pages and API: suggestions, candidates, moves, invitations, impartiality; access and query counts."""

import json

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.formation.models import Candidate, ImpartialityDismissal
from safepact.formation.selectors import diligence
from safepact.formation.services.pipeline import candidate_add, candidate_move
from safepact.formation.tests.directory_helpers import bulk_profiles, profiled_org
from safepact.partnerships.models import Invitation

ZERO = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def admission(monkeypatch):
    state = {"value": "none"}
    monkeypatch.setattr(diligence, "candidate_admission", lambda candidate: state["value"], raising=False)
    return state


@pytest.fixture
def ica(world):
    return profiled_org("Ica Malmö", sector="retail", crime_areas=["burglary"])


@pytest.fixture
def cand(world, ica):
    return candidate_add(actor=world.coordinator, partnership=world.partnership_a, organisation=ica)


def url(name, world, **kwargs):
    return reverse(f"formation:{name}", kwargs={"code": world.partnership_a.code, **kwargs})


def cand_url(name, world, cand):
    return url(name, world, candidate_code=cand.code)


def post_json(client, path, payload):
    return client.post(path, json.dumps(payload), content_type="application/json")


API = "/api/v1/partnerships/{code}/formation"


def api(world, rest=""):
    return API.format(code=world.partnership_a.code) + rest


# Pages: access -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_everywhere(world, client, cand, admission):
    gets = [
        url("candidates", world),
        cand_url("candidate", world, cand),
        cand_url("candidate_invite", world, cand),
    ]
    posts = [
        url("candidate_add", world),
        cand_url("candidate_move", world, cand),
        url("impartiality_dismiss", world),
    ]
    for path in gets:
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    for path in posts:
        assert client.post(path, {}).status_code == 302


@pytest.mark.parametrize("persona", ["outsider", "coordinator_b"])
def test_outsiders_get_404_on_every_page(world, client_for, cand, ica, admission, persona):
    client = client_for(getattr(world, persona))
    for path in (
        url("candidates", world),
        cand_url("candidate", world, cand),
        cand_url("candidate_invite", world, cand),
    ):
        assert client.get(path).status_code == 404
    assert client.post(url("candidate_add", world), {"organisation": ica.code}).status_code == 404
    assert client.post(cand_url("candidate_move", world, cand), {"to_stage": "assessing"}).status_code == 404
    assert client.post(cand_url("candidate_invite", world, cand), {"email": "a@b.example"}).status_code == 404
    dismiss = {"organisation": ica.code, "rule": "sole_company", "reason": "x"}
    assert client.post(url("impartiality_dismiss", world), dismiss).status_code == 404
    assert Candidate.objects.get(pk=cand.pk).stage == "identified"


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_members_and_viewers_read_the_pipeline_but_get_403_on_every_action(
    world, client_for, cand, ica, admission, persona
):
    client = client_for(getattr(world, persona))
    body = client.get(url("candidates", world)).content.decode()
    assert "Ica Malmö" in body
    assert "Suggested candidates" not in body and "Impartiality" not in body
    body = client.get(cand_url("candidate", world, cand)).content.decode()
    assert "Ica Malmö" in body and "Move the candidate" not in body
    other = profiled_org("Coop Malmö")
    assert client.post(url("candidate_add", world), {"organisation": other.code}).status_code == 403
    assert client.post(cand_url("candidate_move", world, cand), {"to_stage": "assessing"}).status_code == 403
    assert client.get(cand_url("candidate_invite", world, cand)).status_code == 403
    assert client.post(cand_url("candidate_invite", world, cand), {"email": "a@b.example"}).status_code == 403
    dismiss = {"organisation": ica.code, "rule": "sole_company", "reason": "x"}
    assert client.post(url("impartiality_dismiss", world), dismiss).status_code == 403
    assert Candidate.objects.count() == 1 and not ImpartialityDismissal.objects.exists()
    assert Candidate.objects.get(pk=cand.pk).stage == "identified"


def test_a_candidate_of_another_partnership_is_404(world, client_for, admission):
    other = candidate_add(
        actor=world.coordinator_b, partnership=world.partnership_b, organisation=profiled_org("Coop Malmö")
    )
    client = client_for(world.coordinator)
    assert client.get(url("candidate", world, candidate_code=other.code)).status_code == 404
    assert (
        client.post(
            url("candidate_move", world, candidate_code=other.code), {"to_stage": "assessing"}
        ).status_code
        == 404
    )
    assert client.get(url("candidate", world, candidate_code=ZERO)).status_code == 404


# Pages: coordinator --------------------------------------------------------------------------------


def test_the_coordinator_sees_suggestions_and_adds_one_with_its_reasons(world, client_for, ica):
    client = client_for(world.coordinator)
    body = client.get(url("candidates", world)).content.decode()
    assert "Suggested candidates" in body and f'data-organisation="{ica.code}"' in body
    assert "Works on Burglary, as this partnership does." in body
    response = client.post(url("candidate_add", world), {"organisation": ica.code, "suggested": "on"})
    candidate = Candidate.objects.get(organisation=ica)
    assert response.status_code == 302 and response.url == cand_url("candidate", world, candidate)
    assert candidate.suggested and candidate.reasons[0] == {
        "code": "crime_areas",
        "params": {"areas": ["burglary"]},
    }
    body = client.get(url("candidates", world)).content.decode()
    assert f'data-candidate="{candidate.code}"' in body


def test_the_candidate_page_shows_impartiality_warnings_after_adding(world, client_for, ica, admission):
    handel = profiled_org("Svensk Handel", kind="umbrella", sector="retail")
    client = client_for(world.coordinator)
    response = client.post(url("candidate_add", world), {"organisation": ica.code}, follow=True)
    body = response.content.decode()
    assert 'data-rule="umbrella_exists"' in body and 'data-rule="sole_company"' in body
    assert "Svensk Handel" in body and str(handel.code) in body
    assert "approaching the trade association" in body  # the rationale


def test_adding_an_unknown_organisation_names_the_field_and_stores_nothing(world, client_for):
    hidden = profiled_org("Quiet Shop", published=False)
    client = client_for(world.coordinator)
    for data in ({"organisation": hidden.code}, {"organisation": "nonsense"}, {}):
        response = client.post(url("candidate_add", world), data, follow=True)
        assert "Organisation:" in response.content.decode()
    assert not Candidate.objects.exists()


def test_the_coordinator_moves_a_candidate_and_a_rejection_needs_a_reason(world, client_for, cand):
    client = client_for(world.coordinator)
    response = client.post(cand_url("candidate_move", world, cand), {"to_stage": "rejected", "reason": ""})
    assert response.status_code == 422
    assert "Reason: Give a reason for rejecting a candidate." in response.content.decode()
    assert Candidate.objects.get(pk=cand.pk).stage == "identified"
    response = client.post(cand_url("candidate_move", world, cand), {"to_stage": "assessing"})
    assert response.status_code == 302
    assert Candidate.objects.get(pk=cand.pk).stage == "assessing"
    body = client.get(cand_url("candidate", world, cand)).content.decode()
    assert 'data-to-stage="assessing"' in body


def test_an_invalid_move_names_the_field(world, client_for, cand):
    response = client_for(world.coordinator).post(
        cand_url("candidate_move", world, cand), {"to_stage": "joined"}
    )
    assert response.status_code == 422
    assert "Move to:" in response.content.decode()


def test_inviting_from_the_page_needs_the_admission(world, client_for, cand, admission):
    candidate_move(actor=world.coordinator, candidate=cand, to_stage="assessing")
    client = client_for(world.coordinator)
    assert client.get(cand_url("candidate_invite", world, cand)).status_code == 200
    response = client.post(
        cand_url("candidate_invite", world, cand), {"email": "anna@ica.example", "role": "member"}
    )
    assert response.status_code == 422
    assert "Complete the due diligence" in response.content.decode()
    assert not Invitation.objects.filter(email="anna@ica.example").exists()
    admission["value"] = "admitted"
    response = client.post(
        cand_url("candidate_invite", world, cand), {"email": "anna@ica.example", "role": "member"}
    )
    assert response.status_code == 302
    assert Candidate.objects.get(pk=cand.pk).stage == "invited"
    assert Invitation.objects.filter(
        email="anna@ica.example", partner__organisation=cand.organisation
    ).exists()


def test_inviting_with_a_bad_email_names_the_field(world, client_for, cand, admission):
    admission["value"] = "admitted"
    candidate_move(actor=world.coordinator, candidate=cand, to_stage="assessing")
    response = client_for(world.coordinator).post(
        cand_url("candidate_invite", world, cand), {"email": "nope"}
    )
    assert response.status_code == 422
    assert "Email address of the contact person:" in response.content.decode()


def test_dismissing_from_the_page_needs_a_reason(world, client_for, cand, ica):
    client = client_for(world.coordinator)
    data = {"organisation": ica.code, "rule": "sole_company", "reason": ""}
    response = client.post(url("impartiality_dismiss", world), data, follow=True)
    assert "Reason for dismissing: Give a reason for dismissing the warning." in response.content.decode()
    assert not ImpartialityDismissal.objects.exists()
    data["reason"] = "The only shop in the street"
    data["next"] = cand_url("candidate", world, cand)
    response = client.post(url("impartiality_dismiss", world), data)
    assert response.status_code == 302 and response.url == cand_url("candidate", world, cand)
    assert ImpartialityDismissal.objects.get().reason == "The only shop in the street"
    body = client.get(url("candidates", world)).content.decode()
    assert "Show 1 dismissed warning" in body and "The only shop in the street" in body


def test_dismissing_redirects_only_inside_the_pipeline(world, client_for, cand, ica):
    data = {"organisation": ica.code, "rule": "sole_company", "reason": "ok", "next": "https://evil.example/"}
    response = client_for(world.coordinator).post(url("impartiality_dismiss", world), data)
    assert response.url == url("candidates", world) + "#impartiality"


@pytest.mark.parametrize("count", [5, 40])
def test_the_pipeline_page_uses_a_fixed_number_of_queries(
    world, client_for, django_assert_max_num_queries, count
):
    orgs = bulk_profiles(count, crime_areas=["burglary"])
    for org in orgs[: count // 2]:
        candidate_add(actor=world.coordinator, partnership=world.partnership_a, organisation=org)
    bulk_profiles(3, prefix="Assoc", kind="umbrella")
    client = client_for(world.coordinator)
    with django_assert_max_num_queries(15):
        response = client.get(url("candidates", world))
    body = response.content.decode()
    assert body.count("data-candidate=") == count // 2
    assert 'data-rule="umbrella_exists"' in body


# API ---------------------------------------------------------------------------------------------


def test_api_needs_authentication(world, client, cand):
    for path in ("/suggestions", "/candidates", f"/candidates/{cand.code}", "/impartiality"):
        assert client.get(api(world, path)).status_code == 401
    assert (
        post_json(
            client, api(world, "/candidates"), {"organisation": str(cand.organisation.code)}
        ).status_code
        == 401
    )


@pytest.mark.parametrize("persona", ["outsider", "coordinator_b"])
def test_api_outsiders_get_404(world, client_for, cand, persona):
    client = client_for(getattr(world, persona))
    for path in ("/suggestions", "/candidates", f"/candidates/{cand.code}", "/impartiality"):
        assert client.get(api(world, path)).status_code == 404
    assert (
        post_json(client, api(world, f"/candidates/{cand.code}/moves"), {"to_stage": "assessing"}).status_code
        == 404
    )


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_api_members_and_viewers_read_candidates_but_get_403_elsewhere(
    world, client_for, cand, ica, admission, persona
):
    client = client_for(getattr(world, persona))
    assert client.get(api(world, "/candidates")).json()["count"] == 1
    assert client.get(api(world, f"/candidates/{cand.code}")).json()["stage"] == "identified"
    assert client.get(api(world, "/suggestions")).status_code == 403
    assert client.get(api(world, "/impartiality")).status_code == 403
    other = profiled_org("Coop Malmö")
    assert post_json(client, api(world, "/candidates"), {"organisation": str(other.code)}).status_code == 403
    assert (
        post_json(client, api(world, f"/candidates/{cand.code}/moves"), {"to_stage": "assessing"}).status_code
        == 403
    )
    invitation = {"email": "a@b.example"}
    assert post_json(client, api(world, f"/candidates/{cand.code}/invitation"), invitation).status_code == 403
    dismiss = {"organisation": str(ica.code), "rule": "sole_company", "reason": "x"}
    assert post_json(client, api(world, "/impartiality/dismissals"), dismiss).status_code == 403
    assert Candidate.objects.count() == 1 and Candidate.objects.get().stage == "identified"


def test_api_suggestions_carry_translated_reasons(world, client_for, ica):
    client = client_for(world.coordinator)
    [item] = client.get(api(world, "/suggestions")).json()
    assert item["organisation"]["code"] == str(ica.code)
    assert item["reasons"][0] == {
        "code": "crime_areas",
        "params": {"areas": ["burglary"]},
        "text": "Works on Burglary, as this partnership does.",
    }
    world.coordinator.language = "nl"
    world.coordinator.save(update_fields=["language"])
    [item] = client.get(api(world, "/suggestions")).json()
    assert "Woninginbraak" in item["reasons"][0]["text"]


def test_api_pipeline_round_trip(world, client_for, ica, admission, mailoutbox):
    client = client_for(world.coordinator)
    response = post_json(
        client, api(world, "/candidates"), {"organisation": str(ica.code), "suggested": True}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["stage"] == "identified" and data["allowed_moves"] == ["assessing", "declined", "rejected"]
    code = data["code"]
    response = post_json(client, api(world, f"/candidates/{code}/moves"), {"to_stage": "joined"})
    assert response.status_code == 422 and response.json()["detail"].startswith("to_stage:")
    assert "Assessing, Declined, Rejected" in response.json()["detail"]
    response = post_json(client, api(world, f"/candidates/{code}/moves"), {"to_stage": "assessing"})
    assert response.json()["stage"] == "assessing"
    response = post_json(client, api(world, f"/candidates/{code}/invitation"), {"email": "anna@ica.example"})
    assert response.status_code == 422 and "due diligence" in response.json()["detail"]
    admission["value"] = "admitted"
    response = post_json(client, api(world, f"/candidates/{code}/invitation"), {"email": "anna@ica.example"})
    assert response.status_code == 200, response.content
    assert [m["to_stage"] for m in response.json()["moves"]] == ["identified", "assessing", "invited"]
    assert AuditEvent.objects.filter(action="formation.candidate.moved").count() == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"organisation": ZERO}, "organisation"),
        ({"organisation": "nope"}, "organisation"),
        ({"organisation": ZERO, "extra": 1}, "extra"),
    ],
)
def test_api_add_bad_input_is_422_naming_the_field(world, client_for, payload, field):
    response = post_json(client_for(world.coordinator), api(world, "/candidates"), payload)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field)
    assert not Candidate.objects.exists()


def test_api_reject_without_reason_is_422(world, client_for, cand):
    response = post_json(
        client_for(world.coordinator), api(world, f"/candidates/{cand.code}/moves"), {"to_stage": "rejected"}
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("reason")


def test_api_impartiality_and_dismissal(world, client_for, cand, ica):
    client = client_for(world.coordinator)
    data = client.get(api(world, "/impartiality")).json()
    assert [(w["rule"], w["organisation"]["name"]) for w in data["warnings"]] == [
        ("sole_company", "Ica Malmö")
    ]
    assert "impartial" in data["rationale"]
    payload = {"organisation": str(ica.code), "rule": "sole_company"}
    response = post_json(client, api(world, "/impartiality/dismissals"), payload)
    assert response.status_code == 422 and response.json()["detail"].startswith("reason")
    payload["reason"] = "Only shop around"
    response = post_json(client, api(world, "/impartiality/dismissals"), payload)
    assert response.status_code == 201
    data = response.json()
    assert data["warnings"] == [] and data["dismissed"][0]["dismissal"]["reason"] == "Only shop around"
    response = post_json(client, api(world, "/impartiality/dismissals"), {**payload, "organisation": ZERO})
    assert response.status_code == 422 and response.json()["detail"].startswith("organisation")


@pytest.mark.parametrize("count", [5, 40])
def test_api_candidate_list_uses_a_fixed_number_of_queries(
    world, client_for, django_assert_max_num_queries, count
):
    for org in bulk_profiles(count):
        candidate_add(
            actor=world.coordinator,
            partnership=world.partnership_a,
            organisation=org,
            reasons=[{"code": "country", "params": {"country": "SE"}}],
        )
    client = client_for(world.viewer)
    with django_assert_max_num_queries(6):
        data = client.get(api(world, "/candidates"), {"limit": 100}).json()
    assert data["count"] == count
    assert data["items"][0]["reasons"][0]["text"].startswith("Based in Sweden")
