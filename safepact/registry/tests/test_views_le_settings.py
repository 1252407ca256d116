"""The registry's settings page: coordinators only (the police coordinator here; the officer, customs and a
partner member get 403); the values are saved, audited and bounded (the check log's retention within the
platform's floor and ceiling)."""

from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.registry.models import RegistrySettings


def url(reg):
    return reverse("registry:settings", args=[reg.partnership.code])


def test_the_form_shows_the_defaults(client_for, reg):
    response = client_for(reg.police).get(url(reg))
    html = response.content.decode()
    assert response.status_code == 200
    for name, value in (("escalation_hours", 12), ("retention_days", 90), ("default_alert_days", 3650)):
        assert f'<label for="id_{name}"' in html and f'name="{name}" value="{value}"' in html


def test_a_coordinator_saves_the_settings(client_for, reg):
    data = {"escalation_hours": "6", "retention_days": "60", "default_alert_days": "365"}
    response = client_for(reg.police).post(url(reg), data)
    assert response.status_code == 302
    saved = RegistrySettings.objects.get(partnership=reg.partnership)
    assert (saved.escalation_hours, saved.retention_days, saved.default_alert_days) == (6, 60, 365)
    assert AuditEvent.objects.filter(action="registry.settings.updated").count() == 1


def test_the_values_are_bounded(client_for, reg):
    data = {"escalation_hours": "0", "retention_days": "9999", "default_alert_days": "365"}
    response = client_for(reg.police).post(url(reg), data)
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_escalation_hours_error"' in html and 'id="id_retention_days_error"' in html
    assert not RegistrySettings.objects.exists()


def test_only_coordinators(client_for, reg):
    data = {"escalation_hours": "6", "retention_days": "60", "default_alert_days": "365"}
    for person in (reg.officer, reg.customs, reg.city, reg.marina, reg.viewer):
        client = client_for(person)
        assert client.get(url(reg)).status_code == 403
        assert client.post(url(reg), data).status_code == 403
    assert not RegistrySettings.objects.exists()


def test_the_new_alert_form_names_the_default_expiry(client_for, reg):
    client = client_for(reg.police)
    client.post(url(reg), {"escalation_hours": "6", "retention_days": "60", "default_alert_days": "365"})
    html = client.get(reverse("registry:alert_new", args=[reg.partnership.code])).content.decode()
    assert "365 days from today" in html
