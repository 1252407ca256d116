"""The registry's personas, on top of the root ``world``.

Partnership A: ``world.coordinator`` is a police coordinator (law enforcement, owning unit "Polisen
Malmö"); ``officer`` is a second member of that unit; ``customs`` is a member of another law-enforcement
unit (Tullverket); all three are flagged by platform staff as law-enforcement officers of their
organisation (``make_officer``: without the flag a member of a law-enforcement organisation is a partner
like any other); ``marina`` (a marina) and ``world.member`` (the city) are partners with the write role who
check identifiers; ``world.viewer`` reads only; ``world.outsider`` and ``world.coordinator_b`` are outside.
"""

from dataclasses import dataclass

import pytest

from conftest import add_member, make_user


@dataclass
class Registry:
    world: object
    partnership: object
    police: object  # world.coordinator
    officer: object
    customs: object
    marina: object
    city: object  # world.member
    viewer: object
    outsider: object
    coordinator_b: object
    m_police: object
    m_officer: object
    m_customs: object
    m_marina: object
    m_city: object
    m_viewer: object


def make_officer(user, organisation) -> None:
    """What platform staff do in the admin: flag ``user`` as a law-enforcement officer of ``organisation``
    (``accounts.OrganisationMembership.is_law_enforcement_officer``), which the registry's law-enforcement
    role needs besides the organisation's kind."""
    from safepact.accounts.models import OrganisationMembership

    updated = OrganisationMembership.objects.filter(user=user, organisation=organisation).update(
        is_law_enforcement_officer=True
    )
    assert updated == 1, f"{user} is not a person of {organisation}"


@pytest.fixture
def reg(world) -> Registry:
    from safepact.partnerships.selectors import membership_in

    a = world.partnership_a
    officer = make_user("officer@polisen.example", "Olle Officer")
    customs = make_user("customs@tullverket.example", "Cecilia Customs")
    marina = make_user("harbour@marina.example", "Hanna Harbour")
    add_member(
        coordinator=world.coordinator,
        partnership=a,
        user=officer,
        role="member",
        organisation=world.org_police_a,
    )
    add_member(
        coordinator=world.coordinator,
        partnership=a,
        user=customs,
        role="member",
        new_organisation={"name": "Tullverket Syd", "kind": "law_enforcement", "country": "SE"},
    )
    add_member(
        coordinator=world.coordinator,
        partnership=a,
        user=marina,
        role="member",
        new_organisation={"name": "Limhamn Marina", "kind": "business", "country": "SE"},
    )
    make_officer(world.coordinator, world.org_police_a)
    make_officer(officer, world.org_police_a)
    m_customs = membership_in(customs, a)
    make_officer(customs, m_customs.partner.organisation)
    return Registry(
        world=world,
        partnership=a,
        police=world.coordinator,
        officer=officer,
        customs=customs,
        marina=marina,
        city=world.member,
        viewer=world.viewer,
        outsider=world.outsider,
        coordinator_b=world.coordinator_b,
        m_police=membership_in(world.coordinator, a),
        m_officer=membership_in(officer, a),
        m_customs=membership_in(customs, a),
        m_marina=membership_in(marina, a),
        m_city=membership_in(world.member, a),
        m_viewer=membership_in(world.viewer, a),
    )


def boat_alert(reg, *, by=None, identifiers=None, **fields):
    """A stolen boat of the police unit with two hull numbers and an engine number (the issue's example)."""
    from safepact.registry import services

    identifiers = identifiers or [
        {"kind": "hin", "value": "SE-ABC12345D404"},
        {"kind": "hin", "value": "NL-XYZ98765E505"},
        {"kind": "engine", "manufacturer": "Yamaha", "value": "6ML-1034567"},
    ]
    values = {
        "category": "boat",
        "description": "Bayliner VR5, white hull, blue stripe; stolen from Limhamn harbour.",
        "case_reference": "5000-K123456-26",
        "legal_basis": "Rättegångsbalken 27 kap.",
        "jurisdiction": "SE",
        "action": "hold",
    }
    values.update(fields)
    return services.alert_create(
        user=by or reg.police, partnership=reg.partnership, identifiers=identifiers, **values
    )
