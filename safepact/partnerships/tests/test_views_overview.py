"""The partnership overview and its management actions (roles, statuses, revocation)."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from conftest import add_member, make_user
from safepact.accounts.sudo import sudo_grant
from safepact.audit.models import AuditEvent
from safepact.partnerships.models import Invitation, Membership, Partner
from safepact.partnerships.services import invitation_create


def overview_url(partnership):
    return reverse("partnerships:overview", kwargs={"code": partnership.code})


def coordinator_membership(world):
    return Membership.objects.get(user=world.coordinator, partner__partnership=world.partnership_a)


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


# Overview page ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(world, client):
    response = client.get(overview_url(world.partnership_a))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("persona", ["outsider", "coordinator_b"])
def test_outsiders_get_404(world, client_for, persona):
    assert client_for(getattr(world, persona)).get(overview_url(world.partnership_a)).status_code == 404


def test_unknown_code_is_404(world, client_for):
    url = reverse("partnerships:overview", kwargs={"code": "00000000-0000-0000-0000-000000000000"})
    assert client_for(world.coordinator).get(url).status_code == 404


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_members_and_viewers_see_facts_partners_and_members_but_no_controls(world, client_for, persona):
    a = world.partnership_a
    response = client_for(getattr(world, persona)).get(overview_url(a))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        a.purpose,
        "Burglary",
        "Nuisance and vandalism",
        "Sweden",
        "Skåne",
        "Malmö",
        "Forming",
        "Private",
    ):
        assert text in body
    for text in ("Polisen Malmö", "Malmö stad", "Sofielund Fastighetsägare", "Law enforcement"):
        assert text in body
    for text in ("Cora Coordinator", "Mats Member", "Vera Viewer"):
        assert text in body
    assert reverse("partnerships:edit", kwargs={"code": a.code}) not in body
    assert reverse("partnerships:invite", kwargs={"code": a.code}) not in body
    assert reverse("audit:trail", kwargs={"code": a.code}) not in body
    assert "/status/" not in body and "/role/" not in body and "/revoke/" not in body
    assert response.context["invitations"] is None


def test_coordinator_sees_controls_and_open_invitations(world, client_for):
    a = world.partnership_a
    invitation, _token = invitation_create(
        actor=world.coordinator, partnership=a, email="pending@city.example", organisation=world.org_city_a
    )
    body = client_for(world.coordinator).get(overview_url(a)).content.decode()
    assert reverse("partnerships:edit", kwargs={"code": a.code}) in body
    assert reverse("partnerships:invite", kwargs={"code": a.code}) in body
    assert reverse("audit:trail", kwargs={"code": a.code}) in body
    assert "pending@city.example" in body
    assert (
        reverse("partnerships:invitation_revoke", kwargs={"code": a.code, "inv_code": invitation.code})
        in body
    )
    m = world.membership_member
    assert reverse("partnerships:member_role", kwargs={"code": a.code, "m_code": m.code}) in body
    assert reverse("partnerships:member_status", kwargs={"code": a.code, "m_code": m.code}) in body
    # accepted invitations (the member's and the viewer's) are not listed as open
    assert "member@city.example" not in body


def test_tables_are_accessible(world, client_for):
    body = client_for(world.coordinator).get(overview_url(world.partnership_a)).content.decode()
    assert body.count("<caption>") == 2
    assert '<th scope="col">' in body and '<th scope="row">' in body
    assert f'<label for="member-role-{world.membership_member.code}">' in body


def test_htmx_request_gets_the_fragment(world, client_for):
    response = client_for(world.member).get(overview_url(world.partnership_a), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert world.partnership_a.name in body
    assert 'hx-swap-oob="true"' in body


def test_boosted_navigation_gets_the_whole_page(world, client_for):
    response = client_for(world.member).get(
        overview_url(world.partnership_a), headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert "<html" in response.content.decode()


def test_suspended_member_immediately_loses_access(world, client_for, sudo_client):
    client = client_for(world.member)
    assert client.get(overview_url(world.partnership_a)).status_code == 200
    coordinator = sudo_client(world.coordinator)
    url = reverse(
        "partnerships:member_status",
        kwargs={"code": world.partnership_a.code, "m_code": world.membership_member.code},
    )
    coordinator.post(url, {"status": "suspended", "reason": "Left the municipality"})
    client = client_for(world.member)
    assert client.get(overview_url(world.partnership_a)).status_code == 404
    assert world.partnership_a.name not in client.get(reverse("partnerships:dashboard")).content.decode()


def _grow(world, extra: int):
    for i in range(extra):
        user = make_user(f"extra{i}@city.example", f"Extra {i}")
        add_member(
            coordinator=world.coordinator,
            partnership=world.partnership_a,
            user=user,
            role="member",
            new_organisation={"name": f"Extra org {i}", "kind": "business", "country": "SE"},
        )
        invitation_create(
            actor=world.coordinator,
            partnership=world.partnership_a,
            email=f"open{i}@city.example",
            organisation=world.org_city_a,
        )


@pytest.mark.parametrize("extra", [0, 10])
def test_overview_query_count_does_not_grow(world, client_for, django_assert_max_num_queries, extra):
    _grow(world, extra)
    client = client_for(world.coordinator)
    # session, user, partnership with my membership, partners, members, invitations; then at most two
    # queries per notice provider of the apps above (agreements: an expired agreement, the gate setting)
    from safepact.partnerships import hooks

    with django_assert_max_num_queries(6 + 2 * len(hooks._notices)):
        response = client.get(overview_url(world.partnership_a))
    assert response.status_code == 200
    assert len(response.context["members"]) == 3 + extra


# Management actions: the access matrix -----------------------------------------------------------


def _actions(world):
    a = world.partnership_a
    invitation, _token = invitation_create(
        actor=world.coordinator, partnership=a, email="pending@city.example", organisation=world.org_city_a
    )
    m, p = world.membership_viewer, world.membership_viewer.partner
    return {
        "member_role": (
            reverse("partnerships:member_role", kwargs={"code": a.code, "m_code": m.code}),
            {"role": "coordinator", "reason": "x"},
        ),
        "member_status": (
            reverse("partnerships:member_status", kwargs={"code": a.code, "m_code": m.code}),
            {"status": "suspended", "reason": "x"},
        ),
        "partner_status": (
            reverse("partnerships:partner_status", kwargs={"code": a.code, "p_code": p.code}),
            {"status": "suspended", "reason": "x"},
        ),
        "invitation_revoke": (
            reverse("partnerships:invitation_revoke", kwargs={"code": a.code, "inv_code": invitation.code}),
            {},
        ),
    }


def _state(world):
    return (
        list(Membership.objects.order_by("pk").values_list("role", "status")),
        list(Partner.objects.order_by("pk").values_list("status", flat=True)),
        list(Invitation.objects.order_by("pk").values_list("revoked_at", flat=True)),
        AuditEvent.objects.count(),
    )


ACTIONS = ["member_role", "member_status", "partner_status", "invitation_revoke"]


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_post_is_sent_to_login(world, client, action):
    url, data = _actions(world)[action]
    before = _state(world)
    response = client.post(url, data)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert _state(world) == before


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("coordinator_b", 404), ("viewer", 403), ("member", 403)]
)
def test_only_coordinators_may_manage(world, sudo_client, action, persona, status):
    url, data = _actions(world)[action]
    before = _state(world)
    response = sudo_client(getattr(world, persona)).post(url, data)
    assert response.status_code == status
    assert _state(world) == before


def test_membership_of_another_partnership_is_404(world, sudo_client):
    other = Membership.objects.get(user=world.coordinator_b)
    url = reverse(
        "partnerships:member_status", kwargs={"code": world.partnership_a.code, "m_code": other.code}
    )
    response = sudo_client(world.coordinator).post(url, {"status": "suspended", "reason": "x"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == "active"


@pytest.mark.parametrize("action", ["member_status", "partner_status", "invitation_revoke"])
def test_management_urls_refuse_get(world, client_for, action):
    url, _data = _actions(world)[action]
    assert client_for(world.coordinator).get(url).status_code == 405


# Management actions: the coordinator ----------------------------------------------------------------


def test_coordinator_changes_a_role_with_sudo(world, sudo_client):
    url, _ = _actions(world)["member_role"]
    response = sudo_client(world.coordinator).post(
        url, {"role": "member", "reason": "Needs to post"}, follow=True
    )
    assert response.status_code == 200
    world.membership_viewer.refresh_from_db()
    assert world.membership_viewer.role == "member"
    event = AuditEvent.objects.get(action="partnerships.member.role_changed")
    assert event.before == {"role": "viewer"} and event.after == {"role": "member"}
    assert event.reason == "Needs to post"
    assert "New role of Vera Viewer: Member." in response.content.decode()


def test_role_change_needs_a_recent_confirmation(world, client_for):
    url, _ = _actions(world)["member_role"]
    client = client_for(world.coordinator)
    response = client.post(url, {"role": "member"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sudo"))
    assert "next=" in response.url
    world.membership_viewer.refresh_from_db()
    assert world.membership_viewer.role == "viewer"
    assert not AuditEvent.objects.filter(action="partnerships.member.role_changed").exists()


def test_back_from_confirmation_goes_to_the_members_table(world, sudo_client):
    url, _ = _actions(world)["member_role"]
    response = sudo_client(world.coordinator).get(url)
    assert response.status_code == 302
    assert response.url == overview_url(world.partnership_a) + "#members"


def test_unknown_role_is_an_error_naming_the_field(world, sudo_client):
    url, _ = _actions(world)["member_role"]
    before = _state(world)
    response = sudo_client(world.coordinator).post(url, {"role": "overlord"}, follow=True)
    assert response.status_code == 200
    assert "Role: Select a valid choice." in response.content.decode()
    assert _state(world) == before


def test_last_coordinator_cannot_demote_themselves(world, sudo_client):
    m = coordinator_membership(world)
    url = reverse("partnerships:member_role", kwargs={"code": world.partnership_a.code, "m_code": m.code})
    before = _state(world)
    response = sudo_client(world.coordinator).post(url, {"role": "member"}, follow=True)
    assert response.status_code == 200
    assert "A partnership needs at least one active coordinator." in response.content.decode()
    assert _state(world) == before


def test_last_coordinator_cannot_suspend_themselves_or_their_organisation(world, sudo_client):
    a, m = world.partnership_a, coordinator_membership(world)
    client = sudo_client(world.coordinator)
    before = _state(world)
    response = client.post(
        reverse("partnerships:member_status", kwargs={"code": a.code, "m_code": m.code}),
        {"status": "suspended", "reason": "Leaving"},
        follow=True,
    )
    assert "A partnership needs at least one active coordinator." in response.content.decode()
    response = client.post(
        reverse("partnerships:partner_status", kwargs={"code": a.code, "p_code": m.partner.code}),
        {"status": "suspended", "reason": "Leaving"},
        follow=True,
    )
    assert response.status_code == 200
    assert "A partnership needs at least one active coordinator." in response.content.decode()
    assert _state(world) == before


def test_a_second_coordinator_allows_stepping_down(world, sudo_client):
    client = sudo_client(world.coordinator)
    member_role = reverse(
        "partnerships:member_role",
        kwargs={"code": world.partnership_a.code, "m_code": world.membership_member.code},
    )
    client.post(member_role, {"role": "coordinator"})
    m = coordinator_membership(world)
    client.post(
        reverse("partnerships:member_role", kwargs={"code": world.partnership_a.code, "m_code": m.code}),
        {"role": "member"},
    )
    m.refresh_from_db()
    assert m.role == "member"
    assert AuditEvent.objects.filter(action="partnerships.member.role_changed").count() == 2


def test_suspend_and_reactivate_a_member(world, sudo_client):
    url, _ = _actions(world)["member_status"]
    client = sudo_client(world.coordinator)
    response = client.post(url, {"status": "suspended", "reason": "Under investigation"})
    assert response.status_code == 302
    assert response.url == overview_url(world.partnership_a) + "#members"
    world.membership_viewer.refresh_from_db()
    assert world.membership_viewer.status == "suspended"
    event = AuditEvent.objects.get(action="partnerships.member.status_changed")
    assert event.reason == "Under investigation"
    client.post(url, {"status": "active"})
    world.membership_viewer.refresh_from_db()
    assert world.membership_viewer.status == "active"
    assert AuditEvent.objects.filter(action="partnerships.member.status_changed").count() == 2


def test_suspending_without_a_reason_is_refused(world, sudo_client):
    url, _ = _actions(world)["member_status"]
    before = _state(world)
    response = sudo_client(world.coordinator).post(url, {"status": "suspended", "reason": "  "}, follow=True)
    assert response.status_code == 200
    assert "Reason: Give a reason for suspending a member." in response.content.decode()
    assert _state(world) == before


def test_partner_status_change_and_reason_required(world, sudo_client):
    url, _ = _actions(world)["partner_status"]
    client = sudo_client(world.coordinator)
    before = _state(world)
    response = client.post(url, {"status": "withdrawn", "reason": ""}, follow=True)
    assert "Reason: Give a reason for suspending or withdrawing a partner." in response.content.decode()
    assert _state(world) == before
    client.post(url, {"status": "suspended", "reason": "Breach of the covenant"})
    partner = world.membership_viewer.partner
    partner.refresh_from_db()
    assert partner.status == "suspended"
    event = AuditEvent.objects.filter(
        action="partnerships.partner.status_changed", target_code=str(partner.code)
    )
    assert event.latest("seq").reason == "Breach of the covenant"
    assert event.latest("seq").after == {"status": "suspended"}


def test_suspended_partner_members_lose_access(world, sudo_client, client_for):
    url, _ = _actions(world)["partner_status"]
    sudo_client(world.coordinator).post(url, {"status": "suspended", "reason": "Breach"})
    assert client_for(world.viewer).get(overview_url(world.partnership_a)).status_code == 404


def test_unknown_partner_status_is_an_error(world, sudo_client):
    url, _ = _actions(world)["partner_status"]
    before = _state(world)
    response = sudo_client(world.coordinator).post(url, {"status": "evicted", "reason": "x"}, follow=True)
    assert "Status: Select a valid choice." in response.content.decode()
    assert _state(world) == before


def test_htmx_action_returns_the_fresh_fragment_with_its_message(world, sudo_client):
    url, _ = _actions(world)["member_status"]
    response = sudo_client(world.coordinator).post(
        url, {"status": "suspended", "reason": "Investigation"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'hx-swap-oob="true"' in body
    assert "Vera Viewer has been suspended." in body
    assert "Suspended" in body


def test_coordinator_cannot_lock_themselves_out(world, sudo_client):
    client = sudo_client(world.coordinator)
    client.post(
        reverse(
            "partnerships:member_role",
            kwargs={"code": world.partnership_a.code, "m_code": world.membership_member.code},
        ),
        {"role": "coordinator"},
    )
    m = coordinator_membership(world)
    before = _state(world)
    response = client.post(
        reverse("partnerships:member_status", kwargs={"code": world.partnership_a.code, "m_code": m.code}),
        {"status": "suspended", "reason": "Stepping back"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "You cannot take away your own access." in response.content.decode()
    response = client.post(
        reverse(
            "partnerships:partner_status", kwargs={"code": world.partnership_a.code, "p_code": m.partner.code}
        ),
        {"status": "suspended", "reason": "Stepping back"},
        follow=True,
    )
    assert "You cannot take away your own access." in response.content.decode()
    assert _state(world) == before
