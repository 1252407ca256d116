"""Correctness review of the agreements app: lifecycle holes, the gate's dates and time zone, the gate's
explanation agreeing with the gate, and the daily job. Each test failed before its fix."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from safepact.agreements import selectors, services
from safepact.agreements.hooks import notices
from safepact.agreements.models import Kind, Party, ReminderSent, Status
from safepact.agreements.selectors import confidentiality_status, organisation_passes
from safepact.agreements.tests import support
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.lib.tests.tlpdemo.models import Note
from safepact.partnerships.models import Partner, PartnerStatus
from safepact.partnerships.services import partner_set_status
from safepact.partnerships.tlp import may_see, visible_to


@pytest.fixture(autouse=True)
def _brussels(settings):
    """The deployment's default time zone (``TIME_ZONE``), stated so the tests do not depend on the env."""
    settings.TIME_ZONE = "Europe/Brussels"


def refused(excinfo, field: str, fragment: str) -> None:
    messages = excinfo.value.message_dict[field]
    assert any(fragment in message for message in messages), messages


def require(world) -> None:
    services.agreement_settings_update(
        actor=world.coordinator, partnership=world.partnership_a, require_confidentiality=True
    )


def amber_note(world) -> Note:
    item = Note.objects.create(
        partnership=world.partnership_a, title="Fence list", tlp="amber", created_by=world.coordinator
    )
    item.recipient_organisations.set([world.org_police_a, world.org_city_a])
    return item


def sees(user, item) -> bool:
    listed = visible_to(user, Note.objects.filter(pk=item.pk)).exists()
    assert may_see(user, item) == listed
    return listed


def police_code(world):
    return support.coordinator_membership(world).partner.code


def confidentiality(world, **kwargs):
    """A confidentiality agreement the police alone brings into force (city and shop optional)."""
    support.signatories(world)
    agreement = support.draft(world, Kind.CONFIDENTIALITY, **kwargs)
    agreement = support.to_signing(world, agreement, required_codes=[police_code(world)])
    return support.sign(world.coordinator, agreement)


def party_of(agreement, organisation) -> Party:
    return agreement.parties.select_related("partner__organisation").get(partner__organisation=organisation)


# Dates are the deployment's local calendar ---------------------------------------------------------


def test_an_agreement_entering_into_force_after_local_midnight_takes_effect_that_local_day(world):
    """23:30 UTC on 10 March is 00:30 on 11 March in Brussels: the agreement is in force from the 11th."""
    with clock.frozen(datetime(2025, 3, 10, 23, 30, tzinfo=UTC)):
        assert selectors.today() == date(2025, 3, 11)
        agreement = support.in_force(world)
    assert agreement.status == Status.IN_FORCE
    assert agreement.effective_from == date(2025, 3, 11)


def test_the_gate_closes_at_local_midnight_after_the_expiry_date(world):
    item = amber_note(world)
    require(world)
    with clock.frozen(datetime(2025, 3, 1, 10, tzinfo=UTC)):
        agreement = confidentiality(world, effective_from=date(2025, 3, 1), expiry_date=date(2025, 3, 10))
        support.sign(world.member, agreement)
    with clock.frozen(datetime(2025, 3, 10, 22, 59, tzinfo=UTC)):  # 23:59 on the 10th in Brussels
        assert sees(world.member, item)
        assert confidentiality_status(world.member, world.partnership_a).passes
    with clock.frozen(datetime(2025, 3, 10, 23, 30, tzinfo=UTC)):  # 00:30 on the 11th in Brussels
        assert not sees(world.member, item)
        assert not confidentiality_status(world.member, world.partnership_a).passes
        assert not organisation_passes(world.partnership_a.pk, world.org_city_a.pk)
        assert services.expire_due() == 1


def test_a_withdrawal_takes_effect_at_local_midnight_of_its_date(world):
    item = amber_note(world)
    require(world)
    with clock.frozen(datetime(2025, 6, 2, 10, tzinfo=UTC)):
        agreement = confidentiality(world, effective_from=date(2025, 6, 1))
        support.sign(world.member, agreement)
        services.party_withdraw(
            actor=world.member,
            party=party_of(agreement, world.org_city_a),
            on_date=date(2025, 7, 1),
            reason="Leaving",
        )
    with clock.frozen(datetime(2025, 6, 30, 21, 59, tzinfo=UTC)):  # 23:59 on 30 June (CEST)
        assert sees(world.member, item)
    with clock.frozen(datetime(2025, 6, 30, 22, 30, tzinfo=UTC)):  # 00:30 on 1 July (CEST)
        assert not sees(world.member, item)
        assert not confidentiality_status(world.member, world.partnership_a).passes


def test_the_gate_opens_on_the_effective_date_not_when_the_last_signature_is_set(world):
    """Signed in April, in force from 1 May: the confidentiality duties bind from 1 May, and so does the gate."""
    item = amber_note(world)
    require(world)
    with clock.frozen(datetime(2025, 4, 1, 10, tzinfo=UTC)):
        agreement = confidentiality(world, effective_from=date(2025, 5, 1))
        support.sign(world.member, agreement)
        assert agreement.status == Status.IN_FORCE
    with clock.frozen(datetime(2025, 4, 15, 10, tzinfo=UTC)):
        assert not sees(world.member, item) and not sees(world.coordinator, item)
        assert not organisation_passes(world.partnership_a.pk, world.org_city_a.pk)
        status = confidentiality_status(world.member, world.partnership_a)
        assert not status.passes and status.agreement == agreement
        assert "takes effect on" in status.message
    with clock.frozen(datetime(2025, 5, 1, 10, tzinfo=UTC)):
        assert sees(world.member, item)
        assert organisation_passes(world.partnership_a.pk, world.org_city_a.pk)
        assert confidentiality_status(world.member, world.partnership_a).passes


# The gate's explanation follows the gate ------------------------------------------------------------


def test_the_status_agrees_with_the_gate_when_two_confidentiality_agreements_are_in_force(world):
    """The city signed the first confidentiality agreement; a second one (not replacing it) came into force
    later without the city. The gate lets the city through (it signed one in force), so the explanation
    must not say the content is withheld, and the overview must not warn."""
    item = amber_note(world)
    require(world)
    with clock.frozen(datetime(2025, 4, 1, 10, tzinfo=UTC)):
        first = confidentiality(world)
        support.sign(world.member, first)
        clock.advance(timedelta(days=1))
        second = support.draft(world, Kind.CONFIDENTIALITY, title="Project confidentiality agreement")
        second = support.to_signing(world, second, required_codes=[police_code(world)])
        second = support.sign(world.coordinator, second)
        assert second.status == Status.IN_FORCE and support.reload(first).status == Status.IN_FORCE
        assert sees(world.member, item)
        status = confidentiality_status(world.member, world.partnership_a)
        assert status.passes and status.agreement == first
        assert not [
            n for n in notices(user=world.member, partnership=world.partnership_a) if n.level == "warning"
        ]


# Supersession ---------------------------------------------------------------------------------------


def test_an_agreement_can_only_replace_one_of_the_same_type(world):
    """A covenant that “replaces” the confidentiality agreement would, on entering into force, end it and
    close the confidentiality gate for everyone."""
    old = confidentiality(world)
    with pytest.raises(ValidationError) as excinfo:
        support.draft(world, Kind.COVENANT, supersedes=old)
    refused(excinfo, "supersedes", "same type")
    assert support.reload(old).status == Status.IN_FORCE


def test_two_agreements_cannot_both_replace_the_same_one(world):
    old = support.in_force(world)
    first = support.draft(world, supersedes=old, title="Covenant, second edition")
    rival = support.draft(world, supersedes=old, title="Covenant, rival edition")
    first = support.to_signing(world, first)
    services.agreement_finalise(actor=world.coordinator, agreement=support.reload(rival))
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_open_signing(actor=world.coordinator, agreement=support.reload(rival))
    refused(excinfo, "supersedes", "Covenant, second edition")
    first = support.sign(world.member, support.sign(world.coordinator, first))
    assert first.status == Status.IN_FORCE and support.reload(old).status == Status.SUPERSEDED
    with pytest.raises(ValidationError):
        services.agreement_open_signing(actor=world.coordinator, agreement=support.reload(rival))
    assert support.reload(rival).status == Status.FINAL


def test_a_successor_abandoned_while_signing_frees_the_way_for_another(world):
    old = support.in_force(world)
    first = support.to_signing(world, support.draft(world, supersedes=old, title="Abandoned edition"))
    services.agreement_terminate(actor=world.coordinator, agreement=first, reason="Wrong text")
    second = support.to_signing(world, support.draft(world, supersedes=old, title="Covenant, second edition"))
    second = support.sign(world.member, support.sign(world.coordinator, second))
    assert second.status == Status.IN_FORCE and support.reload(old).status == Status.SUPERSEDED


# Quorum ---------------------------------------------------------------------------------------------


def test_optional_signatures_alone_never_bring_an_agreement_into_force(world):
    """The police, the only required party, withdraws while signing: the withdrawal rightly does not bring
    the agreement into force, and neither may the city's signature as an optional party afterwards."""
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world), required_codes=[police_code(world)])
    services.party_withdraw(
        actor=world.coordinator,
        party=party_of(agreement, world.org_police_a),
        on_date=clock.today(),
        reason="Not our agreement after all",
    )
    assert support.reload(agreement).status == Status.SIGNING
    agreement = support.sign(world.member, agreement)
    assert agreement.status == Status.SIGNING
    assert not AuditEvent.objects.filter(
        action="agreements.agreement.in_force", target_code=str(agreement.code)
    )


def test_finalise_refuses_a_required_party_that_left_the_partnership(world):
    """Its people can never sign (no active membership), so without a quorum the agreement could never
    enter into force."""
    agreement = support.draft(world)
    shop = Partner.objects.get(partnership=world.partnership_a, organisation=world.org_shop_a)
    partner_set_status(actor=world.coordinator, partner=shop, status=PartnerStatus.WITHDRAWN, reason="Left")
    with pytest.raises(ValidationError) as excinfo:
        services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement))
    refused(excinfo, "parties", "Sofielund Fastighetsägare")
    assert support.reload(agreement).status == Status.DRAFT
    party = party_of(agreement, world.org_shop_a)
    party.agreement = support.reload(agreement)
    services.party_set_required(actor=world.coordinator, party=party, required=False)
    services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement))
    assert support.reload(agreement).status == Status.FINAL


# The daily job --------------------------------------------------------------------------------------


def test_the_daily_job_skips_an_agreement_whose_state_moved_since_it_was_listed(world, monkeypatch):
    """Terminated (or expired by another run of the job) between the listing and the lock: skipped, and the
    others are still marked expired."""
    terminated = support.in_force(world, effective_from=date(2024, 1, 1), expiry_date=date(2024, 12, 31))
    due = support.in_force(world, effective_from=date(2024, 1, 1), expiry_date=date(2024, 12, 31))
    listed = list(selectors.expired_unmarked(date(2025, 1, 1)))
    assert {a.pk for a in listed} == {terminated.pk, due.pk}
    services.agreement_terminate(actor=world.coordinator, agreement=terminated, reason="Ended early")
    monkeypatch.setattr(services, "expired_unmarked", lambda on=None: sorted(listed, key=lambda a: a.pk))
    assert services.expire_due(on=date(2025, 1, 1)) == 1
    assert support.reload(terminated).status == Status.TERMINATED
    assert support.reload(due).status == Status.EXPIRED


def test_a_moved_review_date_is_reminded_again_and_an_expiry_once(world):
    """Checked sound: the job reminds once per (agreement, kind, date); a new review date is a new reminder;
    an agreement that expires is marked once and its "expired" reminder goes out once."""
    with clock.frozen(datetime(2031, 3, 2, 9, tzinfo=UTC)):
        agreement = support.in_force(
            world,
            review_date=date(2031, 3, 20),
            expiry_date=date(2031, 3, 25),
            effective_from=date(2031, 3, 1),
        )
        call_command("agreement_reminders", stdout=StringIO())
        call_command("agreement_reminders", stdout=StringIO())
        assert sorted(ReminderSent.objects.values_list("kind", "due")) == [
            ("expiry", date(2031, 3, 25)),
            ("review", date(2031, 3, 20)),
        ]
        assert len(mail.outbox) == 2
        services.agreement_update(actor=world.coordinator, agreement=agreement, review_date=date(2031, 3, 22))
        call_command("agreement_reminders", stdout=StringIO())
        assert ReminderSent.objects.filter(kind="review").count() == 2 and len(mail.outbox) == 3
    with clock.frozen(datetime(2031, 3, 26, 9, tzinfo=UTC)):
        call_command("agreement_reminders", stdout=StringIO())
        call_command("agreement_reminders", stdout=StringIO())
    assert support.reload(agreement).status == Status.EXPIRED
    assert AuditEvent.objects.filter(action="agreements.agreement.expired").count() == 1
    assert ReminderSent.objects.filter(kind="expired").count() == 1 and len(mail.outbox) == 4
