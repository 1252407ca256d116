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


def test_organisation_sources_widen_the_organisations_a_person_may_see_and_add(world):
    """A registered source (formation's published directory) adds organisations to
    ``organisations_visible_to`` as one subquery; without it they stay out of reach."""
    from django.core.exceptions import ValidationError

    from safepact.accounts.models import Organisation
    from safepact.partnerships.selectors import organisations_visible_to
    from safepact.partnerships.services import partner_add

    stranger = Organisation.objects.create(name="Stranger AB", kind="business", country="SE")

    def source(user):
        return Organisation.objects.filter(name="Stranger AB").values("pk")

    saved = list(hooks._organisation_sources)
    hooks._organisation_sources.clear()  # only this source (formation registers its own at start-up)
    try:
        assert not organisations_visible_to(world.coordinator).filter(pk=stranger.pk).exists()
        with pytest.raises(ValidationError):
            partner_add(actor=world.coordinator, partnership=world.partnership_a, organisation=stranger)
        hooks.register_organisation_source(source)
        hooks.register_organisation_source(source)  # registering twice adds it once
        assert hooks._organisation_sources == [source]
        visible = organisations_visible_to(world.coordinator)
        assert visible.filter(pk=stranger.pk).exists()
        assert visible.filter(pk=world.org_city_a.pk).exists()  # the usual ones stay
        assert str(visible.query).count("Stranger AB") == 1
        partner = partner_add(actor=world.coordinator, partnership=world.partnership_a, organisation=stranger)
        assert partner.organisation == stranger
        from django.contrib.auth.models import AnonymousUser

        assert not organisations_visible_to(AnonymousUser()).exists()
    finally:
        hooks._organisation_sources[:] = saved
