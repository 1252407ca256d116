import pytest
from django.test import RequestFactory

from safepact.lib.client_ip import client_ip


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no trusted proxy: the header is ignored
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a client-forged left part is ignored
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.2"),  # fewer hops than proxies: fall back
        (1, "not-an-ip", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_counts_trusted_proxies_from_the_right(settings, count, forwarded, expected):
    settings.SAFEPACT_TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_audit_events_record_the_client_behind_the_proxy(client_for, world, settings):
    from safepact.audit.models import AuditEvent

    settings.SAFEPACT_TRUSTED_PROXY_COUNT = 1
    client = client_for(world.coordinator)
    client.post(
        "/i18n/setlang/",
        {"language": "nl", "next": "/"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.23",
    )
    event = AuditEvent.objects.get(action="accounts.user.language_changed")
    assert event.ip == "198.51.100.23"
