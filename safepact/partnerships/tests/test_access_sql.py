"""The access query behind every partnership page and API call is hand-written SQL (``_access_sql``; the
ORM took about 1 ms a request to build it). It must answer exactly what the ORM query it replaces answers:
``_with_officer_flag(active_memberships(user))`` for the partnership's code, with the partner, partnership
and organisation loaded. These tests compare the two over every status that decides access."""

import uuid
from itertools import product

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from safepact.accounts.models import OrganisationMembership
from safepact.partnerships.models import (
    Membership,
    MembershipStatus,
    Partner,
    Partnership,
    PartnerStatus,
)
from safepact.partnerships.selectors import (
    _access_membership,
    _with_officer_flag,
    active_memberships,
    get_partnership_for_user,
)


def orm_reference(user, code):
    return (
        _with_officer_flag(active_memberships(user))
        .filter(partner__partnership__code=code)
        .select_related("partner__partnership", "partner__organisation")
        .first()
    )


def values(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def assert_same(user, code):
    expected = orm_reference(user, code)
    got = _access_membership(user, code)
    if expected is None:
        assert got is None
        return
    assert got is not None
    assert values(got) == values(expected)
    assert values(got.partner) == values(expected.partner)
    assert values(got.partner.partnership) == values(expected.partner.partnership)
    assert values(got.partner.organisation) == values(expected.partner.organisation)
    assert got.is_law_enforcement_officer is expected.is_law_enforcement_officer
    # The values have the ORM's Python types (UUIDs, aware datetimes, lists from JSON), not raw columns.
    for a, b in ((got, expected), (got.partner.partnership, expected.partner.partnership)):
        for name, value in values(b).items():
            assert type(getattr(a, name)) is type(value), name


@pytest.mark.django_db
def test_every_combination_of_statuses_gives_the_orms_answer(world):
    people = [world.coordinator, world.member, world.viewer, world.outsider, world.coordinator_b]
    codes = [world.partnership_a.code, world.partnership_b.code, uuid.uuid4()]
    member_row = Membership.objects.get(pk=world.membership_member.pk)
    partner_row = Partner.objects.get(pk=member_row.partner_id)
    officer = OrganisationMembership.objects.filter(organisation=world.org_police_a, user=world.coordinator)
    checked = 0
    for membership_status, partner_status, flagged, active in product(
        MembershipStatus.values, PartnerStatus.values, (False, True), (True, False)
    ):
        Membership.objects.filter(pk=member_row.pk).update(status=membership_status)
        Partner.objects.filter(pk=partner_row.pk).update(status=partner_status)
        officer.update(is_law_enforcement_officer=flagged)
        world.member.is_active = active
        for person, code in product(people, codes):
            assert_same(person, code)
            checked += 1
    assert checked == len(MembershipStatus.values) * len(PartnerStatus.values) * 4 * 15
    # The combinations above do include granted access, refused access and the officer flag.
    Membership.objects.filter(pk=member_row.pk).update(status=MembershipStatus.ACTIVE)
    Partner.objects.filter(pk=partner_row.pk).update(status=PartnerStatus.ACTIVE)
    world.member.is_active = True
    assert _access_membership(world.member, world.partnership_a.code).pk == member_row.pk
    officer.update(is_law_enforcement_officer=True)
    assert _access_membership(world.coordinator, world.partnership_a.code).is_law_enforcement_officer is True


@pytest.mark.django_db
def test_anonymous_and_inactive_people_get_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert _access_membership(AnonymousUser(), world.partnership_a.code) is None
    world.coordinator.is_active = False
    assert _access_membership(world.coordinator, world.partnership_a.code) is None
    with pytest.raises(Http404):
        get_partnership_for_user(world.coordinator, world.partnership_a.code)


@pytest.mark.django_db
def test_the_access_helper_is_one_query_and_loads_everything(world):
    with CaptureQueriesContext(connection) as queries:
        partnership = get_partnership_for_user(world.member, str(world.partnership_a.code), write=True)
        membership = partnership.membership
        assert membership.partner.organisation.name == "Malmö stad"
        assert membership.partner.partnership is partnership
        assert partnership.crime_areas == ["burglary", "nuisance"]
        assert membership.is_law_enforcement_officer is False
    assert len(queries) == 1
    assert isinstance(partnership, Partnership)
    assert partnership.code == world.partnership_a.code


@pytest.mark.django_db
def test_a_saved_instance_from_the_sql_behaves_like_the_orms(world):
    """Instances made by ``Model.from_db`` are 'not adding' and save as updates."""
    partnership = get_partnership_for_user(world.coordinator, world.partnership_a.code, manage=True)
    assert partnership._state.adding is False
    partnership.name = "Sofielund, renamed"
    partnership.save(update_fields=["name"])
    assert Partnership.objects.get(pk=partnership.pk).name == "Sofielund, renamed"
