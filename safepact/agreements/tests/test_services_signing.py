"""Signing, quorum and accession through the services: who may sign (re-authenticated, flagged
signatory, not a viewer, not an outsider), what a signature records, when the agreement enters into force,
and how a partner that joins later accedes."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from conftest import add_member, make_user
from safepact.agreements import services
from safepact.agreements.models import Party, Signature, SignatureMethod, Status
from safepact.agreements.selectors import sign_option, signing_state
from safepact.agreements.tests import support
from safepact.audit.models import AuditEvent
from safepact.lib import clock

T0 = datetime(2025, 5, 6, 14, 15, tzinfo=UTC)


def events(action: str, target) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, target_code=str(target.code)).order_by("seq"))


def refused(excinfo, field: str, fragment: str) -> None:
    messages = excinfo.value.message_dict[field]
    assert any(fragment in message for message in messages), messages


def party_of(agreement, organisation) -> Party:
    return agreement.parties.get(partner__organisation=organisation)


@pytest.fixture
def signing(world):
    """Open for signature; police and city required, the shop optional; both signatories flagged."""
    support.signatories(world)
    return support.to_signing(world, support.draft(world))


# Who may sign --------------------------------------------------------------------------------------


def test_signing_needs_re_authentication(world, signing):
    with pytest.raises(PermissionDenied) as excinfo:
        services.agreement_sign(actor=world.coordinator, agreement=signing, reauthenticated=False)
    assert "re-authentication" in str(excinfo.value)
    assert not Signature.objects.exists()


def test_signing_needs_the_signatory_flag(world):
    support.make_signatory(support.coordinator_membership(world))  # the member is not flagged
    agreement = support.to_signing(world, support.draft(world))
    with pytest.raises(PermissionDenied) as excinfo:
        services.agreement_sign(actor=world.member, agreement=agreement, reauthenticated=True)
    assert "authorised signatory" in str(excinfo.value)
    assert sign_option(world.member, agreement).can_sign is False
    assert "authorised signatory" in sign_option(world.member, agreement).reason
    assert not Signature.objects.exists()


def test_a_viewer_cannot_sign_even_when_flagged(world, signing):
    support.make_signatory(world.membership_viewer)
    with pytest.raises(PermissionDenied) as excinfo:
        services.agreement_sign(actor=world.viewer, agreement=signing, reauthenticated=True)
    assert "read-only" in str(excinfo.value)
    assert not Signature.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "coordinator_b"])
def test_outsiders_get_404(world, signing, persona):
    with pytest.raises(Http404):
        services.agreement_sign(actor=getattr(world, persona), agreement=signing, reauthenticated=True)
    assert not Signature.objects.exists()


def test_a_signature_records_person_organisation_time_and_hash(world, signing):
    with clock.frozen(T0):
        signature = services.agreement_sign(
            actor=world.coordinator, agreement=signing, reauthenticated=True, method=SignatureMethod.API
        )
    signature.refresh_from_db()
    assert signature.signer == world.coordinator
    assert signature.signer_name == "Cora Coordinator"
    assert signature.organisation_name == "Polisen Malmö"
    assert signature.party == party_of(signing, world.org_police_a)
    assert signature.signed_at == T0
    assert signature.version_id == signing.final_version_id
    assert signature.text_sha256 == signing.final_sha256
    assert signature.method == SignatureMethod.API
    [signed] = events("agreements.signature.signed", signature)
    assert signed.actor_code == str(world.coordinator.code)
    assert signed.occurred_at == T0
    assert signed.after == {
        "agreement": str(signing.code),
        "version": 1,
        "sha256": signing.final_sha256,
        "organisation": str(world.org_police_a.code),
        "method": "api",
    }


def test_an_organisation_signs_once(world, signing):
    support.sign(world.coordinator, signing)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_sign(actor=world.coordinator, agreement=signing, reauthenticated=True)
    refused(excinfo, "party", "already signed")
    # Another authorised signatory of the same organisation cannot sign a second time either.
    colleague = make_user("colleague@polisen.example", "Colin Colleague")
    membership = add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=colleague,
        role="member",
        organisation=world.org_police_a,
    )
    support.make_signatory(membership)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_sign(actor=colleague, agreement=signing, reauthenticated=True)
    refused(excinfo, "party", "already signed")
    assert Signature.objects.filter(agreement=signing).count() == 1
    assert len(events("agreements.signature.signed", Signature.objects.get())) == 1
    assert sign_option(world.coordinator, signing).reason == "Your organisation has signed this text."


def test_a_signatory_whose_organisation_is_not_a_party_cannot_sign(world):
    support.signatories(world)
    police = support.coordinator_membership(world).partner.code
    agreement = support.to_signing(
        world, support.draft(world, partner_codes=[police]), required_codes=[police]
    )
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_sign(actor=world.member, agreement=agreement, reauthenticated=True)
    refused(excinfo, "party", "not a party to this agreement")
    assert not Signature.objects.exists()


# Quorum ---------------------------------------------------------------------------------------------


def test_all_required_parties_must_sign_when_no_quorum_is_named(world, signing):
    state = signing_state(signing)
    assert state.needed == 2 and {p.partner.organisation for p in state.required} == {
        world.org_police_a,
        world.org_city_a,
    }
    signing = support.sign(world.coordinator, signing)
    assert signing.status == Status.SIGNING
    assert [p.partner.organisation for p in signing_state(signing).missing] == [world.org_city_a]
    signing = support.sign(world.member, signing)
    assert signing.status == Status.IN_FORCE


def test_a_quorum_of_two_out_of_three_required_parties(world):
    support.signatories(world)
    agreement = support.draft(world, quorum=2)
    all_three = [p.partner.code for p in agreement.parties.select_related("partner")]
    agreement = support.to_signing(world, agreement, required_codes=all_three)
    state = signing_state(agreement)
    assert len(state.required) == 3 and state.needed == 2
    agreement = support.sign(world.coordinator, agreement)
    assert agreement.status == Status.SIGNING
    agreement = support.sign(world.member, agreement)
    assert agreement.status == Status.IN_FORCE  # the shop has not signed, and need not
    assert [p.partner.organisation for p in signing_state(agreement).missing] == [world.org_shop_a]
    assert len(events("agreements.agreement.in_force", agreement)) == 1


@pytest.mark.parametrize("quorum", [4, 3])
def test_a_quorum_larger_than_the_required_parties_is_refused_at_finalise(world, quorum):
    agreement = support.draft(world, quorum=quorum)
    if quorum == 3:  # three parties, one of them optional: two required
        services.party_set_required(
            actor=world.coordinator, party=party_of(agreement, world.org_shop_a), required=False
        )
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement))
    refused(excinfo, "quorum", f"The quorum ({quorum}) is larger than the number of parties required to sign")
    assert support.reload(agreement).status == Status.DRAFT


def test_optional_parties_do_not_count_towards_entry_into_force(world):
    """Required: police and shop; optional: city. The city's signature brings nothing closer."""
    support.signatories(world)
    agreement = support.draft(world)
    required = [party_of(agreement, o).partner.code for o in (world.org_police_a, world.org_shop_a)]
    agreement = support.to_signing(world, agreement, required_codes=required)
    agreement = support.sign(world.member, agreement)  # optional party
    assert agreement.status == Status.SIGNING
    state = signing_state(agreement)
    assert state.signed_count == 1 and state.required_signed == 0 and state.needed == 2
    agreement = support.sign(world.coordinator, agreement)
    assert agreement.status == Status.SIGNING  # the shop still has to sign
    assert signing_state(agreement).required_signed == 1


def test_a_quorum_counts_only_required_parties(world):
    support.signatories(world)
    agreement = support.draft(world, quorum=1)
    police = party_of(agreement, world.org_police_a).partner.code
    agreement = support.to_signing(world, agreement, required_codes=[police])
    agreement = support.sign(world.member, agreement)  # optional: the quorum of one is not reached
    assert agreement.status == Status.SIGNING
    agreement = support.sign(world.coordinator, agreement)
    assert agreement.status == Status.IN_FORCE


def test_at_least_one_party_must_be_required(world):
    agreement = support.draft(world)
    for party in agreement.parties.all():
        services.party_set_required(actor=world.coordinator, party=party, required=False)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement))
    refused(excinfo, "parties", "At least one party must be required")


def test_parties_are_fixed_once_final(world, signing):
    with pytest.raises(ValidationError) as excinfo:
        services.party_set_required(
            actor=world.coordinator, party=party_of(signing, world.org_shop_a), required=True
        )
    refused(excinfo, "parties", "fixed once the text is final")
    with pytest.raises(ValidationError):
        services.party_remove(actor=world.coordinator, party=party_of(signing, world.org_shop_a))


def test_an_optional_party_may_still_sign_after_entry_into_force(world, signing):
    signing = support.sign(world.coordinator, signing)
    signing = support.sign(world.member, signing)
    assert signing.status == Status.IN_FORCE
    shop_signatory = make_user("owner@shop.example", "Sam Shopowner")
    membership = add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=shop_signatory,
        role="member",
        organisation=world.org_shop_a,
    )
    support.make_signatory(membership)
    signature = services.agreement_sign(actor=shop_signatory, agreement=signing, reauthenticated=True)
    assert signature.text_sha256 == signing.final_sha256
    assert support.reload(signing).status == Status.IN_FORCE
    assert len(events("agreements.agreement.in_force", signing)) == 1


# Accession ------------------------------------------------------------------------------------------


def join(world):
    """A person of a new organisation that joins partnership A now (invited and accepted), not flagged."""
    user = make_user("chair@school.example", "Selma School")
    membership = add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=user,
        role="member",
        new_organisation={"name": "Sofielund skola", "kind": "knowledge", "country": "SE"},
    )
    return membership


def test_a_new_partner_accedes_by_signing_the_version_in_force(world):
    agreement = support.in_force(world)
    newcomer = join(world)
    assert not agreement.parties.filter(partner=newcomer.partner).exists()
    support.make_signatory(newcomer)
    assert sign_option(newcomer.user, agreement).can_accede is True
    with clock.frozen(T0):
        signature = services.agreement_accede(actor=newcomer.user, agreement=agreement, reauthenticated=True)
    party = signature.party
    assert party.acceded is True and party.required is False
    assert party.partner == newcomer.partner
    assert signature.version_id == agreement.final_version_id
    assert signature.text_sha256 == agreement.final_sha256
    assert signature.organisation_name == "Sofielund skola" and signature.signed_at == T0
    [acceded] = events("agreements.party.acceded", party)
    assert acceded.after == {
        "agreement": str(agreement.code),
        "organisation": str(newcomer.partner.organisation.code),
    }
    assert events("agreements.signature.signed", signature)
    agreement = support.reload(agreement)
    assert agreement.status == Status.IN_FORCE and agreement.versions.count() == 1
    assert sign_option(newcomer.user, agreement).can_accede is False


def test_accession_needs_re_authentication(world):
    agreement = support.in_force(world)
    newcomer = join(world)
    support.make_signatory(newcomer)
    with pytest.raises(PermissionDenied):
        services.agreement_accede(actor=newcomer.user, agreement=agreement, reauthenticated=False)
    assert not agreement.parties.filter(partner=newcomer.partner).exists()


def test_accession_is_refused_when_the_agreement_is_not_in_force(world, signing):
    newcomer = join(world)
    support.make_signatory(newcomer)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_accede(actor=newcomer.user, agreement=signing, reauthenticated=True)
    refused(excinfo, "status", "Only an agreement in force can be acceded to (this one is Signing)")
    # Signing is for parties only: the newcomer is none.
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_sign(actor=newcomer.user, agreement=signing, reauthenticated=True)
    refused(excinfo, "party", "not a party")
    assert not signing.parties.filter(partner=newcomer.partner).exists()


def test_accession_is_refused_to_a_party(world):
    agreement = support.in_force(world)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_accede(actor=world.member, agreement=agreement, reauthenticated=True)
    refused(excinfo, "party", "already a party")
    assert agreement.parties.count() == 3


def test_accession_is_refused_to_a_non_signatory(world):
    agreement = support.in_force(world)
    newcomer = join(world)
    with pytest.raises(PermissionDenied):
        services.agreement_accede(actor=newcomer.user, agreement=agreement, reauthenticated=True)
    assert not agreement.parties.filter(partner=newcomer.partner).exists()
    assert not AuditEvent.objects.filter(action="agreements.party.acceded").exists()


def test_accession_is_refused_to_outsiders_and_viewers(world):
    agreement = support.in_force(world)
    with pytest.raises(Http404):
        services.agreement_accede(actor=world.outsider, agreement=agreement, reauthenticated=True)
    support.make_signatory(world.membership_viewer)
    with pytest.raises(PermissionDenied):
        services.agreement_accede(actor=world.viewer, agreement=agreement, reauthenticated=True)


def test_signing_an_agreement_in_force_as_a_newcomer_points_to_accession(world):
    agreement = support.in_force(world)
    newcomer = join(world)
    support.make_signatory(newcomer)
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_sign(actor=newcomer.user, agreement=agreement, reauthenticated=True)
    refused(excinfo, "party", "accede to the agreement instead")
