"""The confidentiality gate on the TLP policy (``partnerships.tlp.visible_to`` / ``may_see``), with the
test model ``tlpdemo.Note``: the same AMBER item is invisible before and visible after the organisation
signs the confidentiality agreement in force, and the gate closes again when the agreement ends or the
organisation withdraws. Gates narrow every restricted item, the author's own included (``may_see``
applies them after the TLP rule, to everyone)."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils.timezone import make_aware

from conftest import add_member, make_user
from safepact.agreements import services
from safepact.agreements.models import Kind, Status
from safepact.agreements.selectors import confidentiality_gate, confidentiality_status
from safepact.agreements.tests import support
from safepact.formation.tests.claimed_problem_support import fresh_partnership
from safepact.lib import clock
from safepact.lib.tests.tlpdemo.models import Note
from safepact.lib.tlp import TLP
from safepact.partnerships.tlp import GATES, may_see, visible_to, withheld_reason

T0 = datetime(2025, 4, 1, 9, tzinfo=UTC)


def require(world, partnership=None, actor=None, on=True):
    services.agreement_settings_update(
        actor=actor or world.coordinator,
        partnership=partnership or world.partnership_a,
        require_confidentiality=on,
    )


def note(world, label="amber", *, partnership=None, author=None, orgs=None, people=(), title="Fence list"):
    item = Note.objects.create(
        partnership=partnership or world.partnership_a,
        title=title,
        tlp=label,
        created_by=author or world.coordinator,
    )
    item.recipient_organisations.set([world.org_police_a, world.org_city_a] if orgs is None else orgs)
    item.recipient_people.set(people)
    return item


def sees(user, item) -> bool:
    """Both entry points, which must agree."""
    listed = visible_to(user, Note.objects.filter(pk=item.pk)).exists()
    assert may_see(user, item) == listed, (user, item.tlp)
    return listed


def confidentiality(world, **kwargs):
    """A confidentiality agreement that the police alone brings into force; the city and the shop are
    optional parties that have not signed."""
    support.signatories(world)
    agreement = support.draft(world, Kind.CONFIDENTIALITY, **kwargs)
    police = support.coordinator_membership(world).partner.code
    agreement = support.to_signing(world, agreement, required_codes=[police])
    return support.sign(world.coordinator, agreement)


def test_the_agreements_app_registers_its_gate():
    assert confidentiality_gate in GATES


def test_without_the_requirement_amber_is_visible_without_signing(world):
    item = note(world)
    assert sees(world.member, item) and sees(world.coordinator, item)
    status = confidentiality_status(world.member, world.partnership_a)
    assert (status.required, status.passes, status.message) == (False, True, "")
    assert withheld_reason(world.member, item) == ""


def test_the_same_amber_item_is_invisible_before_and_visible_after_the_organisation_signs(world):
    item = note(world)
    require(world)
    agreement = confidentiality(world)
    assert agreement.status == Status.IN_FORCE
    assert sees(world.coordinator, item)  # the police signed
    assert not sees(world.member, item)  # the city has not
    status = confidentiality_status(world.member, world.partnership_a)
    assert status.required and not status.passes
    assert status.agreement == agreement
    assert status.url == f"/p/{world.partnership_a.code}/agreements/{agreement.code}/"
    assert status.message.startswith(
        "TLP:AMBER and TLP:RED information is withheld from you because Malmö stad"
    )
    assert f"“{agreement.title}”" in status.message
    assert withheld_reason(world.member, item) == status.message

    support.sign(world.member, agreement)
    assert sees(world.member, item)
    status = confidentiality_status(world.member, world.partnership_a)
    assert status.required and status.passes and status.message == ""
    assert withheld_reason(world.member, item) == ""


def test_before_any_agreement_is_in_force_everyone_is_gated(world):
    item = note(world)
    require(world)
    for user in (world.coordinator, world.member):
        assert not sees(user, item)
    status = confidentiality_status(world.member, world.partnership_a)
    assert not status.passes and "no confidentiality agreement is in force yet" in status.message
    assert status.agreement is None and status.url == ""
    # A draft on its way is where the explanation points.
    pending = support.draft(world, Kind.CONFIDENTIALITY)
    status = confidentiality_status(world.member, world.partnership_a)
    assert status.agreement == pending and str(pending.code) in status.url
    assert "no confidentiality agreement is in force yet" in status.message


def test_signatures_count_only_once_the_agreement_is_in_force(world):
    item = note(world)
    require(world)
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world, Kind.CONFIDENTIALITY))  # police and city
    agreement = support.sign(world.coordinator, agreement)
    assert agreement.status == Status.SIGNING
    assert not sees(world.coordinator, item)  # signed, but nothing in force yet
    agreement = support.sign(world.member, agreement)
    assert agreement.status == Status.IN_FORCE
    assert sees(world.coordinator, item) and sees(world.member, item)


def test_another_kind_of_agreement_does_not_open_the_gate(world):
    item = note(world)
    require(world)
    support.in_force(world, Kind.COVENANT)  # signed by police and city, but not a confidentiality agreement
    assert not sees(world.member, item) and not sees(world.coordinator, item)


@pytest.mark.parametrize("label", ["amber", "amber+strict", "red"])
def test_every_restricted_label_is_gated(world, label):
    item = note(world, label, people=[world.coordinator, world.member])
    require(world)
    agreement = confidentiality(world)
    assert not sees(world.member, item)
    support.sign(world.member, agreement)
    assert sees(world.member, item)


@pytest.mark.parametrize("label", ["clear", "green"])
def test_clear_and_green_are_never_gated(world, label):
    item = note(world, label, orgs=[])
    require(world)  # and no agreement at all
    for user in (world.coordinator, world.member, world.viewer):
        assert sees(user, item)
    assert withheld_reason(world.member, item) == ""
    if label == "clear":
        assert may_see(AnonymousUser(), item) and sees(world.outsider, item)
    else:
        assert not sees(world.outsider, item)


def test_the_gate_applies_to_the_author_too(world):
    """``may_see`` and ``visible_to`` apply gates after the rule, to everyone: the city's own AMBER note is
    withheld from its author until the city signs."""
    item = note(world, author=world.member, orgs=[world.org_city_a])
    require(world)
    agreement = confidentiality(world)
    assert not sees(world.member, item)
    assert not sees(world.coordinator, item)  # signed, but the police is not a recipient
    support.sign(world.member, agreement)
    assert sees(world.member, item)


def test_signing_never_widens_the_tlp_rule(world):
    """The gate only narrows: a signed organisation that is not a recipient still sees nothing."""
    shop_signatory = make_user("owner@shop.example", "Sam Shopowner")
    support.make_signatory(
        add_member(
            coordinator=world.coordinator,
            partnership=world.partnership_a,
            user=shop_signatory,
            role="member",
            organisation=world.org_shop_a,
        )
    )
    item = note(world)  # recipients: police and city
    require(world)
    agreement = confidentiality(world)
    support.sign(shop_signatory, agreement)
    assert confidentiality_status(world.viewer, world.partnership_a).passes
    assert not sees(world.viewer, item) and not sees(shop_signatory, item)
    assert withheld_reason(world.viewer, item) == ""  # nothing to sign would let the shop in
    assert not sees(world.outsider, item)


def test_an_expired_confidentiality_agreement_closes_the_gate_again(world):
    item = note(world)
    require(world)
    with clock.frozen(T0):
        agreement = confidentiality(world, effective_from=date(2025, 1, 1), expiry_date=date(2025, 12, 31))
        support.sign(world.member, agreement)
    with clock.frozen(make_aware(datetime(2025, 12, 31, 23, 59))):  # the deployment's local time
        assert sees(world.member, item)
    with clock.frozen(make_aware(datetime(2026, 1, 1, 0, 1))):
        # Closed on the day after the expiry date, even before the daily job marks it expired.
        assert not sees(world.member, item) and not sees(world.coordinator, item)
        status = confidentiality_status(world.member, world.partnership_a)
        assert not status.passes and "no confidentiality agreement is in force yet" in status.message
        services.agreement_expire(agreement=agreement)
        assert not sees(world.member, item)
    # Marked expired, it stays closed whatever the date.
    with clock.frozen(datetime(2025, 6, 1, tzinfo=UTC)):
        assert not sees(world.member, item)


def test_a_terminated_confidentiality_agreement_closes_the_gate(world):
    item = note(world)
    require(world)
    agreement = confidentiality(world)
    support.sign(world.member, agreement)
    services.agreement_terminate(actor=world.coordinator, agreement=agreement, reason="Replaced by law")
    assert not sees(world.member, item) and not sees(world.coordinator, item)


def test_a_successor_must_be_signed_again(world):
    item = note(world)
    require(world)
    old = confidentiality(world)
    support.sign(world.member, old)
    assert sees(world.member, item)
    new = support.draft(world, Kind.CONFIDENTIALITY, supersedes=old, title="Confidentiality agreement 2026")
    police = support.coordinator_membership(world).partner.code
    new = support.sign(world.coordinator, support.to_signing(world, new, required_codes=[police]))
    assert new.status == Status.IN_FORCE and support.reload(old).status == Status.SUPERSEDED
    assert sees(world.coordinator, item)
    assert not sees(world.member, item)  # signed the old one only
    assert (
        "Confidentiality agreement 2026" in confidentiality_status(world.member, world.partnership_a).message
    )
    support.sign(world.member, new)
    assert sees(world.member, item)


def test_a_withdrawn_partys_organisation_is_gated_again(world):
    item = note(world)
    require(world)
    agreement = confidentiality(world)
    support.sign(world.member, agreement)
    party = agreement.parties.get(partner__organisation=world.org_city_a)
    services.party_withdraw(actor=world.member, party=party, on_date=clock.today(), reason="Leaving")
    assert not sees(world.member, item)
    assert not confidentiality_status(world.member, world.partnership_a).passes
    assert sees(world.coordinator, item)


def test_turning_the_requirement_off_opens_the_gate(world):
    item = note(world)
    require(world)
    assert not sees(world.member, item)
    require(world, on=False)
    assert sees(world.member, item)


def test_the_gate_follows_the_items_partnership(world):
    """The police takes part in A and in a second partnership C; its signature in A opens A's items only."""
    c = fresh_partnership(world, "Second partnership of the police")
    in_a = note(world)
    in_c = note(world, partnership=c, orgs=[world.org_police_a])
    require(world)
    require(world, partnership=c)
    confidentiality(world)
    assert sees(world.coordinator, in_a)
    assert not sees(world.coordinator, in_c)
    assert list(visible_to(world.coordinator, Note.objects.order_by("id"))) == [in_a]
    assert (
        "no confidentiality agreement is in force yet" in confidentiality_status(world.coordinator, c).message
    )
    require(world, partnership=c, on=False)
    assert list(visible_to(world.coordinator, Note.objects.order_by("id"))) == [in_a, in_c]


def test_the_gate_function_narrows_any_queryset_directly(world):
    """``confidentiality_gate`` is the one function the information-exchange app calls."""
    amber = note(world, title="a")
    green = note(world, "green", orgs=[], title="g")
    require(world)
    assert list(confidentiality_gate(world.member, Note.objects.all())) == []
    assert list(confidentiality_gate(AnonymousUser(), Note.objects.all())) == []
    agreement = confidentiality(world)
    support.sign(world.member, agreement)
    assert set(confidentiality_gate(world.member, Note.objects.all())) == {amber, green}
    assert list(confidentiality_gate(world.outsider, Note.objects.all())) == []


def test_visible_to_is_one_query_for_fifty_items(world, django_assert_num_queries):
    require(world)
    agreement = confidentiality(world)
    support.sign(world.member, agreement)
    labels = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]
    for i in range(50):
        note(world, labels[i % 5], title=f"n{i}", people=[world.member])
    for user, expected in ((world.member, 50), (world.viewer, 20)):
        with django_assert_num_queries(1):
            assert len(list(visible_to(user, Note.objects.all()))) == expected
    require(world, on=False)
    with django_assert_num_queries(1):
        assert len(list(visible_to(world.viewer, Note.objects.all()))) == 20
