"""Test helpers for information requests and Five Safes assessments, made through the services.

The cast (on top of the root ``world`` fixture; ``cast = make_cast(world)``), all in partnership A:

* ``world.coordinator`` (Polisen Malmö, coordinator): asks the questions;
* ``world.member`` (Malmö stad, member) and ``cast.dealer`` (Sofielund Fastighetsägare, member) answer for
  their organisations; ``world.viewer`` is a read-only member of the dealer's organisation;
* ``cast.garage`` (Garage Sofielund, member): a third organisation, addressed or not;
* ``cast.coordinator2`` (Malmö stad, coordinator): the second pair of eyes for assessments (add it with
  ``make_cast(world, second_coordinator=True)``; without it the police coordinator is the only one).

``make_request(world, cast, ...)`` drafts a request (TLP:AMBER to the city and the dealer, no personal data,
deadline a week after the frozen clock's day, unless told otherwise); ``sent_request(...)`` also submits it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from conftest import add_member, make_user
from safepact.exchange.models import Safe
from safepact.lib import clock
from safepact.partnerships.models import Partner

#: A fixed "now": Wednesday 4 June 2025, 09:00 in the deployment's time zone.
NOW = timezone.make_aware(datetime(2025, 6, 4, 9, 0), timezone.get_current_timezone())


@dataclass
class Cast:
    dealer: object
    garage: object
    coordinator2: object | None
    org_garage: object
    police: Partner
    city: Partner
    shop: Partner
    garage_partner: Partner


def make_cast(world, *, second_coordinator: bool = False) -> Cast:
    a = world.partnership_a
    dealer = make_user("dealer@shop.example", "Dina Dealer")
    add_member(
        coordinator=world.coordinator,
        partnership=a,
        user=dealer,
        role="member",
        organisation=world.org_shop_a,
    )
    garage = make_user("garage@garage.example", "Gus Garage")
    membership = add_member(
        coordinator=world.coordinator,
        partnership=a,
        user=garage,
        role="member",
        new_organisation={"name": "Garage Sofielund", "kind": "business", "country": "SE"},
    )
    coordinator2 = None
    if second_coordinator:
        coordinator2 = make_user("coordinator2@city.example", "Cecilia Coordinator")
        add_member(
            coordinator=world.coordinator,
            partnership=a,
            user=coordinator2,
            role="coordinator",
            organisation=world.org_city_a,
        )

    def partner(org):
        return Partner.objects.get(partnership=a, organisation=org)

    return Cast(
        dealer=dealer,
        garage=garage,
        coordinator2=coordinator2,
        org_garage=membership.partner.organisation,
        police=partner(world.org_police_a),
        city=partner(world.org_city_a),
        shop=partner(world.org_shop_a),
        garage_partner=membership.partner,
    )


def make_request(world, cast, *, actor=None, partners=None, **fields):
    """A draft through ``request_create`` (call it under a frozen clock)."""
    from safepact.exchange.services import request_create

    values = {
        "title": "Recovered stolen engine",
        "question": "Who was the last owner of the outboard engine with serial number 12345?",
        "purpose": "Return the engine to its owner and investigate the theft.",
        "legal_basis": "public_task",
        "national_provision": "Polislagen 8 §",
        "data_categories": [],
        "deadline": clock.today() + timedelta(days=7),
        "tlp": "amber",
        "recipient_people": [],
    }
    values.update(fields)
    return request_create(
        actor=actor or world.coordinator,
        partnership=world.partnership_a,
        recipient_partners=partners if partners is not None else [cast.city, cast.shop],
        **values,
    )


def sent_request(world, cast, **fields):
    """A request without personal data, submitted (so sent)."""
    from safepact.exchange.services import request_submit

    request = make_request(world, cast, **fields)
    return request_submit(actor=fields.get("actor") or world.coordinator, request=request)


def fill_assessment(assessment, actor, *, risk: str = "low") -> None:
    from safepact.exchange.services import assessment_answer_set

    for safe in Safe.values:
        assessment_answer_set(
            actor=actor,
            assessment=assessment,
            safe=safe,
            answer=f"How {safe} is safe.",
            risk=risk,
            mitigations="Access on the platform only.",
        )


def reload(obj):
    return type(obj).objects.get(pk=obj.pk)


def now_plus(days: float = 0):
    return NOW + timedelta(days=days)
