"""The dashboard: my partnerships, my role, what needs my attention."""

from datetime import timedelta

import pytest
from django.urls import reverse

from conftest import make_org, make_user
from safepact.lib import clock
from safepact.partnerships.models import Invitation
from safepact.partnerships.services import (
    invitation_create,
    partner_add,
    partner_set_status,
    partnership_create,
)

URL = reverse("partnerships:dashboard")


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_outsider_sees_the_empty_state_with_a_start_button(world, client_for):
    response = client_for(world.outsider).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "You are not in a partnership yet" in body
    assert reverse("partnerships:create") in body
    assert world.partnership_a.name not in body
    assert world.partnership_b.name not in body


@pytest.mark.parametrize(
    ("persona", "role", "organisation"),
    [("member", "Member", "Malmö stad"), ("viewer", "Viewer (read-only)", "Sofielund Fastighetsägare")],
)
def test_member_sees_own_partnership_role_and_organisation(world, client_for, persona, role, organisation):
    response = client_for(getattr(world, persona)).get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert world.partnership_a.name in body
    assert reverse("partnerships:overview", kwargs={"code": world.partnership_a.code}) in body
    assert role in body
    assert organisation in body
    assert "Sweden" in body and "Malmö" in body
    assert world.partnership_b.name not in body
    assert "Needs your attention" not in body


def test_active_partner_count_is_shown(world, client_for):
    response = client_for(world.coordinator).get(URL)
    card = response.context["cards"][0]
    assert card["partner_total"] == 3  # police, city, shop


def test_coordinator_sees_what_needs_attention_with_links(world, client_for):
    a = world.partnership_a
    invitation_create(
        actor=world.coordinator, partnership=a, email="new@city.example", organisation=world.org_city_a
    )
    expired, _token = invitation_create(
        actor=world.coordinator, partnership=a, email="late@city.example", organisation=world.org_city_a
    )
    Invitation.objects.filter(pk=expired.pk).update(expires_at=clock.now() - timedelta(days=1))
    candidate_org = make_org(world.coordinator, "Candidate AB", "business", "SE")
    partner_add(actor=world.coordinator, partnership=a, organisation=candidate_org)
    partner_set_status(
        actor=world.coordinator, partner=world.membership_viewer.partner, status="suspended", reason="Audit"
    )

    body = client_for(world.coordinator).get(URL).content.decode()
    overview = reverse("partnerships:overview", kwargs={"code": a.code})
    assert "Needs your attention" in body
    assert "1 invitation is waiting for an answer." in body
    assert "1 invitation has expired without an answer." in body
    assert "1 candidate partner is waiting for a decision." in body
    assert "1 partner is suspended." in body
    assert f'href="{overview}#invitations"' in body
    assert f'href="{overview}#partners"' in body


def test_attention_uses_plural_sentences(world, client_for):
    for n in range(2):
        invitation_create(
            actor=world.coordinator,
            partnership=world.partnership_a,
            email=f"person{n}@city.example",
            organisation=world.org_city_a,
        )
    body = client_for(world.coordinator).get(URL).content.decode()
    assert "2 invitations are waiting for an answer." in body


def _user_with_partnerships(n: int):
    user = make_user(f"busy{n}@example.org", "Busy Coordinator")
    org = make_org(user, f"Busy org {n}", "municipality", "NL")
    other = make_org(user, f"Other org {n}", "business", "NL")
    for i in range(n):
        p = partnership_create(
            actor=user,
            organisation=org,
            name=f"Partnership {i}",
            purpose="Safety.",
            country="NL",
            crime_areas=["burglary"],
            municipality="Heerlen",
        )
        invitation_create(
            actor=user, partnership=p, email=f"x{i}@example.org", organisation=other if i else org
        )
        partner_add(actor=user, partnership=p, organisation=make_org(user, f"Cand {n}-{i}", "business", "NL"))
    return user


def _dashboard_queries(client_for, n) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(_user_with_partnerships(n))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(response.context["cards"]) == n
    return len(queries)


def test_dashboard_query_count_does_not_grow(db, client_for):
    # session, user, memberships, open invitations, waiting partners, then a fixed number per attention
    # provider and dashboard panel the apps above registered (the continuity panel computes its signals for
    # all coordinated partnerships at once): the same for 1 and for 10 partnerships, and bounded.
    one = _dashboard_queries(client_for, 1)
    ten = _dashboard_queries(client_for, 10)
    assert ten == one
    assert one <= 40
