"""Starting a partnership and editing it."""

import pytest
from django.urls import reverse

from conftest import make_user
from safepact.audit.models import AuditEvent
from safepact.partnerships.models import Membership, Partnership

CREATE = reverse("partnerships:create")


def edit_url(partnership):
    return reverse("partnerships:edit", kwargs={"code": partnership.code})


def valid_create(organisation, **overrides):
    data = {
        "organisation": str(organisation.code),
        "name": "Elsewhere business park",
        "purpose": "Fewer break-ins at the business park.",
        "crime_areas": ["burglary", "vehicle"],
        "country": "NL",
        "region": "Limburg",
        "municipality": "Heerlen",
        "listing": "public",
    }
    data.update(overrides)
    return data


# Start a partnership -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, db):
    for method in (client.get, client.post):
        response = method(CREATE)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_form_offers_only_my_organisations(world, client_for):
    response = client_for(world.outsider).get(CREATE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Elsewhere BV" in body
    assert "Polisen Malmö" not in body
    assert 'type="checkbox"' in body and "Burglary" in body
    assert '<label for="id_name">' in body


def test_outsider_starts_a_partnership_and_becomes_its_coordinator(world, client_for):
    response = client_for(world.outsider).post(CREATE, valid_create(world.org_outsider))
    partnership = Partnership.objects.get(name="Elsewhere business park")
    assert response.status_code == 302
    assert response.url == reverse("partnerships:overview", kwargs={"code": partnership.code})
    assert partnership.crime_areas == ["burglary", "vehicle"]
    assert str(partnership.country) == "NL" and partnership.listing == "public"
    membership = Membership.objects.get(partner__partnership=partnership)
    assert membership.user == world.outsider and membership.role == "coordinator"
    assert AuditEvent.objects.filter(
        action="partnerships.partnership.created", partnership_code=str(partnership.code)
    ).exists()


def test_person_without_organisation_gets_an_explanation(db, client_for):
    loner = make_user("loner@example.org", "Lone Ranger")
    client = client_for(loner)
    response = client.get(CREATE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "You do not belong to an organisation yet." in body
    assert '<form method="post" action="/p/new/"' not in body
    client.post(CREATE, {"name": "Sneaky", "purpose": "x", "country": "SE", "listing": "private"})
    assert not Partnership.objects.filter(name="Sneaky").exists()


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"name": ""}, "id_name", "This field is required."),
        ({"purpose": ""}, "id_purpose", "This field is required."),
        ({"country": "XX"}, "id_country", "Select a valid choice."),
        ({"crime_areas": ["piracy"]}, "id_crime_areas", "Select a valid choice."),
        ({"listing": "secret"}, "id_listing", "Select a valid choice."),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(world, client_for, override, field, message):
    count, events = Partnership.objects.count(), AuditEvent.objects.count()
    response = client_for(world.outsider).post(CREATE, valid_create(world.org_outsider, **override))
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert f'href="#{field}"' in body
    assert f'id="{field}_error"' in body
    assert Partnership.objects.count() == count and AuditEvent.objects.count() == events


def test_cannot_start_on_behalf_of_someone_elses_organisation(world, client_for):
    count = Partnership.objects.count()
    response = client_for(world.outsider).post(CREATE, valid_create(world.org_police_a))
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert Partnership.objects.count() == count


# Edit -----------------------------------------------------------------------------------------------


def valid_edit(**overrides):
    data = {
        "name": "Sofielund safe neighbourhood",
        "purpose": "A safe and attractive Sofielund.",
        "crime_areas": ["burglary", "nuisance", "alcohol_drugs"],
        "country": "SE",
        "region": "Skåne",
        "municipality": "Malmö",
        "status": "active",
        "listing": "public",
        "reason": "Covenant signed",
    }
    data.update(overrides)
    return data


def test_anonymous_edit_is_sent_to_login(world, client):
    for method in (client.get, client.post):
        response = method(edit_url(world.partnership_a))
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("coordinator_b", 404), ("viewer", 403), ("member", 403)]
)
def test_only_coordinators_may_edit(world, client_for, persona, status):
    client = client_for(getattr(world, persona))
    assert client.get(edit_url(world.partnership_a)).status_code == status
    assert client.post(edit_url(world.partnership_a), valid_edit()).status_code == status
    world.partnership_a.refresh_from_db()
    assert world.partnership_a.name == "Sofielund safety partnership"


def test_edit_form_is_prefilled(world, client_for):
    response = client_for(world.coordinator).get(edit_url(world.partnership_a))
    form = response.context["form"]
    assert form.initial["name"] == "Sofielund safety partnership"
    assert form.initial["crime_areas"] == ["burglary", "nuisance"]
    assert form.initial["country"] == "SE"
    assert 'value="Sofielund safety partnership"' in response.content.decode()


def test_coordinator_edits_and_the_change_is_audited(world, client_for):
    a = world.partnership_a
    response = client_for(world.coordinator).post(edit_url(a), valid_edit())
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.name == "Sofielund safe neighbourhood"
    assert a.status == "active" and a.listing == "public"
    assert a.crime_areas == ["burglary", "nuisance", "alcohol_drugs"]
    event = AuditEvent.objects.get(action="partnerships.partnership.updated")
    assert event.before["name"] == "Sofielund safety partnership"
    assert event.after["name"] == "Sofielund safe neighbourhood"
    assert event.reason == "Covenant signed"


def test_bad_edit_names_the_field_and_changes_nothing(world, client_for):
    events = AuditEvent.objects.count()
    response = client_for(world.coordinator).post(
        edit_url(world.partnership_a), valid_edit(name="", status="x")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="#id_name"' in body and 'href="#id_status"' in body
    world.partnership_a.refresh_from_db()
    assert world.partnership_a.name == "Sofielund safety partnership"
    assert AuditEvent.objects.count() == events
