"""``notify`` (de-duplicated, inactive people skipped, email modes), the immediate email, the daily digest
and the rule that emails never carry the text of TLP:AMBER, TLP:AMBER+STRICT or TLP:RED items."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django_tasks_db.models import DBTaskResult

from conftest import make_user
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.notifications.emails import render_email
from safepact.notifications.models import EmailMode, Notification, NotificationSetting
from safepact.notifications.services import (
    digest_send,
    notification_mark_all_read,
    notification_mark_read,
    notify,
    setting_update,
)
from safepact.notifications.tests.support import MARKER, mode, restricted_notifications

NOW = datetime(2031, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield


def email_tasks() -> int:
    return DBTaskResult.objects.filter(
        task_path="safepact.notifications.tasks.send_notification_email"
    ).count()


# notify ----------------------------------------------------------------------------------------------


def test_notify_creates_one_notification_per_person(world, frozen):
    created = notify(
        recipients=[world.member, world.viewer, world.member],
        kind="meetings.invited",
        title="Invitation: steering group",
        url="/p/x/meetings/",
        body="On Monday.",
        partnership=world.partnership_a,
    )

    assert sorted(n.recipient_id for n in created) == sorted([world.member.pk, world.viewer.pk])
    row = Notification.objects.get(recipient=world.member)
    assert (row.kind, row.title, row.body, row.url, row.tlp) == (
        "meetings.invited",
        "Invitation: steering group",
        "On Monday.",
        "/p/x/meetings/",
        "green",
    )
    assert row.partnership == world.partnership_a
    assert row.created_at == NOW
    assert row.read_at is None and row.emailed_at is None


def test_inactive_people_and_none_are_skipped(world):
    world.viewer.is_active = False
    world.viewer.save()
    created = notify(recipients=[world.viewer, None, world.member], kind="k", title="Hello")
    assert [n.recipient_id for n in created] == [world.member.pk]
    assert notify(recipients=[], kind="k", title="Hello") == []


def test_notify_refuses_programming_errors(world):
    with pytest.raises(ValueError):
        notify(recipients=[world.member], kind="k", title="T", tlp="purple")
    with pytest.raises(ValueError):
        notify(recipients=[world.member], kind="k", title="T", url="https://evil.example/")
    with pytest.raises(ValueError):
        notify(recipients=[world.member], kind="k", title="T", url="//evil.example/")
    with pytest.raises(ValueError):
        notify(recipients=[world.member], kind="k", title="  ")
    assert Notification.objects.count() == 0


def test_a_long_or_multiline_title_is_one_line_that_fits(world):
    (created,) = notify(recipients=[world.member], kind="k", title="Line one\nline two " + "x" * 400)
    assert "\n" not in created.title
    assert len(created.title) == 300
    assert created.title.startswith("Line one line two")


def test_only_immediate_people_get_an_email_task(world, run_tasks):
    mode(world.member, EmailMode.IMMEDIATE)
    mode(world.viewer, EmailMode.NONE)
    # coordinator: default (digest)

    notify(recipients=[world.member, world.viewer, world.coordinator], kind="k", title="Hello")

    assert email_tasks() == 1
    assert mail.outbox == []  # nothing before the worker runs
    run_tasks()
    assert [m.to for m in mail.outbox] == [[world.member.email]]
    assert Notification.objects.get(recipient=world.member).emailed_at is not None
    assert Notification.objects.get(recipient=world.viewer).emailed_at is None


def test_notify_belongs_to_the_callers_transaction(world):
    from django.db import transaction

    mode(world.member, EmailMode.IMMEDIATE)
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[world.member], kind="k", title="Hello")
        raise RuntimeError("the change failed")
    assert Notification.objects.count() == 0
    assert email_tasks() == 0


# The immediate email --------------------------------------------------------------------------------


def test_the_immediate_email_of_a_green_item_has_title_body_and_link(world, run_tasks):
    mode(world.member, EmailMode.IMMEDIATE)
    notify(
        recipients=[world.member],
        kind="meetings.invited",
        title="Invitation: steering group",
        body="Monday at ten.",
        url="/p/abc/meetings/",
        partnership=world.partnership_a,
    )
    run_tasks()

    (message,) = mail.outbox
    assert message.subject == "Invitation: steering group"
    assert "Monday at ten." in message.body
    assert settings.SITE_URL + "/p/abc/meetings/" in message.body
    assert settings.SITE_URL + "/notifications/settings/" in message.body


def test_the_immediate_email_is_sent_once(world, run_tasks):
    from safepact.notifications.tasks import send_notification_email

    mode(world.member, EmailMode.IMMEDIATE)
    (created,) = notify(recipients=[world.member], kind="k", title="Hello")
    send_notification_email.enqueue(created.pk)  # a duplicate on the queue
    run_tasks()
    assert len(mail.outbox) == 1
    assert digest_send() == 0  # already emailed: not in the digest either


@pytest.fixture
def languages(monkeypatch):
    """The active language each time an email template is rendered."""
    from django.utils import translation

    from safepact.notifications import emails

    seen = []
    original = emails.render_to_string

    def spy(*args, **kwargs):
        seen.append(translation.get_language())
        return original(*args, **kwargs)

    monkeypatch.setattr(emails, "render_to_string", spy)
    return seen


def test_the_immediate_email_is_in_the_persons_language(world, run_tasks, languages):
    dutch = make_user("nl@example.org", "Nora Nederlands", language="nl")
    mode(dutch, EmailMode.IMMEDIATE)
    mode(world.member, EmailMode.IMMEDIATE)
    notify(recipients=[dutch], kind="k", title="Hallo", tlp="amber", partnership=world.partnership_a)
    notify(recipients=[world.member], kind="k", title="Hello")
    run_tasks()
    assert len(mail.outbox) == 2
    assert sorted(languages) == ["en", "nl"]


def test_restricted_items_never_put_their_text_in_the_immediate_email(world, run_tasks):
    mode(world.member, EmailMode.IMMEDIATE)
    restricted_notifications(world, world.member)
    run_tasks()

    assert len(mail.outbox) == 3
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "New TLP:AMBER item in Sofielund safety partnership",
        "New TLP:AMBER+STRICT item in Sofielund safety partnership",
        "New TLP:RED item in Sofielund safety partnership",
    ]
    for message in mail.outbox:
        assert MARKER not in message.subject
        assert MARKER not in message.body
        assert "informant" not in message.body
        assert settings.SITE_URL + "/p/somewhere/" in message.body


@pytest.mark.parametrize("label", ["clear", "green"])
def test_unrestricted_labels_do_carry_their_text(world, label):
    (created,) = notify(recipients=[world.member], kind="k", title=f"T {MARKER}", body=MARKER, tlp=label)
    subject, body = render_email(created)
    assert MARKER in subject and body.count(MARKER) == 2


# The digest ---------------------------------------------------------------------------------------


def test_the_digest_lists_what_was_not_emailed_and_goes_out_once(world, frozen):
    notify(recipients=[world.member], kind="k", title="First thing", url="/one/")
    clock.advance(timedelta(hours=1))
    notify(recipients=[world.member], kind="k", title="Second thing", url="/two/")
    notify(recipients=[world.coordinator], kind="k", title="For the coordinator")

    assert digest_send() == 2

    by_person = {m.to[0]: m for m in mail.outbox}
    message = by_person[world.member.email]
    assert message.subject == "SafePact: 2 new notifications"
    assert message.body.index("First thing") < message.body.index("Second thing")
    assert settings.SITE_URL + "/one/" in message.body
    assert by_person[world.coordinator.email].subject == "SafePact: 1 new notification"
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0

    assert digest_send() == 0  # safe to run twice
    assert len(mail.outbox) == 2

    clock.advance(timedelta(days=1))
    notify(recipients=[world.member], kind="k", title="Third thing")
    assert digest_send() == 1
    assert "Third thing" in mail.outbox[-1].body
    assert "First thing" not in mail.outbox[-1].body


def test_the_digest_skips_immediate_and_no_email_people(world, frozen):
    mode(world.member, EmailMode.IMMEDIATE)
    mode(world.viewer, EmailMode.NONE)
    notify(recipients=[world.member, world.viewer], kind="k", title="Hello")
    assert digest_send() == 0
    assert mail.outbox == []


def test_the_digest_does_not_send_what_came_before_the_person_chose_it(world, frozen):
    mode(world.member, EmailMode.NONE)
    notify(recipients=[world.member], kind="k", title="While I wanted no email")
    clock.advance(timedelta(hours=1))
    mode(world.member, EmailMode.DIGEST)
    notify(recipients=[world.member], kind="k", title="After I chose the digest")

    assert digest_send() == 1
    body = mail.outbox[0].body
    assert "After I chose the digest" in body
    assert "While I wanted no email" not in body


def test_choosing_the_default_again_keeps_earlier_notifications_in_the_digest(world, frozen):
    notify(recipients=[world.member], kind="k", title="Before saving the form")
    clock.advance(timedelta(minutes=5))
    mode(world.member, EmailMode.DIGEST)
    assert digest_send() == 1
    assert "Before saving the form" in mail.outbox[0].body


def test_the_digest_never_carries_restricted_text(world, frozen):
    restricted_notifications(world, world.member)
    notify(recipients=[world.member], kind="k", title="An open thing", tlp="green")

    assert digest_send() == 1

    (message,) = mail.outbox
    assert MARKER not in message.subject
    assert MARKER not in message.body
    assert "informant" not in message.body
    assert "New TLP:AMBER item in Sofielund safety partnership" in message.body
    assert "New TLP:AMBER+STRICT item in Sofielund safety partnership" in message.body
    assert "New TLP:RED item in Sofielund safety partnership" in message.body
    assert "An open thing" in message.body


def test_no_restricted_text_in_any_email_through_the_queue(world, run_tasks, frozen):
    """The must-show item: markers in title and body of every restricted label, every mode, every email."""
    mode(world.member, EmailMode.IMMEDIATE)
    restricted_notifications(world, world.member)  # immediate
    restricted_notifications(world, world.coordinator)  # digest (the default)
    from safepact.notifications.tasks import send_digests

    send_digests.enqueue()
    run_tasks()

    assert len(mail.outbox) == 4  # three immediate emails and one digest
    for message in mail.outbox:
        assert MARKER not in message.subject
        assert MARKER not in message.body
        for alternative, _mimetype in getattr(message, "alternatives", []):
            assert MARKER not in alternative


def test_the_digest_is_in_the_persons_language(world, frozen, languages):
    dutch = make_user("nl@example.org", "Nora Nederlands", language="nl")
    notify(recipients=[dutch], kind="k", title="Hallo")
    assert digest_send() == 1
    assert languages == ["nl"]
    assert mail.outbox[0].to == [dutch.email]


def test_the_digest_leaves_out_inactive_people(world, frozen):
    notify(recipients=[world.member], kind="k", title="Hello")
    world.member.is_active = False
    world.member.save()
    assert digest_send() == 0


def test_notifications_created_later_wait_for_the_next_digest(world, frozen):
    with clock.frozen(NOW + timedelta(hours=1)):
        notify(recipients=[world.member], kind="k", title="Later")
    assert digest_send() == 0


# Read and settings -------------------------------------------------------------------------------------


def test_mark_read_and_all_read(world, frozen):
    first, *_ = notify(recipients=[world.member], kind="k", title="One")
    notify(recipients=[world.member], kind="k", title="Two")
    notify(recipients=[world.viewer], kind="k", title="Not mine")

    notification_mark_read(user=world.member, notification=first)
    assert Notification.objects.get(pk=first.pk).read_at == NOW
    with pytest.raises(ValidationError):
        notification_mark_read(user=world.viewer, notification=first)

    assert notification_mark_all_read(user=world.member) == 1
    assert Notification.objects.filter(recipient=world.member, read_at__isnull=True).count() == 0
    assert Notification.objects.get(recipient=world.viewer).read_at is None


def test_setting_update_is_audited_when_it_changes(world, frozen):
    setting = setting_update(user=world.member, email_mode=EmailMode.IMMEDIATE)
    assert setting.email_mode == EmailMode.IMMEDIATE
    event = AuditEvent.objects.get(action="notifications.setting.update")
    assert event.actor_code == str(world.member.code)
    assert event.before == {"email_mode": "digest"}
    assert event.after == {"email_mode": "immediate"}

    setting_update(user=world.member, email_mode=EmailMode.IMMEDIATE)  # no change, no event
    assert AuditEvent.objects.filter(action="notifications.setting.update").count() == 1
    assert NotificationSetting.objects.count() == 1

    with pytest.raises(ValidationError) as caught:
        setting_update(user=world.member, email_mode="carrier-pigeon")
    assert "email_mode" in caught.value.message_dict


def test_digest_leaves_out_what_is_older_than_two_days(world, mailoutbox):
    """History (the demo's year, or a worker that was down for a week) is not mailed in one digest."""
    from datetime import timedelta

    from safepact.lib import clock
    from safepact.notifications.models import Notification
    from safepact.notifications.services import digest_send, notify

    start = clock.now()
    with clock.frozen(start - timedelta(days=5)):
        notify(recipients=[world.member], kind="test.old", title="Old news", url="/")
    with clock.frozen(start - timedelta(hours=3)):
        notify(recipients=[world.member], kind="test.new", title="Fresh news", url="/")
    with clock.frozen(start):
        assert digest_send() == 1
    [email] = mailoutbox
    assert "Fresh news" in email.body and "Old news" not in email.body
    assert Notification.objects.get(kind="test.old").emailed_at is None
