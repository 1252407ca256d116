"""Registering an alert: law enforcement only, owned by the user's own unit, references per partnership and
year (race-safe), identifiers parsed and refused by position, nothing stored on error, audited."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry import services
from safepact.registry.models import Alert, AlertStatus, Identifier
from safepact.registry.tests.alerts_factories import (
    HIN_1,
    HIN_2,
    NOW,
    audit_actions,
    boat_alert,
    engine,
    law_enforcement_in_b,
    notified,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def nothing_stored():
    return not Alert.objects.exists() and not Identifier.objects.exists()


# The happy path ------------------------------------------------------------------------------------


def test_police_register_a_stolen_boat_with_three_identifiers(reg):
    alert = boat_alert(reg)
    alert.refresh_from_db()
    assert alert.reference == "REG-2026-000001"
    assert alert.owner == reg.m_police.partner
    assert alert.created_by == reg.police
    assert alert.status == AlertStatus.ACTIVE
    assert alert.jurisdiction == "SE"
    # no explicit expiry: the partnership's default (ten years)
    assert alert.expires_on == clock.today() + timedelta(days=3650)
    assert list(alert.identifiers.values_list("kind", "key")) == [
        ("hin", "hin:SEABC12345D404"),
        ("hin", "hin:NLXYZ98765E505"),
        ("engine", "engine:YAMAHA:6ML1034567"),
    ]
    engine_number = alert.identifiers.get(kind="engine")
    assert (engine_number.manufacturer, engine_number.value) == ("Yamaha", "6ML1034567")
    # no overlap, no late hit: nobody is told anything
    assert notified() == []


def test_the_creation_is_audited_with_the_reference_category_and_identifier_kinds(reg):
    alert = boat_alert(reg)
    event = AuditEvent.objects.get(action="registry.alert.created")
    assert event.partnership_code == str(reg.partnership.code)
    assert event.actor_code == str(reg.police.code)
    assert event.target_code == str(alert.code)
    assert event.after["reference"] == "REG-2026-000001"
    assert event.after["category"] == "boat"
    assert event.after["identifiers"] == ["hin", "hin", "engine"]


def test_references_count_up_per_partnership_and_restart_each_year(reg):
    first = boat_alert(reg)
    second = boat_alert(reg, identifiers=[engine(1)])
    assert (first.reference, second.reference) == ("REG-2026-000001", "REG-2026-000002")
    # partnership B numbers its own alerts
    agent = law_enforcement_in_b(reg)
    other = services.alert_create(
        user=agent,
        partnership=reg.world.partnership_b,
        category="bicycle",
        description="Gazelle, black.",
        case_reference="PL2300-2026-1",
        legal_basis="Wetboek van Strafvordering",
        jurisdiction="NL",
        identifiers=[{"kind": "frame", "value": "GZ-123456"}],
    )
    assert other.reference == "REG-2026-000001"
    with clock.frozen(datetime_in(2027)):
        assert boat_alert(reg, identifiers=[engine(2)]).reference == "REG-2027-000001"


def datetime_in(year: int):
    return NOW.replace(year=year, month=1, day=2)


def test_references_go_on_past_six_digits(reg):
    boat_alert(reg, identifiers=[engine(1)])
    Alert.objects.filter(partnership=reg.partnership).update(reference="REG-2026-999999")
    assert boat_alert(reg, identifiers=[engine(2)]).reference == "REG-2026-1000000"
    assert boat_alert(reg, identifiers=[engine(3)]).reference == "REG-2026-1000001"


def test_a_taken_reference_is_retried(reg, monkeypatch):
    """Two writers computing the same number: the unique constraint refuses the second, which tries again."""
    from safepact.registry.services import alerts as module

    first = boat_alert(reg, identifiers=[engine(1)])
    real = module.alert_references
    calls = []

    def stale(*, partnership, count=1):
        calls.append(1)
        return [first.reference] if len(calls) == 1 else real(partnership=partnership, count=count)

    monkeypatch.setattr(module, "alert_references", stale)
    second = boat_alert(reg, identifiers=[engine(2)])
    assert len(calls) == 2
    assert second.reference == "REG-2026-000002"


def test_another_law_enforcement_unit_owns_its_own_alerts(reg):
    alert = boat_alert(reg, by=reg.customs)
    assert alert.owner == reg.m_customs.partner
    assert alert.created_by == reg.customs


def test_an_explicit_expiry_and_the_partnership_default(reg):
    alert = boat_alert(reg, expires_on=date(2027, 6, 30))
    assert alert.expires_on == date(2027, 6, 30)
    services.settings_update(
        user=reg.police,
        partnership=reg.partnership,
        escalation_hours=12,
        retention_days=90,
        default_alert_days=30,
    )
    other = boat_alert(reg, identifiers=[engine(1)])
    assert other.expires_on == clock.today() + timedelta(days=30)
    iso = boat_alert(reg, identifiers=[engine(2)], expires_on="2028-01-31")
    assert iso.expires_on == date(2028, 1, 31)


def test_validator_warnings_are_stored_with_the_identifier(reg):
    # a European VIN whose check digit does not match: accepted, with a warning
    alert = boat_alert(reg, category="vehicle", identifiers=[{"kind": "vin", "value": "WBA71DC090CH14720"}])
    [vin] = alert.identifiers.all()
    assert len(vin.warnings) == 1
    assert "check digit" in vin.warnings[0]
    plain = boat_alert(reg, category="vehicle", identifiers=[{"kind": "vin", "value": "WBA71DC010CH14720"}])
    assert plain.identifiers.get().warnings == []


# Who may -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["marina", "city", "viewer"])
def test_members_who_are_not_law_enforcement_are_refused(reg, persona):
    with pytest.raises(PermissionDenied):
        boat_alert(reg, by=getattr(reg, persona))
    assert nothing_stored()


@pytest.mark.parametrize("persona", ["outsider", "coordinator_b"])
def test_outsiders_get_not_found(reg, persona):
    with pytest.raises(Http404):
        boat_alert(reg, by=getattr(reg, persona))
    assert nothing_stored()


def test_a_law_enforcement_unit_whose_partnership_membership_ended_is_refused(reg):
    from safepact.partnerships.models import Partner

    Partner.objects.filter(pk=reg.m_customs.partner_id).update(status="suspended")
    with pytest.raises(Http404):
        boat_alert(reg, by=reg.customs)


# Bad input -----------------------------------------------------------------------------------------


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_a_bad_identifier_is_named_by_its_position_and_nothing_is_stored(reg):
    with pytest.raises(ValidationError) as excinfo:
        boat_alert(reg, identifiers=[HIN_1, {"kind": "imei", "value": "352099001761482"}])
    [message] = errors_of(excinfo)["identifiers"]
    assert message.startswith("Identifier 2: ")
    assert "check digit" in message
    assert nothing_stored()
    assert audit_actions(reg.partnership) == []


def test_a_missing_manufacturer_is_reported_for_its_identifier(reg):
    with pytest.raises(ValidationError) as excinfo:
        boat_alert(reg, identifiers=[HIN_1, HIN_2, {"kind": "engine", "value": "6ML-1034567"}])
    assert errors_of(excinfo)["identifiers"][0].startswith("Identifier 3: ")
    assert nothing_stored()


def test_the_same_identifier_twice_is_refused_naming_both_positions(reg):
    with pytest.raises(ValidationError) as excinfo:
        boat_alert(reg, identifiers=[HIN_1, HIN_2, {"kind": "hin", "value": "se abc 12345 d404"}])
    assert errors_of(excinfo)["identifiers"] == ["Identifier 3 is the same as identifier 1."]
    assert nothing_stored()


@pytest.mark.parametrize("identifiers", [[], "SE-ABC12345D404", ["SE-ABC12345D404"], [{"kind": "vin"}]])
def test_at_least_one_well_formed_identifier(reg, identifiers):
    with pytest.raises(ValidationError) as excinfo:
        services.alert_create(
            user=reg.police,
            partnership=reg.partnership,
            category="boat",
            description="A boat.",
            case_reference="K1",
            legal_basis="RB",
            jurisdiction="SE",
            identifiers=identifiers,
        )
    assert "identifiers" in errors_of(excinfo)
    assert nothing_stored()


def test_too_many_identifiers(reg):
    with pytest.raises(ValidationError) as excinfo:
        boat_alert(reg, identifiers=[engine(n) for n in range(51)])
    assert "identifiers" in errors_of(excinfo)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("category", "spaceship"),
        ("description", "   "),
        ("description", "x" * 2001),
        ("case_reference", ""),
        ("legal_basis", ""),
        ("jurisdiction", "XX"),
        ("jurisdiction", "SWE"),
        ("jurisdiction", ""),
        ("action", "shoot"),
        ("action_note", "x" * 301),
        ("expires_on", date(2026, 3, 9)),
        ("expires_on", "next year"),
    ],
)
def test_bad_fields_are_named(reg, field, value):
    with pytest.raises(ValidationError) as excinfo:
        boat_alert(reg, **{field: value})
    assert field in errors_of(excinfo)
    assert nothing_stored()


def test_all_problems_are_reported_at_once(reg):
    with pytest.raises(ValidationError) as excinfo:
        boat_alert(reg, category="spaceship", jurisdiction="XX", identifiers=[{"kind": "vin", "value": "1"}])
    assert set(errors_of(excinfo)) == {"category", "jurisdiction", "identifiers"}


def test_a_lower_case_country_code_is_accepted(reg):
    assert boat_alert(reg, jurisdiction="se").jurisdiction == "SE"


def test_an_expiry_today_is_accepted(reg):
    assert boat_alert(reg, expires_on=clock.today()).expires_on == clock.today()
