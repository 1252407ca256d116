"""The notifications API: my notifications (paginated, ``?unread=true``), marking read, my email setting.
Anyone else's notification code answers 404; without credentials 401."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from safepact.accounts.services import api_token_create
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.notifications.models import Notification, NotificationSetting
from safepact.notifications.services import notify
from safepact.notifications.tests.support import MARKER, restricted_notifications

API = "/api/v1/notifications"
NOW = datetime(2031, 1, 15, 9, 0, tzinfo=UTC)


def one(user, title="Hello", **extra):
    return notify(recipients=[user], kind="test.kind", title=title, **extra)[0]


def put(client, path, body):
    return client.put(path, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("post", "/read-all"),
        ("get", "/settings"),
        ("put", "/settings"),
        ("post", "/00000000-0000-0000-0000-000000000000/read"),
    ],
)
def test_anonymous_callers_get_401(db, client, method, path):
    response = getattr(client, method)(API + path)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_my_notifications_newest_first(world, client_for):
    with clock.frozen(NOW):
        one(world.member, "Older", partnership=world.partnership_a, url="/p/x/")
        clock.advance(timedelta(minutes=1))
        newer = one(world.member, "Newer", body="Text.")
        one(world.viewer, "Not mine")

    data = client_for(world.member).get(API).json()

    assert data["count"] == 2
    assert [item["title"] for item in data["items"]] == ["Newer", "Older"]
    first, second = data["items"]
    assert first["code"] == str(newer.code)
    assert first["body"] == "Text."
    assert first["body_withheld"] is False
    assert first["unread"] is True and first["read_at"] is None
    assert first["partnership"] is None and first["partnership_name"] == ""
    assert second["partnership"] == str(world.partnership_a.code)
    assert second["partnership_name"] == "Sofielund safety partnership"
    assert second["url"] == "/p/x/"
    assert second["tlp"] == "green" and second["tlp_label"] == "TLP:GREEN"
    assert second["kind"] == "test.kind"


def test_the_outsider_sees_an_empty_list(world, client_for):
    one(world.member)
    assert client_for(world.outsider).get(API).json() == {"items": [], "count": 0}


def test_restricted_bodies_are_withheld(world, client_for):
    restricted_notifications(world, world.member)
    items = client_for(world.member).get(API).json()["items"]
    assert len(items) == 3
    for item in items:
        assert item["body"] == ""
        assert item["body_withheld"] is True
        assert "informant" not in json.dumps(item)
    assert {item["tlp_label"] for item in items} == {"TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}
    assert all(MARKER in item["title"] for item in items)


def test_unread_filter_and_pagination(world, client_for, django_assert_max_num_queries):
    for i in range(7):
        one(world.member, f"N{i}", partnership=world.partnership_a)
    client = client_for(world.member)
    client.post(f"{API}/{Notification.objects.filter(title='N0').get().code}/read")

    with django_assert_max_num_queries(4):
        data = client.get(API + "?limit=3&offset=0").json()
    assert data["count"] == 7 and len(data["items"]) == 3
    with django_assert_max_num_queries(4):
        unread = client.get(API + "?unread=true&limit=100").json()
    assert unread["count"] == 6
    assert "N0" not in [item["title"] for item in unread["items"]]
    assert client.get(API + "?limit=0").status_code == 422


def test_mark_one_read(world, client_for):
    with clock.frozen(NOW):
        notification = one(world.member)
        response = client_for(world.member).post(f"{API}/{notification.code}/read")
    assert response.status_code == 200
    assert response.json()["unread"] is False
    assert Notification.objects.get().read_at == NOW


@pytest.mark.parametrize("persona", ["viewer", "outsider", "coordinator"])
def test_someone_elses_notification_is_not_found(world, client_for, persona):
    notification = one(world.member)
    response = client_for(getattr(world, persona)).post(f"{API}/{notification.code}/read")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Notification.objects.get().read_at is None


def test_a_malformed_code_is_refused(world, client_for):
    response = client_for(world.member).post(f"{API}/not-a-uuid/read")
    assert response.status_code == 422


def test_mark_all_read(world, client_for):
    one(world.member)
    one(world.member)
    one(world.viewer)
    response = client_for(world.member).post(f"{API}/read-all")
    assert response.json() == {"marked_read": 2}
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_settings_read_and_change(world, client_for):
    client = client_for(world.member)
    assert client.get(f"{API}/settings").json() == {
        "email_mode": "digest",
        "email_mode_label": "Once a day, in a digest",
    }
    response = put(client, f"{API}/settings", {"email_mode": "immediate"})
    assert response.status_code == 200
    assert response.json()["email_mode"] == "immediate"
    assert NotificationSetting.objects.get(user=world.member).email_mode == "immediate"
    assert AuditEvent.objects.filter(action="notifications.setting.update").count() == 1


@pytest.mark.parametrize(
    "body", [{"email_mode": "pigeon"}, {}, {"email_mode": "none", "extra": 1}, {"email_mode": None}]
)
def test_settings_refuse_bad_input(world, client_for, body):
    response = put(client_for(world.member), f"{API}/settings", body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert not NotificationSetting.objects.exists()


def test_a_token_works_and_writes_need_no_csrf(world):
    notification = one(world.member)
    _token, secret = api_token_create(user=world.member, name="script")
    client = Client(enforce_csrf_checks=True)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get(API, **auth).json()["count"] == 1
    assert client.post(f"{API}/{notification.code}/read", **auth).status_code == 200


def test_a_session_write_needs_csrf(world):
    notification = one(world.member)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.member)
    response = client.post(f"{API}/{notification.code}/read")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf"
