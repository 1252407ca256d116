"""Changing an alert: details, status and identifiers, by the owning unit only; every change audited (with
references only: the trail is read by coordinators outside law enforcement)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry import services
from safepact.registry.models import Alert, AlertStatus, Identifier
from safepact.registry.tests.alerts_factories import HIN_2, NOW, audit_actions, boat_alert, engine

pytestmark = pytest.mark.django_db

REFUSED = [("customs", PermissionDenied), ("marina", PermissionDenied), ("city", PermissionDenied)]
REFUSED += [("viewer", PermissionDenied), ("outsider", Http404), ("coordinator_b", Http404)]


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def alert(reg):
    return boat_alert(reg)


def reload(alert) -> Alert:
    return Alert.objects.get(pk=alert.pk)


# Details -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["police", "officer"])
def test_the_owning_unit_changes_the_details(reg, alert, persona):
    services.alert_update(
        user=getattr(reg, persona),
        alert=alert,
        description="Bayliner VR5, white hull, red stripe.",
        expires_on=date(2030, 1, 1),
        action="contact",
    )
    changed = reload(alert)
    assert changed.description == "Bayliner VR5, white hull, red stripe."
    assert changed.expires_on == date(2030, 1, 1)
    assert changed.action == "contact"
    event = AuditEvent.objects.get(action="registry.alert.updated")
    # The description is named as changed, never shown; the fixed choices and the date are.
    assert event.after == {
        "reference": alert.reference,
        "changed": ["description", "action", "expires_on"],
        "action": "contact",
        "expires_on": "2030-01-01",
    }
    assert event.before == {"action": "hold", "expires_on": alert.expires_on.isoformat()}
    assert "stripe" not in str(event.before) + str(event.after) + event.target_label


def test_an_update_without_changes_records_nothing(reg, alert):
    services.alert_update(user=reg.police, alert=alert, jurisdiction="SE")
    assert "registry.alert.updated" not in audit_actions(reg.partnership)


@pytest.mark.parametrize(("persona", "error"), REFUSED)
def test_others_may_not_change_the_details(reg, alert, persona, error):
    with pytest.raises(error):
        services.alert_update(user=getattr(reg, persona), alert=alert, description="Changed.")
    assert reload(alert).description.startswith("Bayliner")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"reference": "REG-1"}, "reference"),
        ({"owner": None}, "owner"),
        ({"status": "located"}, "status"),
        ({"jurisdiction": "ZZ"}, "jurisdiction"),
        ({"description": ""}, "description"),
        ({"expires_on": date(2020, 1, 1)}, "expires_on"),
        ({"category": "ufo"}, "category"),
    ],
)
def test_bad_changes_are_named_and_nothing_changes(reg, alert, fields, named):
    with pytest.raises(ValidationError) as excinfo:
        services.alert_update(user=reg.police, alert=alert, **fields)
    assert named in excinfo.value.message_dict
    assert reload(alert).updated_at == alert.updated_at


# Status --------------------------------------------------------------------------------------------


def test_located_then_active_again(reg, alert):
    services.alert_set_status(user=reg.officer, alert=alert, status="located", reason="Found in Ystad.")
    assert reload(alert).status == AlertStatus.LOCATED
    event = AuditEvent.objects.get(action="registry.alert.status_changed")
    # The reason is the unit's case data: kept on the alert (law enforcement's pages), not in the trail.
    assert (event.before, event.after, event.reason) == (
        {"status": "active"},
        {"status": "located", "reference": alert.reference},
        "",
    )
    assert reload(alert).status_note == "Found in Ystad."
    services.alert_set_status(user=reg.police, alert=alert, status="active")
    assert (reload(alert).status, reload(alert).status_note) == (AlertStatus.ACTIVE, "")


def test_a_status_reason_over_500_characters_is_refused_and_nothing_changes(reg, alert):
    with pytest.raises(ValidationError) as refused:
        services.alert_set_status(user=reg.police, alert=alert, status="located", reason="x" * 501)
    assert "reason" in refused.value.message_dict
    assert (reload(alert).status, reload(alert).status_note) == (AlertStatus.ACTIVE, "")
    assert not AuditEvent.objects.filter(action="registry.alert.status_changed").exists()


def test_withdrawn(reg, alert):
    services.alert_set_status(user=reg.police, alert=alert, status="withdrawn")
    assert reload(alert).status == AlertStatus.WITHDRAWN


def test_expired_is_for_the_daily_job_alone(reg, alert):
    with pytest.raises(ValidationError) as excinfo:
        services.alert_set_status(user=reg.police, alert=alert, status="expired")
    assert set(excinfo.value.message_dict) == {"status"}


@pytest.mark.parametrize("status", ["active", "lost", ""])
def test_the_same_or_an_unknown_status_is_refused(reg, alert, status):
    with pytest.raises(ValidationError) as excinfo:
        services.alert_set_status(user=reg.police, alert=alert, status=status)
    assert set(excinfo.value.message_dict) == {"status"}


def test_back_to_active_only_before_the_expiry_date(reg, alert):
    services.alert_set_status(user=reg.police, alert=alert, status="located")
    Alert.objects.filter(pk=alert.pk).update(expires_on=clock.today() - timedelta(days=1))
    with pytest.raises(ValidationError) as excinfo:
        services.alert_set_status(user=reg.police, alert=alert, status="active")
    assert set(excinfo.value.message_dict) == {"status"}
    services.alert_update(user=reg.police, alert=alert, expires_on=clock.today() + timedelta(days=30))
    services.alert_set_status(user=reg.police, alert=alert, status="active")
    assert reload(alert).status == AlertStatus.ACTIVE


@pytest.mark.parametrize(("persona", "error"), REFUSED)
def test_others_may_not_change_the_status(reg, alert, persona, error):
    with pytest.raises(error):
        services.alert_set_status(user=getattr(reg, persona), alert=alert, status="withdrawn")
    assert reload(alert).status == AlertStatus.ACTIVE


# Identifiers ---------------------------------------------------------------------------------------


def test_the_owning_unit_adds_an_identifier(reg, alert):
    identifier = services.identifier_add(
        user=reg.officer, alert=alert, kind="plate", value="abc 12a", country="se"
    )
    assert (identifier.kind, identifier.key, identifier.country) == ("plate", "plate:SE:ABC12A", "SE")
    assert identifier.added_by == reg.officer
    assert alert.identifiers.count() == 4
    event = AuditEvent.objects.get(action="registry.identifier.added")
    assert event.after == {"reference": alert.reference, "kind": "plate", "identifier": identifier.pk}
    assert event.target_label == f"{alert.reference}: Licence plate"


def test_an_identifier_the_alert_already_has_is_refused(reg, alert):
    with pytest.raises(ValidationError) as excinfo:
        services.identifier_add(user=reg.police, alert=alert, kind="hin", value="nl xyz98765 e505")
    assert set(excinfo.value.message_dict) == {"value"}
    assert alert.identifiers.count() == 3


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "imei", "value": "12"}, "value"),
        ({"kind": "engine", "value": "6ML-1"}, "manufacturer"),
        ({"kind": "plate", "value": "ABC123", "country": "QQ"}, "country"),
        ({"kind": "document", "value": "NXC1234567", "country": "NL"}, "document_type"),
        ({"kind": "warp drive", "value": "1"}, "kind"),
        ({"kind": "hin", "value": "SE-ABC*"}, "value"),
    ],
)
def test_a_bad_identifier_is_refused_naming_its_field(reg, alert, values, field):
    with pytest.raises(ValidationError) as excinfo:
        services.identifier_add(user=reg.police, alert=alert, **values)
    assert set(excinfo.value.message_dict) == {field}
    assert alert.identifiers.count() == 3


@pytest.mark.parametrize(("persona", "error"), REFUSED)
def test_others_may_not_add_identifiers(reg, alert, persona, error):
    with pytest.raises(error):
        services.identifier_add(user=getattr(reg, persona), alert=alert, **engine(1))
    assert alert.identifiers.count() == 3


def test_the_owning_unit_removes_an_identifier_but_not_the_last(reg, alert):
    first, second, third = alert.identifiers.order_by("id")
    services.identifier_remove(user=reg.police, identifier=second, reason="Typo.")
    services.identifier_remove(user=reg.officer, identifier=third)
    assert list(alert.identifiers.all()) == [first]
    with pytest.raises(ValidationError) as excinfo:
        services.identifier_remove(user=reg.police, identifier=first)
    assert set(excinfo.value.message_dict) == {"identifier"}
    assert list(alert.identifiers.all()) == [first]
    events = AuditEvent.objects.filter(action="registry.identifier.removed").order_by("seq")
    assert [e.before for e in events] == [
        {"reference": alert.reference, "kind": "hin", "identifier": second.pk},
        {"reference": alert.reference, "kind": "engine", "identifier": third.pk},
    ]
    assert [e.reason for e in events] == ["", ""]
    assert [e.target_code for e in events] == [str(second.code), str(third.code)]


@pytest.mark.parametrize(("persona", "error"), REFUSED)
def test_others_may_not_remove_identifiers(reg, alert, persona, error):
    identifier = alert.identifiers.first()
    with pytest.raises(error):
        services.identifier_remove(user=getattr(reg, persona), identifier=identifier)
    assert Identifier.objects.filter(pk=identifier.pk).exists()


def test_an_identifier_of_another_alert_is_not_found_through_this_one(reg, alert):
    other = boat_alert(reg, identifiers=[HIN_2 | {"value": "NL-XYZ98765E506"}, engine(1)])
    identifier = other.identifiers.first()
    identifier.alert = alert  # a forged object: the service re-reads it through its own alert
    with pytest.raises(Http404):
        services.identifier_remove(user=reg.police, identifier=identifier)
