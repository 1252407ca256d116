"""The confidentiality gate through every path that shows a real AMBER item: formation's problem
statement on its page, its edit page, its JSON API (browser session and API token) and the agreement
draft pre-fill; and the explanation on the partnership's overview page. The same statement is withheld
before and shown after the city (the member's organisation) signs the confidentiality agreement in force.
"""

from datetime import date

import pytest
from django.urls import reverse

from safepact.accounts.services import api_token_create
from safepact.agreements import services
from safepact.agreements.models import Kind
from safepact.agreements.selectors import prefill_context
from safepact.agreements.tests import support
from safepact.formation.services.problem import problem_figure_add, problem_statement_update

NATURE = "Garage burglaries along Nobelvägen, mostly at night."
CAUSES = "Weak locks on the older garage doors."
FIGURE = "Reported garage burglaries"
WITHHELD_MESSAGE = "because Malmö stad has not signed"


@pytest.fixture
def amber(world):
    """An AMBER problem statement for the police and the city (written while the gate is still off: with it
    on, the coordinator could not write a statement they would no longer be allowed to read), then the gate
    on and a confidentiality agreement in force signed by the police only."""
    problem_statement_update(
        actor=world.coordinator,
        partnership=world.partnership_a,
        nature=NATURE,
        causes=CAUSES,
        tlp="amber",
        recipient_organisations=[world.org_police_a, world.org_city_a],
    )
    problem_figure_add(
        actor=world.coordinator,
        partnership=world.partnership_a,
        label=FIGURE,
        value=42,
        unit="per year",
        source="Police statistics",
        as_of=date(2024, 12, 31),
    )
    services.agreement_settings_update(
        actor=world.coordinator, partnership=world.partnership_a, require_confidentiality=True
    )
    support.signatories(world)
    police = support.coordinator_membership(world).partner.code
    agreement = support.to_signing(world, support.draft(world, Kind.CONFIDENTIALITY), required_codes=[police])
    return support.sign(world.coordinator, agreement)


def page(client, world):
    response = client.get(reverse("formation:problem", args=[world.partnership_a.code]))
    assert response.status_code == 200
    return response.content.decode()


def api(client, world, **headers):
    response = client.get(f"/api/v1/partnerships/{world.partnership_a.code}/formation/problem", **headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_problem_page_withholds_before_and_shows_after_signing(client, world, amber):
    client.force_login(world.member)
    html = page(client, world)
    assert NATURE not in html and CAUSES not in html and FIGURE not in html
    assert 'id="problem-withheld"' in html and 'data-tlp="amber"' in html

    support.sign(world.member, amber)
    html = page(client, world)
    assert NATURE in html and CAUSES in html and FIGURE in html
    assert 'id="problem-withheld"' not in html


def test_the_problem_page_says_what_to_sign_and_to_a_non_recipient_nothing_of_it(client, world, amber):
    client.force_login(world.member)
    html = page(client, world)
    assert 'id="problem-withheld-reason"' in html and WITHHELD_MESSAGE in html
    client.force_login(world.viewer)  # the shop is no recipient: signing would not help it
    html = page(client, world)
    assert 'id="problem-withheld"' in html and NATURE not in html
    assert 'id="problem-withheld-reason"' not in html and "has not signed" not in html


def test_the_api_withholds_before_and_shows_after_signing_with_a_session(client, world, amber):
    client.force_login(world.member)
    data = api(client, world)
    assert data["exists"] is True and data["visible"] is False and data["tlp"] == "amber"
    assert data["nature"] == "" and data["causes"] == "" and data["figures"] == []
    assert data["recipient_organisations"] == []
    assert WITHHELD_MESSAGE in data["withheld_reason"]
    assert NATURE not in str(data)

    support.sign(world.member, amber)
    data = api(client, world)
    assert data["visible"] is True and data["nature"] == NATURE and data["causes"] == CAUSES
    assert data["withheld_reason"] == ""
    assert [f["label"] for f in data["figures"]] == [FIGURE]


def test_the_api_withholds_before_and_shows_after_signing_with_a_token(client, world, amber):
    _token, secret = api_token_create(user=world.member, name="script")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    data = api(client, world, **auth)
    assert data["visible"] is False and data["nature"] == ""

    support.sign(world.member, amber)
    data = api(client, world, **auth)
    assert data["visible"] is True and data["nature"] == NATURE


def test_a_coordinator_whose_organisation_has_not_signed_cannot_open_the_edit_page(client, world, amber):
    """The edit form holds the text too. With the agreement in force the police (signed) edits; once it is
    terminated nobody passes the gate, and the coordinator gets 403 without the text."""
    edit = reverse("formation:problem_edit", args=[world.partnership_a.code])
    client.force_login(world.coordinator)
    response = client.get(edit)
    assert response.status_code == 200 and NATURE in response.content.decode()

    services.agreement_terminate(actor=world.coordinator, agreement=amber, reason="Renegotiating")
    response = client.get(edit)
    assert response.status_code == 403 and NATURE not in response.content.decode()
    assert NATURE not in page(client, world)
    assert api(client, world)["visible"] is False


def test_the_overview_page_explains_what_to_sign(client, world, amber):
    client.force_login(world.member)
    overview = reverse("partnerships:overview", args=[world.partnership_a.code])
    html = client.get(overview).content.decode()
    assert WITHHELD_MESSAGE in html
    assert reverse("agreements:detail", args=[world.partnership_a.code, amber.code]) in html

    support.sign(world.member, amber)
    assert WITHHELD_MESSAGE not in client.get(overview).content.decode()


def test_the_gate_off_shows_the_statement_without_signing(client, world, amber):
    services.agreement_settings_update(
        actor=world.coordinator, partnership=world.partnership_a, require_confidentiality=False
    )
    client.force_login(world.member)
    assert NATURE in page(client, world)
    assert api(client, world)["nature"] == NATURE


def test_a_withdrawn_organisation_loses_the_statement_again(client, world, amber):
    support.sign(world.member, amber)
    client.force_login(world.member)
    assert NATURE in page(client, world)
    party = amber.parties.get(partner__organisation=world.org_city_a)
    services.party_withdraw(actor=world.member, party=party, on_date=amber.effective_from, reason="Leaving")
    assert NATURE not in page(client, world)
    assert api(client, world)["visible"] is False


def test_the_agreement_draft_never_copies_the_amber_statement(world, amber):
    support.sign(world.member, amber)  # even when everyone may read it
    context = prefill_context(user=world.coordinator, partnership=world.partnership_a, language="en")
    assert context["problem"] == "[to be agreed]"
    body = support.draft(world, Kind.COVENANT).versions.get().body
    assert NATURE not in body


@pytest.mark.parametrize("persona", ["outsider", "coordinator_b"])
def test_strangers_get_404_on_both_paths(client, world, amber, persona):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("formation:problem", args=[world.partnership_a.code])).status_code == 404
    url = f"/api/v1/partnerships/{world.partnership_a.code}/formation/problem"
    assert client.get(url).status_code == 404


def test_a_briefing_link_does_not_carry_amber_past_the_gate(world, amber):
    from safepact.formation.services.problem import briefing_open, briefing_share_create
    from safepact.formation.tests.claimed_problem_support import candidate

    prospect = candidate(world, world.partnership_a, name="Lås AB")
    services.agreement_settings_update(
        actor=world.coordinator, partnership=world.partnership_a, require_confidentiality=False
    )
    problem_statement_update(
        actor=world.coordinator,
        partnership=world.partnership_a,
        nature=NATURE,
        causes=CAUSES,
        tlp="amber",
        recipient_organisations=[world.org_police_a, world.org_city_a, prospect.organisation],
    )
    share, token = briefing_share_create(
        actor=world.coordinator, candidate=prospect, email="info@las.example"
    )
    assert briefing_open(token=token).shown  # gate off: the recipient organisation reads it
    services.agreement_settings_update(
        actor=world.coordinator, partnership=world.partnership_a, require_confidentiality=True
    )
    briefing = briefing_open(token=token)
    assert briefing.state == "open"
    assert not briefing.shown and briefing.figures == []
    # The coordinator's list of briefings says so too.
    from safepact.formation.selectors.problem import briefing_shows_for, problem_statement_for

    statement = problem_statement_for(user=world.coordinator, partnership=world.partnership_a).statement
    assert briefing_shows_for(statement=statement, shares=[share]) == {share.pk: False}
