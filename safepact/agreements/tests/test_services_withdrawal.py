"""Withdrawal: by the party's own authorised signatory or a coordinator, with a reason and a date that is
not before the agreement took effect; once only; audited; and from its date the organisation no longer
passes the confidentiality gate."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.timezone import make_aware

from safepact.agreements import services
from safepact.agreements.models import Kind, Party, Status
from safepact.agreements.selectors import confidentiality_status, sign_option
from safepact.agreements.tests import support
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.lib.tests.tlpdemo.models import Note
from safepact.partnerships.models import Membership
from safepact.partnerships.tlp import may_see, visible_to

START = date(2025, 1, 1)
T0 = datetime(2025, 6, 2, 10, tzinfo=UTC)


def refused(excinfo, field: str, fragment: str) -> None:
    messages = excinfo.value.message_dict[field]
    assert any(fragment in message for message in messages), messages


def party_of(agreement, organisation) -> Party:
    return agreement.parties.select_related("partner__organisation").get(partner__organisation=organisation)


@pytest.fixture
def agreement(world):
    """A covenant in force since 1 January 2025, signed by police and city."""
    with clock.frozen(T0):
        return support.in_force(world, effective_from=START)


def test_the_partys_own_signatory_withdraws_with_a_date_and_a_reason(world, agreement):
    party = party_of(agreement, world.org_city_a)
    with clock.frozen(T0):
        services.party_withdraw(
            actor=world.member, party=party, on_date=date(2025, 7, 1), reason="Budget cuts"
        )
    party.refresh_from_db()
    assert party.withdrawn_on == date(2025, 7, 1)
    assert party.withdrawal_reason == "Budget cuts" and party.withdrawn_by == world.member
    [event] = AuditEvent.objects.filter(action="agreements.party.withdrawn", target_code=str(party.code))
    assert event.reason == "Budget cuts" and event.actor_code == str(world.member.code)
    assert event.occurred_at == T0
    assert event.after == {
        "agreement": str(agreement.code),
        "organisation": str(world.org_city_a.code),
        "on": "2025-07-01",
    }
    # The agreement stays in force between the others; the party can no longer sign or accede.
    assert support.reload(agreement).status == Status.IN_FORCE
    assert sign_option(world.member, agreement).reason == "Your organisation withdrew from this agreement."
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_accede(actor=world.member, agreement=agreement, reauthenticated=True)
    refused(excinfo, "party", "withdrew")


def test_a_coordinator_may_withdraw_any_party(world, agreement):
    party = party_of(agreement, world.org_shop_a)  # the shop has no signatory at all
    services.party_withdraw(actor=world.coordinator, party=party, on_date=START, reason="Left the area")
    party.refresh_from_db()
    assert party.withdrawn_on == START and party.withdrawn_by == world.coordinator


@pytest.mark.parametrize(
    ("on_date", "reason", "field", "fragment"),
    [
        (date(2025, 7, 1), "", "reason", "reason"),
        (date(2025, 7, 1), "   ", "reason", "reason"),
        (None, "Moving away", "on_date", "date"),
        ("2025-07-01", "Moving away", "on_date", "date"),
        (date(2024, 12, 31), "Moving away", "on_date", "before the agreement did"),
    ],
)
def test_withdrawal_needs_a_reason_and_a_date_not_before_the_start(
    world, agreement, on_date, reason, field, fragment
):
    party = party_of(agreement, world.org_city_a)
    with pytest.raises(ValidationError) as excinfo:
        services.party_withdraw(actor=world.member, party=party, on_date=on_date, reason=reason)
    refused(excinfo, field, fragment)
    party.refresh_from_db()
    assert party.withdrawn_on is None
    assert not AuditEvent.objects.filter(action="agreements.party.withdrawn").exists()


def test_withdrawal_on_the_effective_date_itself_is_allowed(world, agreement):
    party = services.party_withdraw(
        actor=world.member, party=party_of(agreement, world.org_city_a), on_date=START, reason="Never started"
    )
    assert party.withdrawn_on == START


def test_withdrawal_is_refused_for_others(world, agreement):
    police = party_of(agreement, world.org_police_a)
    city = party_of(agreement, world.org_city_a)
    # The city's signatory cannot withdraw the police.
    with pytest.raises(PermissionDenied):
        services.party_withdraw(actor=world.member, party=police, on_date=START, reason="Not theirs")
    # A member of the party without the signatory flag cannot withdraw it.
    Membership.objects.filter(pk=world.membership_member.pk).update(is_signatory=False)
    with pytest.raises(PermissionDenied):
        services.party_withdraw(actor=world.member, party=city, on_date=START, reason="Not flagged")
    # A viewer has no write access at all, even when flagged.
    support.make_signatory(world.membership_viewer)
    with pytest.raises(PermissionDenied):
        services.party_withdraw(
            actor=world.viewer, party=party_of(agreement, world.org_shop_a), on_date=START, reason="Read-only"
        )
    for stranger in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            services.party_withdraw(actor=stranger, party=city, on_date=START, reason="Stranger")
    assert not Party.objects.filter(withdrawn_on__isnull=False).exists()


def test_withdrawal_happens_once(world, agreement):
    party = party_of(agreement, world.org_city_a)
    services.party_withdraw(actor=world.member, party=party, on_date=date(2025, 7, 1), reason="First")
    with pytest.raises(ValidationError) as excinfo:
        services.party_withdraw(
            actor=world.coordinator, party=party, on_date=date(2025, 8, 1), reason="Again"
        )
    refused(excinfo, "party", "already withdrawn")
    party.refresh_from_db()
    assert party.withdrawn_on == date(2025, 7, 1) and party.withdrawal_reason == "First"
    assert AuditEvent.objects.filter(action="agreements.party.withdrawn").count() == 1


def test_withdrawal_is_refused_while_drafting(world):
    agreement = support.draft(world)
    with pytest.raises(ValidationError) as excinfo:
        services.party_withdraw(
            actor=world.coordinator, party=party_of(agreement, world.org_city_a), on_date=START, reason="x"
        )
    refused(excinfo, "status", "remove the party instead")


def test_withdrawal_of_the_last_missing_required_party_brings_the_agreement_into_force(world):
    support.signatories(world)
    agreement = support.draft(world)
    everyone = [p.partner.code for p in agreement.parties.select_related("partner")]
    agreement = support.to_signing(world, agreement, required_codes=everyone)
    agreement = support.sign(world.coordinator, agreement)
    agreement = support.sign(world.member, agreement)
    assert agreement.status == Status.SIGNING  # the shop is required and has not signed
    services.party_withdraw(
        actor=world.coordinator, party=party_of(agreement, world.org_shop_a), on_date=START, reason="Left"
    )
    assert support.reload(agreement).status == Status.IN_FORCE


def test_after_withdrawal_the_organisation_is_gated_from_the_withdrawal_date(world):
    """City signed the confidentiality agreement, then withdraws as of 1 July: it reads AMBER items until
    30 June and not from 1 July on."""
    services.agreement_settings_update(
        actor=world.coordinator, partnership=world.partnership_a, require_confidentiality=True
    )
    with clock.frozen(T0):
        confidentiality = support.in_force(world, Kind.CONFIDENTIALITY, effective_from=START)
    note = Note.objects.create(
        partnership=world.partnership_a, title="Fence list", tlp="amber", created_by=world.coordinator
    )
    note.recipient_organisations.set([world.org_police_a, world.org_city_a])

    def sees() -> bool:
        listed = list(visible_to(world.member, Note.objects.all())) == [note]
        assert may_see(world.member, note) == listed
        return listed

    party = party_of(confidentiality, world.org_city_a)
    with clock.frozen(T0):
        assert sees()
        services.party_withdraw(actor=world.member, party=party, on_date=date(2025, 7, 1), reason="Leaving")
        assert sees()  # announced, not yet effective
    with clock.frozen(make_aware(datetime(2025, 6, 30, 23, 59))):  # the deployment's local time
        assert sees()
        assert confidentiality_status(world.member, world.partnership_a).passes
    with clock.frozen(make_aware(datetime(2025, 7, 1, 0, 0))):
        assert not sees()
        status = confidentiality_status(world.member, world.partnership_a)
        assert not status.passes and "Malmö stad has not signed" in status.message
    with clock.frozen(make_aware(datetime(2025, 7, 1, 0, 0)) + timedelta(days=400)):
        assert not sees()
    # The police did not withdraw and still passes.
    with clock.frozen(datetime(2025, 7, 2, tzinfo=UTC)):
        assert may_see(world.coordinator, note)
