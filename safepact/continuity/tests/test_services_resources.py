"""Resource services: commitments, actual use, and the continuity settings."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.continuity import services
from safepact.continuity.models import Actual, Commitment, ContinuitySettings
from safepact.continuity.tests.services_support import at, events, partners
from safepact.lib import clock
from safepact.partnerships.models import Partner


def commit(world, actor=None, **kwargs):
    kwargs.setdefault("partner", partners(world).city)
    kwargs.setdefault("kind", "hours")
    kwargs.setdefault("amount", "16")
    kwargs.setdefault("starts_on", date(2026, 1, 1))
    return services.commitment_create(
        actor=actor or world.coordinator, partnership=world.partnership_a, **kwargs
    )


def test_coordinator_commits_for_any_partner_with_audit(world):
    commitment = commit(
        world, kind="funding", amount="25000", source="Municipal safety fund", ends_on=date(2026, 12, 31)
    )
    assert commitment.amount == Decimal("25000.00")
    assert commitment.partner == partners(world).city
    event = events("continuity.commitment.created").get()
    assert event.after == {
        "partner": str(partners(world).city.code),
        "kind": "funding",
        "amount": "25000.00",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "source": "Municipal safety fund",
        "note": "",
    }


def test_member_commits_only_for_own_partner(world):
    own = commit(world, actor=world.member, kind="staff", amount="0.5")
    assert own.partner == partners(world).city
    with pytest.raises(PermissionDenied):
        commit(world, actor=world.member, partner=partners(world).police)
    assert Commitment.objects.count() == 1


def test_viewer_and_outsiders_cannot_commit(world):
    with pytest.raises(PermissionDenied):
        commit(world, actor=world.viewer, partner=partners(world).shop)
    with pytest.raises(Http404):
        commit(world, actor=world.outsider)
    assert not Commitment.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "money"}, "kind"),
        ({"amount": "-5"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"ends_on": date(2025, 12, 31)}, "ends_on"),
        ({"kind": "funding", "amount": "1000", "source": "  "}, "source"),
        ({"partner": None}, "partner"),
        ({"note": "x" * 301}, "note"),
    ],
)
def test_commitment_refuses_bad_input(world, changes, field):
    with pytest.raises(ValidationError) as error:
        commit(world, **changes)
    assert field in error.value.message_dict
    assert not Commitment.objects.exists()
    assert not events("continuity.commitment.created").exists()


def test_commitment_partner_of_another_partnership_refused(world):
    with pytest.raises(ValidationError) as error:
        commit(world, partner=Partner.objects.get(partnership=world.partnership_b))
    assert "partner" in error.value.message_dict


def test_update_and_delete_by_own_member(world):
    commitment = commit(world)
    services.commitment_update(actor=world.member, commitment=commitment, amount="20", note="From March.")
    commitment.refresh_from_db()
    assert commitment.amount == Decimal("20.00")
    event = events("continuity.commitment.updated").get()
    assert event.before == {"amount": "16.00", "note": ""}
    assert event.after == {"amount": "20.00", "note": "From March."}
    services.commitment_delete(actor=world.member, commitment=commitment)
    assert not Commitment.objects.exists()
    assert events("continuity.commitment.deleted").get().before["amount"] == "20.00"


def test_update_refusals_leave_the_commitment_unchanged(world):
    commitment = commit(world, partner=partners(world).police)
    with pytest.raises(PermissionDenied):
        services.commitment_update(actor=world.member, commitment=commitment, amount="1")
    with pytest.raises(PermissionDenied):
        services.commitment_delete(actor=world.member, commitment=commitment)
    with pytest.raises(PermissionDenied):
        services.commitment_update(actor=world.viewer, commitment=commitment, amount="1")
    with pytest.raises(Http404):
        services.commitment_update(actor=world.coordinator_b, commitment=commitment, amount="1")
    with pytest.raises(ValidationError) as error:
        services.commitment_update(actor=world.coordinator, commitment=commitment, ends_on=date(2025, 1, 1))
    assert "ends_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.commitment_update(actor=world.coordinator, commitment=commitment, kind="funding")
    assert "kind" in error.value.message_dict
    commitment.refresh_from_db()
    assert commitment.amount == Decimal("16.00")
    assert commitment.ends_on is None
    assert not events("continuity.commitment.updated").exists()


def test_funding_source_cannot_be_emptied(world):
    funding = commit(world, kind="funding", amount="5000", source="EU ISF")
    with pytest.raises(ValidationError) as error:
        services.commitment_update(actor=world.coordinator, commitment=funding, source="")
    assert "source" in error.value.message_dict


def test_actual_is_normalised_to_the_month_and_upserted(world):
    commitment = commit(world)
    with clock.frozen(at(date(2026, 3, 20))):
        first = services.actual_record(
            actor=world.member, commitment=commitment, month=date(2026, 2, 17), amount="10"
        )
        again = services.actual_record(
            actor=world.member, commitment=commitment, month=date(2026, 2, 3), amount="12.5", note="Corrected"
        )
    assert first.pk == again.pk
    actual = Actual.objects.get()
    assert actual.month == date(2026, 2, 1)
    assert actual.amount == Decimal("12.50")
    assert actual.reported_by == world.member
    first_event, second_event = events("continuity.actual.recorded").order_by("seq")
    assert first_event.before is None
    assert second_event.before == {"amount": "10.00", "note": ""}
    assert second_event.after["amount"] == "12.50"


@pytest.mark.parametrize(
    ("month", "amount", "field"),
    [
        (date(2026, 4, 1), "1", "month"),  # next month
        (date(2025, 12, 1), "1", "month"),  # before the commitment
        (None, "1", "month"),
        (date(2026, 2, 1), "-1", "amount"),
    ],
)
def test_actual_refuses_bad_input(world, month, amount, field):
    commitment = commit(world)
    with clock.frozen(at(date(2026, 3, 20))), pytest.raises(ValidationError) as error:
        services.actual_record(actor=world.member, commitment=commitment, month=month, amount=amount)
    assert field in error.value.message_dict
    assert not Actual.objects.exists()


def test_actual_only_for_own_partners_commitment(world):
    police = commit(world, partner=partners(world).police)
    with clock.frozen(at(date(2026, 3, 20))):
        with pytest.raises(PermissionDenied):
            services.actual_record(actor=world.member, commitment=police, month=date(2026, 2, 1), amount="3")
        with pytest.raises(PermissionDenied):
            services.actual_record(actor=world.viewer, commitment=police, month=date(2026, 2, 1), amount="3")
        with pytest.raises(Http404):
            services.actual_record(
                actor=world.outsider, commitment=police, month=date(2026, 2, 1), amount="3"
            )
        services.actual_record(actor=world.coordinator, commitment=police, month=date(2026, 2, 1), amount="3")
    assert Actual.objects.count() == 1


# Settings ------------------------------------------------------------------------------------------


def test_settings_update_creates_and_audits_changes_only(world):
    row = services.settings_update(
        actor=world.coordinator,
        partnership=world.partnership_a,
        disengagement_days=60,
        underspend_percent="40",
    )
    assert (row.disengagement_days, row.underspend_percent, row.runway_warning_days) == (60, 40, 90)
    event = events("continuity.settings.changed").get()
    assert event.before == {"disengagement_days": 90, "underspend_percent": 50}
    assert event.after == {"disengagement_days": 60, "underspend_percent": 40}
    services.settings_update(actor=world.coordinator, partnership=world.partnership_a, disengagement_days=60)
    assert events("continuity.settings.changed").count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"underspend_percent": 101}, "underspend_percent"),
        ({"meeting_gap_days": 0}, "meeting_gap_days"),
        ({"runway_warning_days": "soon"}, "runway_warning_days"),
        ({"disengagement_days": 1.5}, "disengagement_days"),
        ({"updated_by": None}, "updated_by"),
    ],
)
def test_settings_refuse_bad_input(world, fields, field):
    with pytest.raises(ValidationError) as error:
        services.settings_update(actor=world.coordinator, partnership=world.partnership_a, **fields)
    assert field in error.value.message_dict
    assert not ContinuitySettings.objects.exists()


def test_settings_are_for_coordinators(world):
    for actor in (world.member, world.viewer):
        with pytest.raises(PermissionDenied):
            services.settings_update(actor=actor, partnership=world.partnership_a, meeting_gap_days=30)
    with pytest.raises(Http404):
        services.settings_update(actor=world.outsider, partnership=world.partnership_a, meeting_gap_days=30)
    assert not ContinuitySettings.objects.exists()
