"""The pages: my notifications (own only, newest first, paginated), marking read (POST with CSRF), the
unread badge of the navigation (lazy, HTMX) and the email setting."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.notifications.models import Notification, NotificationSetting
from safepact.notifications.services import notify
from safepact.notifications.tests.support import MARKER, restricted_notifications
from safepact.notifications.views import PER_PAGE

NOW = datetime(2031, 1, 15, 9, 0, tzinfo=UTC)
LIST = reverse("notifications:list")
SETTINGS = reverse("notifications:settings")
BADGE = reverse("notifications:badge")
READ_ALL = reverse("notifications:read_all")


def read_url(notification) -> str:
    return reverse("notifications:read", kwargs={"notification_code": notification.code})


def one(user, title="Hello", **extra):
    return notify(recipients=[user], kind="test", title=title, **extra)[0]


# Login and ownership --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST, SETTINGS])
def test_pages_need_a_login(db, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("accounts:login") in response.url


def test_anonymous_posts_go_to_the_login(world, client):
    notification = one(world.member)
    for url in (read_url(notification), READ_ALL):
        response = client.post(url)
        assert response.status_code == 302
        assert reverse("accounts:login") in response.url
    assert Notification.objects.get().read_at is None


def test_the_badge_is_empty_for_anonymous_visitors(db, client):
    response = client.get(BADGE)
    assert response.status_code == 200
    assert response.content == b""


def test_the_list_shows_only_my_notifications_newest_first(world, client_for):
    with clock.frozen(NOW):
        one(world.member, "Older one", url="/older/")
        clock.advance(timedelta(minutes=1))
        one(world.member, "Newer one", body="Some text.")
        one(world.viewer, "Someone else's")

    page = client_for(world.member).get(LIST).content.decode()

    assert page.index("Newer one") < page.index("Older one")
    assert "Someone else&#x27;s" not in page and "Someone else's" not in page
    assert 'href="/older/"' in page
    assert "Some text." in page
    assert "You have 2 unread notifications." in page


def test_the_outsider_sees_none_of_them(world, client_for):
    one(world.member, "For the member")
    page = client_for(world.outsider).get(LIST).content.decode()
    assert "For the member" not in page
    assert "No notifications yet." in page


def test_restricted_ones_show_their_title_but_not_their_text(world, client_for):
    restricted_notifications(world, world.member)
    one(world.member, "An open one", body="Open body text.")

    page = client_for(world.member).get(LIST).content.decode()

    assert page.count("Open the item to read it.") == 3
    assert "informant" not in page
    assert "Open body text." in page
    assert page.count(MARKER) == 6  # the titles (and their button labels) only
    assert "TLP:AMBER+STRICT" in page


def test_the_list_paginates_with_a_constant_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    for i in range(PER_PAGE + 3):
        one(world.member, f"Item {i:03d}", partnership=world.partnership_a)
    client = client_for(world.member)

    with django_assert_max_num_queries(8):
        first = client.get(LIST)
    assert first.context["page"].paginator.num_pages == 2
    assert len(first.context["page"].object_list) == PER_PAGE
    with django_assert_max_num_queries(8):
        second = client.get(LIST + "?page=2").content.decode()
    assert "Item 000" in second
    assert "Item 002" in second


def test_only_unread_filter(world, client_for):
    read = one(world.member, "Already read")
    one(world.member, "Still unread")
    client = client_for(world.member)
    client.post(read_url(read))

    page = client.get(LIST + "?unread=1").content.decode()
    assert "Still unread" in page
    assert "Already read" not in page


def test_htmx_asks_for_the_results_only(world, client_for):
    one(world.member, "Hello")
    response = client_for(world.member).get(LIST, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Hello" in body
    assert "<html" not in body


# Marking read ---------------------------------------------------------------------------------------


def test_mark_one_read(world, client_for):
    with clock.frozen(NOW):
        notification = one(world.member)
        response = client_for(world.member).post(read_url(notification))
    assert response.status_code == 302
    assert response.url == LIST
    assert Notification.objects.get().read_at == NOW


def test_mark_read_then_open_the_item(world, client_for):
    notification = one(world.member, url="/p/x/")
    response = client_for(world.member).post(read_url(notification), {"next": "/p/x/"})
    assert response.url == "/p/x/"
    response = client_for(world.member).post(read_url(notification), {"next": "https://evil.example/"})
    assert response.url == LIST


def test_mark_read_with_htmx_answers_the_item(world, client_for):
    notification = one(world.member, "Hello")
    response = client_for(world.member).post(read_url(notification), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert f'id="notification-{notification.code}"' in body
    assert "Mark as read" not in body
    assert "<html" not in body


def test_someone_elses_notification_is_not_found(world, client_for):
    notification = one(world.member)
    for persona in ("viewer", "outsider", "coordinator"):
        response = client_for(getattr(world, persona)).post(read_url(notification))
        assert response.status_code == 404
    assert Notification.objects.get().read_at is None


def test_reading_needs_post(world, client_for):
    notification = one(world.member)
    assert client_for(world.member).get(read_url(notification)).status_code == 405
    assert client_for(world.member).get(READ_ALL).status_code == 405


def test_posts_need_the_csrf_token(world):
    notification = one(world.member)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.member)
    assert client.post(read_url(notification)).status_code == 403
    assert client.post(READ_ALL).status_code == 403
    assert client.post(SETTINGS, {"email_mode": "none"}).status_code == 403
    assert Notification.objects.get().read_at is None


def test_mark_all_read(world, client_for):
    one(world.member)
    one(world.member)
    one(world.viewer)
    response = client_for(world.member).post(READ_ALL, follow=True)
    assert "2 notifications were marked read." in response.content.decode()
    assert Notification.objects.filter(read_at__isnull=True).count() == 1  # the viewer's


# Badge ---------------------------------------------------------------------------------------------


def test_the_badge_counts_my_unread(world, client_for, django_assert_max_num_queries):
    one(world.member)
    one(world.member)
    one(world.viewer)
    client = client_for(world.member)
    with django_assert_max_num_queries(3):
        response = client.get(BADGE, headers={"HX-Request": "true"})
    assert "2 unread" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    client.post(READ_ALL)
    assert "unread" not in client.get(BADGE).content.decode()


def test_the_base_template_loads_the_badge_lazily(world, client_for):
    one(world.member)
    page = client_for(world.member).get(reverse("partnerships:dashboard")).content.decode()
    assert f'href="{LIST}"' in page
    assert f'hx-get="{BADGE}"' in page
    assert 'hx-trigger="load"' in page
    assert "1 unread" not in page  # counted by the fragment, not during the page


# Settings ----------------------------------------------------------------------------------------------


def test_settings_page_offers_the_modes_with_labels(world, client_for):
    page = client_for(world.member).get(SETTINGS).content.decode()
    for value in ("immediate", "digest", "none"):
        assert f'value="{value}"' in page
    checked = re.findall(r'<input[^>]*value="(\w+)"[^>]*checked', page)
    assert checked == ["digest"]  # the default
    assert "Once a day, in a digest" in page
    assert page.count("<label") >= 4  # the group and each choice


def test_settings_save_and_audit(world, client_for):
    client = client_for(world.member)
    response = client.post(SETTINGS, {"email_mode": "immediate"}, follow=True)
    assert "Your notification settings were saved." in response.content.decode()
    assert NotificationSetting.objects.get(user=world.member).email_mode == "immediate"
    assert AuditEvent.objects.filter(action="notifications.setting.update").count() == 1


def test_settings_refuse_an_unknown_mode(world, client_for):
    response = client_for(world.member).post(SETTINGS, {"email_mode": "pigeon"})
    assert response.status_code == 200
    assert "Please correct the following" in response.content.decode()
    assert not NotificationSetting.objects.exists()
