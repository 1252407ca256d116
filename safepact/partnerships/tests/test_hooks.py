"""The extension points floor-3 apps use: partner activation and dashboard attention items."""

import pytest

from conftest import add_member, make_user
from safepact.partnerships import hooks
from safepact.partnerships.models import PartnerStatus
from safepact.partnerships.services import partner_set_status


@pytest.fixture
def recorded():
    calls = []

    def record(*, partner, actor):
        calls.append((partner.organisation.name, actor.email))

    hooks.on_partner_activated(record)
    yield calls
    hooks._partner_activated.remove(record)


def test_accepting_an_invitation_for_a_new_partner_runs_the_activation_hook(world, recorded):
    newcomer = make_user("new@shop.example", "New Comer")
    add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=newcomer,
        role="member",
        new_organisation={"name": "Corner Shop AB", "kind": "business", "country": "SE"},
    )
    assert recorded == [("Corner Shop AB", "new@shop.example")]


def test_reactivating_a_partner_runs_the_hook_and_suspending_does_not(world, recorded):
    partner = world.membership_member.partner
    partner_set_status(
        actor=world.coordinator, partner=partner, status=PartnerStatus.SUSPENDED, reason="Audit"
    )
    assert recorded == []
    partner_set_status(actor=world.coordinator, partner=partner, status=PartnerStatus.ACTIVE, reason="Back")
    assert recorded == [(partner.organisation.name, world.coordinator.email)]


def test_attention_providers_add_items_to_the_dashboard(world, client_for):
    def provider(*, user, memberships):
        return {
            m.partner.partnership_id: [hooks.AttentionItem("Reassess Malmö stad", "/x/")] for m in memberships
        }

    hooks.register_attention(provider)
    try:
        response = client_for(world.member).get("/")
    finally:
        hooks._attention.remove(provider)
    assert '<a href="/x/">Reassess Malmö stad</a>' in response.content.decode()
