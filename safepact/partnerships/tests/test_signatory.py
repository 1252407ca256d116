"""The authorised-signatory flag of a member: the service, the overview page (behind the sudo window) and
the member PATCH of the API. Personas of the root conftest ``world``."""

import json
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from conftest import PASSWORD
from safepact.accounts.sudo import sudo_grant
from safepact.audit.models import AuditEvent
from safepact.audit.selectors import action_label
from safepact.partnerships.models import Membership
from safepact.partnerships.services import member_set_signatory

ACTION = "partnerships.member.signatory_changed"
API = "/api/v1"


@pytest.fixture
def sudo_client(client_for):
    """A logged-in client whose re-authentication ("sudo") window is open."""

    def login(user):
        client = client_for(user)
        session = client.session
        sudo_grant(SimpleNamespace(session=session))
        session.save()
        return client

    return login


def flag(membership) -> bool:
    return Membership.objects.get(pk=membership.pk).is_signatory


def events():
    return AuditEvent.objects.filter(action=ACTION)


# Service -----------------------------------------------------------------------------------------


def test_coordinator_marks_and_unmarks_a_signatory_audited(world):
    m = world.membership_member
    member_set_signatory(actor=world.coordinator, membership=m, value=True, reason="Director of the city")
    assert flag(m) is True
    event = events().get()
    assert event.before == {"is_signatory": False}
    assert event.after == {"is_signatory": True, "organisation": "Malmö stad"}
    assert event.reason == "Director of the city"
    assert event.target_code == str(m.code)
    assert event.partnership_code == str(world.partnership_a.code)

    member_set_signatory(actor=world.coordinator, membership=m, value=False)
    assert flag(m) is False
    assert events().count() == 2
    assert events().order_by("-seq").first().after["is_signatory"] is False


def test_the_same_value_again_changes_and_records_nothing(world):
    m = world.membership_member
    member_set_signatory(actor=world.coordinator, membership=m, value=False)
    assert not events().exists()


def test_the_action_has_a_readable_label(world):
    assert action_label(ACTION) == "Authorised signatory changed"


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_members_and_viewers_may_not_mark_signatories(world, persona):
    with pytest.raises(PermissionDenied):
        member_set_signatory(actor=getattr(world, persona), membership=world.membership_member, value=True)
    assert flag(world.membership_member) is False
    assert not events().exists()


@pytest.mark.parametrize("persona", ["outsider", "coordinator_b"])
def test_outsiders_get_404(world, persona):
    with pytest.raises(Http404):
        member_set_signatory(actor=getattr(world, persona), membership=world.membership_member, value=True)
    assert flag(world.membership_member) is False


def test_only_a_boolean_is_accepted(world):
    with pytest.raises(ValidationError) as caught:
        member_set_signatory(actor=world.coordinator, membership=world.membership_member, value="yes")
    assert "is_signatory" in caught.value.message_dict
    assert flag(world.membership_member) is False


# Page --------------------------------------------------------------------------------------------


def signatory_url(world, membership=None):
    membership = membership or world.membership_member
    return reverse(
        "partnerships:member_signatory", kwargs={"code": world.partnership_a.code, "m_code": membership.code}
    )


def overview(world, client):
    return client.get(reverse("partnerships:overview", kwargs={"code": world.partnership_a.code}))


@pytest.mark.parametrize("persona", ["member", "viewer", "coordinator"])
def test_everyone_sees_the_badge(world, client_for, persona):
    member_set_signatory(actor=world.coordinator, membership=world.membership_member, value=True)
    body = overview(world, client_for(getattr(world, persona))).content.decode()
    assert body.count('data-signatory="yes"') == 1
    assert body.count('data-signatory="no"') == 2
    assert '<span class="badge badge-signatory">Authorised signatory</span>' in body


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_only_coordinators_see_the_toggle(world, client_for, persona):
    assert signatory_url(world) not in overview(world, client_for(getattr(world, persona))).content.decode()
    body = overview(world, client_for(world.coordinator)).content.decode()
    assert signatory_url(world) in body
    assert "Mark as authorised signatory" in body


def test_coordinator_toggles_with_a_recent_confirmation(world, sudo_client):
    client = sudo_client(world.coordinator)
    response = client.post(signatory_url(world), {"is_signatory": "true", "reason": "Signs for the city"})
    assert response.status_code == 302
    assert response.url.endswith("#members")
    assert flag(world.membership_member) is True
    assert events().get().reason == "Signs for the city"

    page = client.get(response.url)
    text = page.content.decode()
    assert "Mats Member may now sign agreements on behalf of Malmö stad." in text
    assert "Remove signing authority" in text

    client.post(signatory_url(world), {"is_signatory": "false"})
    assert flag(world.membership_member) is False
    assert events().count() == 2


def test_the_toggle_needs_a_recent_confirmation(world, client_for):
    response = client_for(world.coordinator).post(signatory_url(world), {"is_signatory": "true"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sudo"))
    assert "next=" in response.url
    assert flag(world.membership_member) is False
    assert not events().exists()


def test_back_from_the_confirmation_goes_to_the_members_table(world, sudo_client):
    response = sudo_client(world.coordinator).get(signatory_url(world))
    assert response.status_code == 302
    assert (
        response.url
        == reverse("partnerships:overview", kwargs={"code": world.partnership_a.code}) + "#members"
    )
    assert flag(world.membership_member) is False


@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("coordinator_b", 404), ("viewer", 403), ("member", 403)]
)
def test_only_coordinators_may_toggle(world, sudo_client, persona, status):
    response = sudo_client(getattr(world, persona)).post(signatory_url(world), {"is_signatory": "true"})
    assert response.status_code == status
    assert flag(world.membership_member) is False
    assert not events().exists()


def test_a_membership_of_another_partnership_is_404(world, sudo_client):
    other = Membership.objects.get(user=world.coordinator_b)
    response = sudo_client(world.coordinator).post(signatory_url(world, other), {"is_signatory": "true"})
    assert response.status_code == 404
    assert flag(other) is False


def test_anonymous_is_sent_to_login(world, client):
    response = client.post(signatory_url(world), {"is_signatory": "true"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert flag(world.membership_member) is False


def test_a_bad_value_is_an_error_and_changes_nothing(world, sudo_client):
    response = sudo_client(world.coordinator).post(
        signatory_url(world), {"is_signatory": "maybe"}, follow=True
    )
    assert response.status_code == 200
    assert "Authorised signatory: Select a valid choice." in response.content.decode()
    assert flag(world.membership_member) is False
    assert not events().exists()


def test_overview_query_count_does_not_grow_with_signatories(
    world, client_for, django_assert_max_num_queries
):
    from safepact.partnerships import hooks

    for m in Membership.objects.filter(partner__partnership=world.partnership_a):
        member_set_signatory(actor=world.coordinator, membership=m, value=True)
    client = client_for(world.coordinator)
    with django_assert_max_num_queries(6 + 2 * len(hooks._notices)):
        response = overview(world, client)
    assert response.content.decode().count('data-signatory="yes"') == 3


# API ---------------------------------------------------------------------------------------------


def member_path(world, membership=None):
    membership = membership or world.membership_member
    return f"{API}/partnerships/{world.partnership_a.code}/members/{membership.code}"


def patch(client, path, body):
    """A member PATCH with the caller's password (re-authentication); ``password: None`` leaves it out."""
    body = {"password": PASSWORD, **body}
    if body["password"] is None:
        del body["password"]
    return client.patch(path, data=json.dumps(body), content_type="application/json")


def test_members_carry_the_flag(world, client):
    member_set_signatory(actor=world.coordinator, membership=world.membership_member, value=True)
    client.force_login(world.viewer)
    items = client.get(f"{API}/partnerships/{world.partnership_a.code}/members").json()["items"]
    assert {m["person"]["email"]: m["is_signatory"] for m in items} == {
        world.coordinator.email: False,
        world.member.email: True,
        world.viewer.email: False,
    }
    assert client.get(member_path(world)).json()["is_signatory"] is True


def test_coordinator_sets_the_flag_through_the_api(world, client):
    client.force_login(world.coordinator)
    response = patch(client, member_path(world), {"is_signatory": True, "reason": "Board decision"})
    assert response.status_code == 200, response.content
    assert response.json()["is_signatory"] is True
    assert response.json()["role"] == "member"
    assert flag(world.membership_member) is True
    assert events().get().reason == "Board decision"

    response = patch(client, member_path(world), {"is_signatory": False})
    assert response.json()["is_signatory"] is False
    assert events().count() == 2


def test_flag_and_role_change_together_or_not_at_all(world, client):
    client.force_login(world.coordinator)
    mine = Membership.objects.get(user=world.coordinator, partner__partnership=world.partnership_a)
    # the last coordinator cannot step down: the signatory change in the same request is undone too
    response = patch(client, member_path(world, mine), {"is_signatory": True, "role": "member"})
    assert response.status_code == 422
    assert flag(mine) is False
    assert not events().exists()

    response = patch(client, member_path(world), {"is_signatory": True, "role": "viewer"})
    assert response.status_code == 200
    assert (response.json()["is_signatory"], response.json()["role"]) == (True, "viewer")


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_only_true_or_false_is_accepted(world, client, value):
    client.force_login(world.coordinator)
    response = patch(client, member_path(world), {"is_signatory": value})
    assert response.status_code == 422
    assert flag(world.membership_member) is False


@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("coordinator_b", 404), ("viewer", 403), ("member", 403)]
)
def test_only_coordinators_may_set_the_flag_through_the_api(world, client, persona, status):
    client.force_login(getattr(world, persona))
    response = patch(client, member_path(world), {"is_signatory": True})
    assert response.status_code == status
    assert flag(world.membership_member) is False
    assert not events().exists()


def test_the_members_table_hints_at_the_organisations_own_signatory_list(world, client):
    """Who signs in a partnership is the coordinator's call (Membership.is_signatory); where the person's
    organisation lists them as authorised signatory (accounts), the members table says so as a hint."""
    from safepact.accounts.models import OrganisationMembership

    OrganisationMembership.objects.filter(user=world.member, organisation=world.org_city_a).update(
        is_authorised_signatory=True
    )
    client.force_login(world.coordinator)
    html = client.get(reverse("partnerships:overview", args=[world.partnership_a.code])).content.decode()
    assert html.count("org-signatory-hint") == 1
    assert "their organisation lists them as authorised signatory" in html
    member_set_signatory(actor=world.coordinator, membership=world.membership_member, value=True)
    html = client.get(reverse("partnerships:overview", args=[world.partnership_a.code])).content.decode()
    assert "org-signatory-hint" not in html  # marked: the badge says it, no hint needed
