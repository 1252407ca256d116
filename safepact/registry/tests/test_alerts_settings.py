"""The registry's settings (coordinators only, within the platform's bounds, audited) and the audit labels."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.audit.selectors import action_label
from safepact.lib import clock
from safepact.registry import selectors, services
from safepact.registry.models import RegistrySettings
from safepact.registry.services import alerts as alert_services
from safepact.registry.tests.alerts_factories import NOW, REGISTRY_ACTIONS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def update(reg, user=None, **values):
    values = {"escalation_hours": 12, "retention_days": 90, "default_alert_days": 3650} | values
    return services.settings_update(user=user or reg.police, partnership=reg.partnership, **values)


def test_defaults_until_saved(reg):
    current = selectors.settings_for(reg.partnership)
    assert current.pk is None
    assert (current.escalation_hours, current.retention_days, current.default_alert_days) == (12, 90, 3650)


def test_a_coordinator_changes_them(reg):
    saved = update(reg, escalation_hours=4, retention_days=180, default_alert_days="365")
    assert saved.pk is not None
    current = selectors.settings_for(reg.partnership)
    assert (current.escalation_hours, current.retention_days, current.default_alert_days) == (4, 180, 365)
    event = AuditEvent.objects.get(action="registry.settings.updated")
    assert event.before == {"escalation_hours": 12, "retention_days": 90, "default_alert_days": 3650}
    assert event.after == {"escalation_hours": 4, "retention_days": 180, "default_alert_days": 365}
    # a second save updates the same row
    update(reg, escalation_hours=6)
    assert RegistrySettings.objects.count() == 1
    assert selectors.settings_for(reg.partnership).escalation_hours == 6


def test_saving_the_same_values_records_nothing(reg):
    update(reg)
    assert not AuditEvent.objects.filter(action="registry.settings.updated").exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"retention_days": 29}, "retention_days"),
        ({"retention_days": 366}, "retention_days"),
        ({"escalation_hours": 0}, "escalation_hours"),
        ({"escalation_hours": 169}, "escalation_hours"),
        ({"escalation_hours": "twelve"}, "escalation_hours"),
        ({"escalation_hours": True}, "escalation_hours"),
        ({"default_alert_days": 0}, "default_alert_days"),
        ({"default_alert_days": None}, "default_alert_days"),
    ],
)
def test_values_out_of_bounds_are_named(reg, values, field):
    with pytest.raises(ValidationError) as excinfo:
        update(reg, **values)
    assert set(excinfo.value.message_dict) == {field}
    assert not RegistrySettings.objects.exists()


def test_the_bounds_follow_the_platform_setting(reg, settings):
    settings.SAFEPACT_REGISTRY_RETENTION = (7, 730)
    assert update(reg, retention_days=7).retention_days == 7
    assert update(reg, retention_days=730).retention_days == 730


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("officer", PermissionDenied),
        ("customs", PermissionDenied),
        ("marina", PermissionDenied),
        ("viewer", PermissionDenied),
        ("outsider", Http404),
        ("coordinator_b", Http404),
    ],
)
def test_only_coordinators(reg, persona, error):
    with pytest.raises(error):
        update(reg, getattr(reg, persona), escalation_hours=2)
    assert not RegistrySettings.objects.exists()


def test_every_registry_action_has_a_label():
    alert_services.register()
    actions = REGISTRY_ACTIONS
    fallback = {action: " · ".join(action.split(".")).capitalize() for action in actions}
    for action in actions:
        assert action_label(action) != fallback[action], action
