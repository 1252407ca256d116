"""Exchange settings: coordinators only, bounds from Django settings, errors naming the field, audit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.exchange.models import ExchangeSettings
from safepact.exchange.selectors import settings_for
from safepact.exchange.services import settings_update
from safepact.exchange.tests.factories import audit_events


def test_coordinator_changes_settings_audited(world):
    saved = settings_update(
        actor=world.coordinator,
        partnership=world.partnership_a,
        max_upload_mb=10,
        allowed_types=["image", "pdf"],
        red_downloads=True,
        post_retention_days="365",
        document_retention_days=400,
        request_retention_days=90,
        reminder_days=3,
    )
    saved.refresh_from_db()
    assert saved.max_upload_mb == 10
    assert saved.allowed_types == ["pdf", "image"]  # in FILE_TYPES order
    assert saved.red_downloads is True
    assert (saved.post_retention_days, saved.document_retention_days, saved.request_retention_days) == (
        365,
        400,
        90,
    )
    assert saved.reminder_days == 3
    (event,) = audit_events("exchange.settings.changed")
    assert event.partnership_code == str(world.partnership_a.code)
    assert event.before["max_upload_mb"] == 20 and event.after["max_upload_mb"] == 10
    assert event.after["allowed_types"] == ["pdf", "image"]
    assert "reminder_days" in event.after


def test_only_changed_fields_are_recorded_and_a_second_save_updates_the_row(world):
    settings_update(actor=world.coordinator, partnership=world.partnership_a, max_upload_mb=10)
    settings_update(actor=world.coordinator, partnership=world.partnership_a, reminder_days=5)
    assert ExchangeSettings.objects.filter(partnership=world.partnership_a).count() == 1
    current = settings_for(world.partnership_a)
    assert (current.max_upload_mb, current.reminder_days) == (10, 5)
    first, second = audit_events("exchange.settings.changed")
    assert set(first.after) == {"max_upload_mb"} and set(second.after) == {"reminder_days"}
    settings_update(actor=world.coordinator, partnership=world.partnership_a, reminder_days=5)
    assert len(audit_events("exchange.settings.changed")) == 2


def test_members_viewers_and_outsiders_may_not(world):
    with pytest.raises(PermissionDenied):
        settings_update(actor=world.member, partnership=world.partnership_a, max_upload_mb=5)
    with pytest.raises(PermissionDenied):
        settings_update(actor=world.viewer, partnership=world.partnership_a, max_upload_mb=5)
    with pytest.raises(Http404):
        settings_update(actor=world.outsider, partnership=world.partnership_a, max_upload_mb=5)
    with pytest.raises(Http404):
        settings_update(actor=world.coordinator_b, partnership=world.partnership_a, max_upload_mb=5)
    assert not ExchangeSettings.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"max_upload_mb": 0}, "max_upload_mb"),
        ({"max_upload_mb": 101}, "max_upload_mb"),
        ({"max_upload_mb": "ten"}, "max_upload_mb"),
        ({"max_upload_mb": 2.5}, "max_upload_mb"),
        ({"max_upload_mb": True}, "max_upload_mb"),
        ({"post_retention_days": 29}, "post_retention_days"),
        ({"post_retention_days": 3651}, "post_retention_days"),
        ({"document_retention_days": 89}, "document_retention_days"),
        ({"request_retention_days": 1826}, "request_retention_days"),
        ({"reminder_days": -1}, "reminder_days"),
        ({"reminder_days": 31}, "reminder_days"),
        ({"allowed_types": []}, "allowed_types"),
        ({"allowed_types": ["pdf", "exe"]}, "allowed_types"),
        ({"red_downloads": "yes"}, "red_downloads"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_values_name_the_field_and_store_nothing(world, fields, field):
    with pytest.raises(ValidationError) as caught:
        settings_update(actor=world.coordinator, partnership=world.partnership_a, **fields)
    assert field in caught.value.message_dict
    assert not ExchangeSettings.objects.exists()
    assert audit_events("exchange.settings.changed") == []


def test_bounds_come_from_django_settings(world, settings):
    settings.SAFEPACT_EXCHANGE_RETENTION = {**settings.SAFEPACT_EXCHANGE_RETENTION, "post": (10, 20)}
    settings.SAFEPACT_EXCHANGE_MAX_UPLOAD_MB = 5
    with pytest.raises(ValidationError) as caught:
        settings_update(actor=world.coordinator, partnership=world.partnership_a, post_retention_days=30)
    assert "between 10 and 20" in caught.value.message_dict["post_retention_days"][0]
    with pytest.raises(ValidationError):
        settings_update(actor=world.coordinator, partnership=world.partnership_a, max_upload_mb=6)
    saved = settings_update(
        actor=world.coordinator, partnership=world.partnership_a, post_retention_days=10, max_upload_mb=5
    )
    assert (saved.post_retention_days, saved.max_upload_mb) == (10, 5)


def test_settings_of_one_partnership_do_not_touch_another(world):
    settings_update(actor=world.coordinator_b, partnership=world.partnership_b, max_upload_mb=2)
    assert settings_for(world.partnership_a).max_upload_mb == 20
    assert settings_for(world.partnership_b).max_upload_mb == 2
