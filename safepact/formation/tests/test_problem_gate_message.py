"""The problem statement's page and API say *why* the statement is withheld: what to sign when the
partnership's confidentiality gate withholds it from a recipient, the usual "not a recipient" otherwise.

(Tests may import every app; formation's code itself only asks ``partnerships.tlp.withheld_reason``.)
"""

import pytest
from django.urls import reverse

from safepact.agreements import services
from safepact.agreements.models import Kind
from safepact.agreements.selectors import confidentiality_status
from safepact.agreements.tests import support
from safepact.formation.services.problem import problem_statement_update

NATURE = "Garage burglaries along Nobelvägen, mostly at night."
NOT_A_RECIPIENT = "You are not among the recipients of this problem statement"
WHAT_TO_SIGN = "because Malmö stad has not signed"


@pytest.fixture
def statement(world):
    """TLP:AMBER for the police and the city (not the shop, the viewer's organisation)."""
    return problem_statement_update(
        actor=world.coordinator,
        partnership=world.partnership_a,
        nature=NATURE,
        causes="Weak locks.",
        tlp="amber",
        recipient_organisations=[world.org_police_a, world.org_city_a],
    )


@pytest.fixture
def gate(world, statement):
    """The gate on, and a confidentiality agreement in force that only the police has signed."""
    services.agreement_settings_update(
        actor=world.coordinator, partnership=world.partnership_a, require_confidentiality=True
    )
    support.signatories(world)
    police = support.coordinator_membership(world).partner.code
    agreement = support.to_signing(world, support.draft(world, Kind.CONFIDENTIALITY), required_codes=[police])
    return support.sign(world.coordinator, agreement)


def page(client_for, world, persona) -> str:
    response = client_for(getattr(world, persona)).get(
        reverse("formation:problem", args=[world.partnership_a.code])
    )
    assert response.status_code == 200
    return response.content.decode()


def api(client, world, persona) -> dict:
    client.force_login(getattr(world, persona))
    response = client.get(f"/api/v1/partnerships/{world.partnership_a.code}/formation/problem")
    assert response.status_code == 200, response.content
    return response.json()


# Page ------------------------------------------------------------------------------------------------


def test_a_recipient_held_back_by_the_gate_is_told_what_to_sign(world, client_for, gate):
    html = page(client_for, world, "member")
    assert NATURE not in html
    assert 'id="problem-withheld"' in html
    assert 'id="problem-withheld-reason"' in html
    assert WHAT_TO_SIGN in html
    assert gate.title in html
    assert NOT_A_RECIPIENT not in html


def test_someone_the_label_keeps_out_gets_the_usual_message_even_with_the_gate_on(world, client_for, gate):
    """The shop is not a recipient: signing would not help, so it is not told to sign."""
    html = page(client_for, world, "viewer")
    assert NATURE not in html
    assert NOT_A_RECIPIENT in html
    assert 'id="problem-withheld-reason"' not in html
    assert "has not signed" not in html


def test_without_the_gate_the_usual_message(world, client_for, statement):
    html = page(client_for, world, "viewer")
    assert NOT_A_RECIPIENT in html and "has not signed" not in html
    html = page(client_for, world, "member")
    assert NATURE in html and 'id="problem-withheld"' not in html


def test_who_signed_sees_the_statement_and_no_message(world, client_for, gate):
    html = page(client_for, world, "coordinator")
    assert NATURE in html
    assert 'id="problem-withheld"' not in html
    support.sign(world.member, gate)
    html = page(client_for, world, "member")
    assert NATURE in html and WHAT_TO_SIGN not in html


# API -------------------------------------------------------------------------------------------------


def test_the_api_gives_the_reason_the_gate_withholds_it(client, world, gate):
    data = api(client, world, "member")
    assert data["visible"] is False and data["nature"] == ""
    assert WHAT_TO_SIGN in data["withheld_reason"]
    assert data["withheld_reason"] == confidentiality_status(world.member, world.partnership_a).message


def test_the_api_gives_no_reason_to_someone_the_label_keeps_out(client, world, gate):
    data = api(client, world, "viewer")
    assert data["visible"] is False and data["nature"] == ""
    assert data["withheld_reason"] == ""


def test_the_api_gives_no_reason_when_nothing_is_withheld(client, world, gate):
    data = api(client, world, "coordinator")
    assert data["visible"] is True and data["nature"] == NATURE
    assert data["withheld_reason"] == ""


def test_the_api_gives_no_reason_without_the_gate(client, world, statement):
    data = api(client, world, "viewer")
    assert data["visible"] is False and data["withheld_reason"] == ""


@pytest.mark.parametrize("persona", ["outsider", "coordinator_b"])
def test_outsiders_still_get_404(client, client_for, world, gate, persona):
    url = reverse("formation:problem", args=[world.partnership_a.code])
    assert client_for(getattr(world, persona)).get(url).status_code == 404
    client.force_login(getattr(world, persona))
    response = client.get(f"/api/v1/partnerships/{world.partnership_a.code}/formation/problem")
    assert response.status_code == 404
